// Jobs in Redis through BullMQ (the distributed mode): any API process enqueues, every worker
// process takes jobs with its own concurrency. BullMQ brings retries and stalled-job recovery: a
// job whose worker died (its lock expired) goes back to waiting and another worker takes it.
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { JobQueue } from '../tasks/ports.js';

export interface BullmqQueueOptions {
  /** redis://host:port[/db]; a `prefix` query parameter keeps deployments apart on one Redis. */
  url: string;
  concurrency: number;
  /** How long a job may go without its worker renewing the lock before it counts as stalled. */
  lockDurationMs?: number;
}

const QUEUE_NAME = 'depth';

/** redis[s]://[user:password@]host[:port][/db] as connection options BullMQ opens and closes itself. */
function connection(url: URL): ConnectionOptions {
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    db: Number(url.pathname.slice(1) || 0),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // null: BullMQ's blocking commands must wait across reconnects instead of failing.
    maxRetriesPerRequest: null,
  };
}

export class BullmqQueue implements JobQueue {
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private readonly prefix: string;
  private readonly redisUrl: URL;

  constructor(private readonly options: BullmqQueueOptions) {
    const parsed = new URL(options.url);
    this.prefix = parsed.searchParams.get('prefix') ?? 'depthmill';
    parsed.searchParams.delete('prefix');
    this.redisUrl = parsed;
    this.queue = new Queue(QUEUE_NAME, {
      connection: connection(this.redisUrl),
      prefix: this.prefix,
      defaultJobOptions: {
        // A failed attempt is a crash or a lost connection (the runner itself never throws for a
        // bad image: it fails the task), so retrying is right.
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: true,
        removeOnFail: 1000,
      },
    });
  }

  async enqueue(taskId: string): Promise<void> {
    // The task id as job id: enqueueing a task twice (a restart's recovery) is a no-op while the
    // first job is still waiting or running.
    await this.queue.add('task', { taskId }, { jobId: taskId });
  }

  async ping(): Promise<void> {
    // A Redis round trip; while Redis is away it waits for the reconnect (the probe times it out).
    await this.queue.getJobCounts('waiting');
  }

  async waiting(): Promise<number> {
    // Not started yet: waiting its turn, delayed (a retry in its backoff) or prioritized (BullMQ
    // keeps jobs with a priority apart from waiting ones; none has one today).
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'prioritized');
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  }

  start(handler: (taskId: string) => Promise<void>): void {
    const lockDuration = this.options.lockDurationMs ?? 30_000;
    this.worker = new Worker(QUEUE_NAME, (job) => handler((job.data as { taskId: string }).taskId), {
      connection: connection(this.redisUrl),
      prefix: this.prefix,
      concurrency: this.options.concurrency,
      lockDuration,
      stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
      maxStalledCount: 3,
    });
    this.worker.on('error', () => undefined); // reconnects are BullMQ's job; do not crash on them
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
