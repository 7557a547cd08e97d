// Jobs in Redis through BullMQ (the distributed mode): any API process enqueues, every worker
// process takes jobs with its own concurrency. BullMQ brings retries and stalled-job recovery: a
// job whose worker died (its lock expired) goes back to waiting and another worker takes it.
// What BullMQ cannot bring back is a job Redis itself lost (restarted without persistence): the
// workers' reconciler queues those again from the database, and two keys of ours say whether it
// has done so since Redis last started empty (the readiness probe reads them).
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { QueueNotReconciled, type JobQueue } from '../tasks/ports.js';

export interface BullmqQueueOptions {
  /** redis://host:port[/db]; a `prefix` query parameter keeps deployments apart on one Redis. */
  url: string;
  concurrency: number;
  /** How long a job may go without its worker renewing the lock before it counts as stalled. */
  lockDurationMs?: number;
}

const QUEUE_NAME = 'depth';

/** Job states in which BullMQ will still run the job (or is running it). */
const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** Marks the epoch reconciled, unless Redis lost it (and so a newer epoch began) during the pass. */
const MARK_RECONCILED = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[1]) end return 0`;

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
  /** Our own keys (BullMQ's client has no SET NX nor scripts of ours). */
  private readonly redis: Redis;
  /** A random id a reconciliation pass writes when it finds none: this Redis's life since it was last empty. */
  private readonly epochKey: string;
  /** The epoch whose reconciliation finished last: equal to the epoch when the queue holds the database's work. */
  private readonly reconciledKey: string;

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
    this.redis = new Redis(connection(this.redisUrl) as RedisOptions);
    this.redis.on('error', () => undefined); // reconnects are ioredis's job
    this.epochKey = `${this.prefix}:${QUEUE_NAME}:reconcile-epoch`;
    this.reconciledKey = `${this.prefix}:${QUEUE_NAME}:reconciled-epoch`;
  }

  async enqueue(taskId: string): Promise<void> {
    // The task id as job id: enqueueing a task twice (a restart's recovery) is a no-op while the
    // first job is still waiting or running.
    await this.queue.add('task', { taskId }, { jobId: taskId });
  }

  async requeue(taskId: string): Promise<boolean> {
    // One round trip for the usual answer (the job is there); the job itself only when it is not.
    const state = await this.queue.getJobState(taskId);
    if (LIVE_STATES.has(state)) return false;
    const job = await this.queue.getJob(taskId);
    if (job && (state === 'failed' || state === 'completed')) {
      // Given up on (its attempts spent while the database was away) or done while the task is
      // not: start it over. Atomic in BullMQ, so two reconcilers at once retry it once.
      return job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true }).then(
        () => true,
        () => false,
      );
    }
    // A job record in no list would make add() a no-op (same id): remove it first.
    if (job) await job.remove().catch(() => undefined);
    await this.enqueue(taskId);
    return true;
  }

  async beginReconcile(): Promise<() => Promise<void>> {
    await this.redis.set(this.epochKey, randomUUID(), 'NX');
    const epoch = await this.redis.get(this.epochKey);
    return async () => {
      if (epoch !== null) await this.redis.eval(MARK_RECONCILED, 2, this.epochKey, this.reconciledKey, epoch);
    };
  }

  async ping(): Promise<void> {
    // Redis round trips (BullMQ's connection and ours); while Redis is away they wait for the
    // reconnect (the probe times them out).
    const [, marks] = await Promise.all([this.queue.getJobCounts('waiting'), this.redis.mget([this.epochKey, this.reconciledKey])]);
    const [epoch, reconciled] = marks as (string | null)[];
    if (epoch == null || epoch !== reconciled) throw new QueueNotReconciled();
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
    this.redis.disconnect();
  }
}
