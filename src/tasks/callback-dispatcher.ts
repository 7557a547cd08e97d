// Delivers callbacks: POSTs the query-task body to callback_url, signed, retried with exponential
// backoff and jitter for about an hour. Deliveries live in the store, so a restart resumes them;
// delivery is at least once (a crash after the POST and before the record repeats it).
import type { Logger } from 'pino';
import {
  noMetrics,
  type BlobStore,
  type CallbackDelivery,
  type CallbackStore,
  type ClientStore,
  type Metrics,
  type OutboundFetch,
  type TaskStore,
} from './ports.js';
import { signCallback, SIGNATURE_HEADER } from '@depthmill/client/contract';
import { taskQueryBody } from './task-view.js';

export interface CallbackDispatcherOptions {
  callbacks: CallbackStore;
  tasks: TaskStore;
  clients: ClientStore;
  blobs: BlobStore;
  /** POSTs to callback URLs, guarded against SSRF. */
  fetch: OutboundFetch;
  /** Where download links in callback bodies point. */
  baseUrl: string;
  log: Logger;
  pollMs?: number;
  requestTimeoutMs?: number;
  /** Give up on a delivery this long after its first attempt. */
  giveUpAfterMs?: number;
  /** Where each attempt's outcome is counted (default: nowhere). */
  metrics?: Metrics;
  /** Attempts in flight at once on this process (default 64). */
  maxInFlight?: number;
  /** Attempts in flight at once for one client (default 8): all a dead endpoint can hold. */
  maxInFlightPerClient?: number;
}

const MAX_BACKOFF_MS = 10 * 60 * 1000;

/** 1 s, 2 s, 4 s ... capped at 10 min, each with up to 50 % random jitter so retries spread out. */
export function nextDelayMs(attempts: number, random = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempts);
  return Math.round(base * (0.5 + random() * 0.5));
}

/** Deliveries in flight at once on one process, in all and per client (defaults of the options). */
const MAX_IN_FLIGHT = 64;
const MAX_IN_FLIGHT_PER_CLIENT = 8;

export class CallbackDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | undefined;
  /** A wake came while claiming: claim again once it is done (the places or the due rows changed). */
  private claimAgain = false;
  /** The attempts under way, by delivery id. */
  private readonly inFlight = new Map<number, Promise<void>>();
  /** How many of the attempts under way are each client's. */
  private readonly busy = new Map<string, number>();
  private stopped = false;

  constructor(private readonly options: CallbackDispatcherOptions) {}

  start(): void {
    this.timer = setInterval(() => this.wake(), this.options.pollMs ?? 1000);
    this.timer.unref();
    this.wake();
  }

  /**
   * Looks for due deliveries now (called when a task ends, so callbacks do not wait a poll, and
   * when an attempt ends, so its place is used at once). Attempts are not waited for as a batch:
   * each runs on its own, and a client's endpoint that hangs holds only that client's places.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claim().finally(() => {
      this.claiming = undefined;
      if (this.claimAgain) {
        this.claimAgain = false;
        this.wake();
      }
    });
  }

  /** Stops claiming, and waits for the attempts under way (each ends within its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.claiming;
    await Promise.all(this.inFlight.values());
  }

  private async claim(): Promise<void> {
    const free = (this.options.maxInFlight ?? MAX_IN_FLIGHT) - this.inFlight.size;
    if (free <= 0) return;
    try {
      // The lease outlasts one POST (its timeout) with room to record the outcome.
      const leaseMs = (this.options.requestTimeoutMs ?? 10_000) + 5_000;
      const slots = { limit: free, perClient: this.options.maxInFlightPerClient ?? MAX_IN_FLIGHT_PER_CLIENT, busy: new Map(this.busy) };
      const due = await this.options.callbacks.claimDue(Date.now(), leaseMs, slots);
      for (const delivery of due) if (!this.inFlight.has(delivery.id)) this.begin(delivery);
    } catch (error) {
      this.options.log.error({ err: error }, 'callback dispatch failed');
    }
  }

  private begin(delivery: CallbackDelivery): void {
    const client = delivery.clientId;
    this.busy.set(client, (this.busy.get(client) ?? 0) + 1);
    const attempt = this.deliver(delivery)
      .catch((error: unknown) => this.options.log.error({ err: error }, 'callback dispatch failed'))
      .finally(() => {
        this.inFlight.delete(delivery.id);
        const left = (this.busy.get(client) ?? 1) - 1;
        if (left > 0) this.busy.set(client, left);
        else this.busy.delete(client);
        this.wake();
      });
    this.inFlight.set(delivery.id, attempt);
  }

  private async deliver(delivery: CallbackDelivery): Promise<void> {
    const { callbacks, tasks, clients, blobs, baseUrl, log } = this.options;
    const metrics = this.options.metrics ?? noMetrics;
    const task = await tasks.get(delivery.taskId);
    const client = task && (await clients.getClient(task.clientId));
    if (!task || !client) {
      await callbacks.markAttempt(delivery.id, 'task or client no longer exists', undefined);
      metrics.callbackAttempt('gave_up');
      return;
    }
    const body = JSON.stringify(await taskQueryBody(task, blobs, baseUrl));
    const error = await post(
      this.options.fetch,
      delivery.url,
      body,
      signCallback(client.callbackKey, body),
      this.options.requestTimeoutMs ?? 10_000,
    );
    if (error === undefined) {
      await callbacks.markDelivered(delivery.id, Date.now());
      metrics.callbackAttempt('delivered');
      log.info({ taskId: task.id, attempts: delivery.attempts + 1 }, 'callback delivered');
      return;
    }
    const giveUpAt = delivery.createdAt + (this.options.giveUpAfterMs ?? 60 * 60 * 1000);
    const next = Date.now() + nextDelayMs(delivery.attempts);
    await callbacks.markAttempt(delivery.id, error, next < giveUpAt ? next : undefined);
    // One outcome per attempt: a failed attempt that ends the delivery counts as gave_up only.
    metrics.callbackAttempt(next < giveUpAt ? 'failed_attempt' : 'gave_up');
    log.warn({ taskId: task.id, attempts: delivery.attempts + 1, error, gaveUp: next >= giveUpAt }, 'callback not delivered');
  }
}

/** undefined on a 2xx answer, else what went wrong. */
async function post(fetch: OutboundFetch, url: string, body: string, signature: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature, 'user-agent': 'depthmill-callback/1' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.ok ? undefined : `HTTP ${response.status}`;
  } catch (error) {
    let cause = error;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    return cause instanceof Error ? cause.message : String(cause);
  }
}
