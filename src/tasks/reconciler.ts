// Keeps the queue in step with the task store, which is the record of acknowledged work: every
// task the store holds as queueing or processing, and the queue does not hold, is queued again. At
// a worker's start (work a crash or a stop left) and then periodically (a Redis that restarted
// without persistence and lost its jobs, a job the queue gave up on while the database was away).
// Each pass is idempotent, so several workers may run it at once: the task id is the job id.
import type { Logger } from 'pino';
import type { JobQueue, TaskStore } from './ports.js';

/**
 * How long a processing task's runner may go without renewing its lease (TaskStore.setState)
 * before the task counts as abandoned. Its runner renews it three times as often.
 */
export const TASK_LEASE_MS = 30_000;

export interface ReconcilerOptions {
  tasks: TaskStore;
  queue: JobQueue;
  log: Logger;
  /** Time between passes after the first (DEPTHMILL_RECONCILE_INTERVAL_MS). */
  intervalMs: number;
  /**
   * A processing task whose lease is younger than this is left alone even when the queue lost its
   * job: a live worker is still running it, and queueing it again would run it twice. 0 for a
   * queue no other process takes from (the embedded one): what it does not hold, nobody runs.
   */
  leaseMs: number;
}

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: ReconcilerOptions) {}

  /** Runs the first pass (resolved when it is done) and schedules the next ones. */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
    return this.runOnce();
  }

  /** No more passes; waits a little for one under way (one stuck on a Redis that is away is let go). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
    clearTimeout(timer);
  }

  runOnce(): Promise<void> {
    this.running ??= this.pass()
      .catch((error: unknown) =>
        this.options.log.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'reconciling the queue with the database failed; trying again later',
        ),
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async pass(): Promise<void> {
    const { tasks, queue, leaseMs, log } = this.options;
    const finished = await queue.beginReconcile();
    const requeued: string[] = [];
    // Oldest first. A task still `created` was never acknowledged (its inputs may be missing):
    // housekeeping removes it once it is older than a create-task can take.
    for (const task of await tasks.listUnfinished()) {
      if (task.state === 'created') continue;
      if (task.state === 'processing' && Date.now() - task.updatedAt < leaseMs) continue;
      if (await queue.requeue(task.id)) requeued.push(task.id);
    }
    await finished();
    if (requeued.length > 0)
      log.warn({ count: requeued.length, taskIds: requeued.slice(0, 20) }, 'unfinished tasks the queue did not hold were queued again');
  }
}
