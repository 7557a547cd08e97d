// Periodic work of the worker side: tasks overdue past the timeout fail (with their callback),
// tasks past the retention period lose their input and result files, and reservations a crashed
// create-task left (`created`, never acknowledged) are removed. Each pass is idempotent, so
// several workers may run it at once.
import type { Logger } from 'pino';
import type { BlobStore, Metrics, TaskStore } from './ports.js';
import { countEnded, countRefund } from './task-metrics.js';

/** Longer than any create-task takes from taking its place to queueing the task (an upload's seconds). */
const ABANDONED_AFTER_MS = 10 * 60 * 1000;

export interface HousekeepingOptions {
  tasks: TaskStore;
  blobs: BlobStore;
  taskTimeoutMs: number;
  retentionMs: number;
  log: Logger;
  intervalMs?: number;
  onFinished?: (taskId: string) => void;
  /** Where the tasks it fails overdue are counted (default: nowhere). */
  metrics?: Metrics;
}

/** The reason a task gets when it ran out of time (API.md: 60 minutes by default). */
export function overdueError(taskTimeoutMs: number): string {
  const limit = taskTimeoutMs >= 60_000 ? `${Math.round(taskTimeoutMs / 60_000)} minutes` : `${(taskTimeoutMs / 1000).toFixed(1)} s`;
  return `the task did not finish within ${limit}`;
}

export class Housekeeping {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: HousekeepingOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs ?? 60_000);
    this.timer.unref();
    void this.runOnce();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  runOnce(): Promise<void> {
    this.running ??= this.pass()
      .catch((error: unknown) => this.options.log.error({ err: error }, 'housekeeping failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async pass(): Promise<void> {
    const { tasks, blobs, taskTimeoutMs, retentionMs, log } = this.options;
    const now = Date.now();
    for (const task of await tasks.listUnfinished()) {
      if (task.state === 'created' && now - task.createdAt > ABANDONED_AFTER_MS) {
        // Never acknowledged: its create-task died between taking the place and queueing it.
        await Promise.all([blobs.delete(task.inputKey), task.maskKey ? blobs.delete(task.maskKey) : undefined]);
        await tasks.removeUnacknowledged(task.id);
        countRefund(this.options.metrics, task);
        log.warn({ taskId: task.id }, 'unacknowledged task removed');
        continue;
      }
      if (now - task.createdAt <= taskTimeoutMs) continue;
      if (await tasks.finish(task.id, { state: 'failed', error: overdueError(taskTimeoutMs) })) {
        log.warn({ taskId: task.id }, 'task failed: overdue');
        countEnded(this.options.metrics, task, 'failed');
        this.options.onFinished?.(task.id);
      }
    }
    for (;;) {
      const expirable = await tasks.listExpirable(now - retentionMs, 100);
      for (const task of expirable) {
        await blobs.delete(task.inputKey);
        if (task.maskKey) await blobs.delete(task.maskKey);
        if (task.resultKey) await blobs.delete(task.resultKey);
        await tasks.markExpired(task.id, now);
      }
      if (expirable.length > 0) log.info({ count: expirable.length }, 'expired task files deleted');
      if (expirable.length < 100) break;
    }
  }
}
