// The reconciler's rule against the real PostgreSQL store and BullMQ queue (on the suite's Redis,
// under a key prefix of its own): which unfinished tasks a pass queues again, which it leaves to
// the worker that runs them, and what the queue's readiness says before and after a pass and once
// Redis has lost the queue's keys.
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullmqQueue } from '../../src/adapters/bullmq-queue.js';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import type { Task, TaskState } from '../../src/contract/task.js';
import { QueueNotReconciled } from '../../src/tasks/ports.js';
import { Reconciler, TASK_LEASE_MS } from '../../src/tasks/reconciler.js';

const id = randomUUID().replaceAll('-', '').slice(0, 12);
const prefix = `t_reconcile_${id}`;
const REDIS = { host: '127.0.0.1', port: 6379 };
// BullMQ's own name for the queue the adapter uses (adapters/bullmq-queue.ts).
const QUEUE_NAME = 'depth';

let store: PostgresStore;
let queue: BullmqQueue;
let redis: Redis;
let bullmq: Queue;

beforeAll(async () => {
  store = await PostgresStore.open(`postgres://postgres@127.0.0.1:5432/test?schema=t_reconcile_${id}`);
  queue = new BullmqQueue({ url: `redis://127.0.0.1:6379/0?prefix=${prefix}`, concurrency: 1 });
  redis = new Redis(REDIS);
  bullmq = new Queue(QUEUE_NAME, { connection: REDIS, prefix });
});

afterAll(async () => {
  await queue?.close();
  await bullmq?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis?.disconnect();
  await store?.close();
});

async function task(state: TaskState, updatedAgoMs = 0): Promise<string> {
  const now = Date.now();
  const taskId = `depth_${randomUUID()}`;
  const record = {
    id: taskId,
    clientId: 'client',
    state,
    params: {},
    inputKey: `inputs/${taskId}`,
    createdAt: now - updatedAgoMs,
    updatedAt: now - updatedAgoMs,
    credits: 0,
  } as unknown as Task;
  expect((await store.insertWithinQuota(record, 1000)).accepted).toBe(true);
  return taskId;
}

/** A job BullMQ gave up on: one attempt, and a processor that fails it. */
async function failedJob(taskId: string): Promise<void> {
  await bullmq.add('task', { taskId }, { jobId: taskId, attempts: 1 });
  const worker = new Worker(QUEUE_NAME, () => Promise.reject(new Error('the database is away')), { connection: REDIS, prefix });
  while ((await bullmq.getJobState(taskId)) !== 'failed') await new Promise((resolve) => setTimeout(resolve, 50));
  await worker.close();
}

describe('a reconciliation pass', () => {
  it('queues again what the queue lost or gave up on, and leaves alone what a live worker runs', async () => {
    const queueing = await task('queueing');
    const abandoned = await task('processing', 2 * TASK_LEASE_MS);
    const running = await task('processing');
    const created = await task('created');
    const gaveUp = await task('queueing');
    await failedJob(gaveUp);
    const waiting = await task('queueing');
    await queue.enqueue(waiting);

    // Redis has nothing of ours but those jobs: the queue is not ready until a pass has run.
    await expect(queue.ping()).rejects.toBeInstanceOf(QueueNotReconciled);
    const reconciler = new Reconciler({ tasks: store, queue, log: pino({ level: 'silent' }), intervalMs: 60_000, leaseMs: TASK_LEASE_MS });
    await reconciler.runOnce();
    await expect(queue.ping()).resolves.toBeUndefined();

    const states = Object.fromEntries(
      await Promise.all(
        Object.entries({ queueing, abandoned, running, created, gaveUp, waiting }).map(async ([name, taskId]) => [
          name,
          await bullmq.getJobState(taskId),
        ]),
      ),
    );
    expect(states).toEqual({
      queueing: 'waiting',
      abandoned: 'waiting',
      // Its worker renewed its lease just now: queueing it again would run it twice.
      running: 'unknown',
      // Never acknowledged: housekeeping's to remove.
      created: 'unknown',
      gaveUp: 'waiting',
      waiting: 'waiting',
    });
    // A second pass changes nothing: the task id is the job id.
    expect(await queue.requeue(queueing)).toBe(false);
    expect(await bullmq.getJobCounts('waiting')).toEqual({ waiting: 4 });

    // Redis loses the queue's keys (as a restart without persistence does): not ready until the next pass.
    await redis.del(...(await redis.keys(`${prefix}:*`)));
    await expect(queue.ping()).rejects.toBeInstanceOf(QueueNotReconciled);
    await reconciler.runOnce();
    await expect(queue.ping()).resolves.toBeUndefined();
    expect(await bullmq.getJobCounts('waiting')).toEqual({ waiting: 4 });
  });
});
