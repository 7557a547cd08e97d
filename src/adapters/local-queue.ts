// The in-process job queue of the embedded mode: a FIFO of task ids with bounded concurrency.
// It holds nothing durable on purpose: the task store is the record of acknowledged work, and
// start-up re-enqueues every unfinished task, so a crash loses no task.
import type { JobQueue } from '../tasks/ports.js';

export class LocalQueue implements JobQueue {
  private readonly notStarted: string[] = [];
  private readonly queued = new Set<string>();
  private running = 0;
  private handler: ((taskId: string) => Promise<void>) | undefined;
  private closing = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly concurrency: number) {}

  async enqueue(taskId: string): Promise<void> {
    if (this.closing || this.queued.has(taskId)) return;
    this.queued.add(taskId);
    this.notStarted.push(taskId);
    this.pump();
  }

  async requeue(taskId: string): Promise<boolean> {
    if (this.closing || this.queued.has(taskId)) return false;
    await this.enqueue(taskId);
    return true;
  }

  /** Nothing to mark: this queue lives and dies with the process, it never loses jobs while it runs. */
  async beginReconcile(): Promise<() => Promise<void>> {
    return async () => undefined;
  }

  async ping(): Promise<void> {
    if (this.closing) throw new Error('the queue is closing');
  }

  async waiting(): Promise<number> {
    return this.notStarted.length;
  }

  start(handler: (taskId: string) => Promise<void>): void {
    this.handler = handler;
    this.pump();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.notStarted.length = 0;
    if (this.running === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler) return;
    while (!this.closing && this.running < this.concurrency && this.notStarted.length > 0) {
      const taskId = this.notStarted.shift()!;
      this.running += 1;
      // The handler reports its own failures (it ends the task as failed); this catch only keeps
      // one unexpected rejection from stopping the queue.
      handler(taskId)
        .catch(() => undefined)
        .finally(() => {
          this.running -= 1;
          this.queued.delete(taskId);
          if (this.running === 0) for (const wake of this.idleWaiters.splice(0)) wake();
          this.pump();
        });
    }
  }
}
