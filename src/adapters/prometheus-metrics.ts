// The Metrics port in the Prometheus text format (prom-client), on a registry of its own so that
// nothing else in the process (a library's metrics on the global registry) ends up on the page.
// One instance per process: in role `all` the API's /metrics shows the worker's side too.
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TASK_KINDS, type TaskKind } from '../contract/task-kind.js';
import { TASK_STATES } from '../contract/task.js';
import type { CallbackOutcome, Metrics, TaskCount } from '../tasks/ports.js';

/** Deployment-wide numbers read when scraped: the API side passes them (its store and queue). */
export interface ScrapeSources {
  tasks?: () => Promise<TaskCount[]>;
  queueWaiting?: () => Promise<number>;
}

/** A source that has not answered by then is left off this scrape, not waited for (as /readyz does). */
const SOURCE_TIMEOUT_MS = 2000;

/** Requests: most answer in milliseconds; an upload of a large photo can take many seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Stages: a decode takes milliseconds, a depth model on a CPU seconds, a large relief up to minutes. */
const STAGE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

async function within<T>(read: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_resolve, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${SOURCE_TIMEOUT_MS} ms`)), SOURCE_TIMEOUT_MS)),
  );
  try {
    return await Promise.race([read(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly stageDuration: Histogram<'stage' | 'model'>;
  private readonly finished: Counter<'kind' | 'state'>;
  private readonly callbacks: Counter<'outcome'>;
  private readonly spent: Counter<'kind'>;
  private readonly refunded: Counter<'kind'>;

  constructor(
    sources: ScrapeSources,
    private readonly log: Logger,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'depthmill_' });
    this.httpDuration = new Histogram({
      name: 'depthmill_http_request_duration_seconds',
      help: 'HTTP requests answered by the API, by method, route pattern ("unmatched" for none) and status',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.stageDuration = new Histogram({
      name: 'depthmill_stage_duration_seconds',
      help: 'Time per pipeline stage of the tasks this process ran, by stage and depth model',
      labelNames: ['stage', 'model'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.finished = new Counter({
      name: 'depthmill_tasks_finished_total',
      help: 'Tasks this process ended, by kind and final state',
      labelNames: ['kind', 'state'],
      registers,
    });
    this.callbacks = new Counter({
      name: 'depthmill_callback_deliveries_total',
      help: 'Callback delivery attempts by outcome: delivered, failed_attempt (tried again later), gave_up',
      labelNames: ['outcome'],
      registers,
    });
    this.spent = new Counter({
      name: 'depthmill_credits_spent_total',
      help: 'Credits taken from client balances for accepted tasks, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.refunded = new Counter({
      name: 'depthmill_credits_refunded_total',
      help: 'Credits given back for failed tasks, by kind',
      labelNames: ['kind'],
      registers,
    });
    // Known label values start at 0, so a rate() sees the first increment and dashboards their series.
    for (const kind of TASK_KINDS) {
      for (const state of ['success', 'failed']) this.finished.labels(kind, state);
      this.spent.labels(kind);
      this.refunded.labels(kind);
    }
    for (const outcome of ['delivered', 'failed_attempt', 'gave_up'] satisfies CallbackOutcome[]) this.callbacks.labels(outcome);
    if (sources.tasks) this.taskGauge(sources.tasks);
    if (sources.queueWaiting) this.queueGauge(sources.queueWaiting);
  }

  /** Every state and kind, 0 when there is none, counted in the store at each scrape. */
  private taskGauge(read: () => Promise<TaskCount[]>): void {
    const log = this.log;
    new Gauge({
      name: 'depthmill_tasks',
      help: 'Tasks in the store by state and kind (the whole deployment: every API process reports the same)',
      labelNames: ['state', 'kind'],
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          const counts = await within(read);
          for (const state of TASK_STATES) for (const kind of TASK_KINDS) this.set({ state, kind }, 0);
          for (const { state, kind, count } of counts) this.set({ state, kind }, count);
        } catch (error) {
          // Left off the page (no stale numbers); /readyz says which part is away.
          log.warn({ err: error instanceof Error ? error.message : String(error) }, 'metrics: could not count tasks');
        }
      },
    });
  }

  private queueGauge(read: () => Promise<number>): void {
    const log = this.log;
    new Gauge({
      name: 'depthmill_queue_waiting',
      help: 'Tasks accepted and not started yet (the whole deployment with a shared queue)',
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          this.set(await within(read));
        } catch (error) {
          log.warn({ err: error instanceof Error ? error.message : String(error) }, 'metrics: could not read the queue depth');
        }
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  taskFinished(kind: TaskKind, state: 'success' | 'failed'): void {
    this.finished.inc({ kind, state });
  }

  stageTimings(model: string, timings: Record<string, number>): void {
    for (const [stage, ms] of Object.entries(timings)) {
      if (Number.isFinite(ms) && ms >= 0) this.stageDuration.observe({ stage, model }, ms / 1000);
    }
  }

  callbackAttempt(outcome: CallbackOutcome): void {
    this.callbacks.inc({ outcome });
  }

  creditsSpent(kind: TaskKind, credits: number): void {
    if (credits > 0) this.spent.inc({ kind }, credits);
  }

  creditsRefunded(kind: TaskKind, credits: number): void {
    if (credits > 0) this.refunded.inc({ kind }, credits);
  }
}
