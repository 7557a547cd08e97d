// Redis without persistence killed with SIGKILL while tasks wait in it, and started again empty:
// the workers' reconciler queues the tasks the database holds as unfinished again, so none is left
// `queueing`; and /readyz does not say ready while the queue lacks accepted work. Redis here is the
// test's own (`--save '' --appendonly no`; the shared one is never stopped); PostgreSQL and S3 are
// the suite's.
import { afterAll, describe, expect, it } from 'vitest';
import { createTask, form, queryTask, token } from '../helpers/api.js';
import { privateRedis, type PrivateRedis } from '../helpers/private-services.js';
import { backendEnv, createClientCredentials, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

const TASKS = 16;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ready(url: string) {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as { data: Record<string, string> } };
}

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await sleep(250);
  }
}

describe('Redis without persistence killed and started again', () => {
  let redis: PrivateRedis | undefined;
  const servers: TestServer[] = [];
  let api: TestServer;
  let env: Record<string, string>;
  let dataDir: string;
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await redis?.remove();
  });

  it('/readyz says the queue is recovering until a worker has filled it from the database', { timeout: 120_000 }, async () => {
    redis = await privateRedis();
    dataDir = tempDir('redis-outage');
    const prefix = new URL(backendEnv(dataDir).DEPTHMILL_QUEUE!).searchParams.get('prefix')!;
    env = {
      DEPTHMILL_QUEUE: `redis://127.0.0.1:${redis.port}/0?prefix=${prefix}`,
      DEPTHMILL_TASK_QUOTA: String(TASKS),
      DEPTHMILL_RATE_LIMIT: '100000',
    };
    // An empty Redis and no worker yet: nothing has queued the database's work there.
    api = await startServer({ dataDir, role: 'api', env });
    servers.push(api);
    const withoutWorker = await ready(api.url);
    // One worker, one task at a time: most tasks are still waiting in Redis when it dies.
    servers.push(
      await startServer({ dataDir, role: 'worker', env: { ...env, DEPTHMILL_CONCURRENCY: '1', DEPTHMILL_RECONCILE_INTERVAL_MS: '3000' } }),
    );
    expect(withoutWorker).toMatchObject({
      status: 503,
      body: { data: { status: 'not ready', database: 'ok', queue: 'recovering', blobs: 'ok' } },
    });
    expect(
      (
        await until(
          '/readyz',
          () => ready(api.url),
          (answer) => answer.status === 200,
        )
      ).body.data,
    ).toMatchObject({ status: 'ready', queue: 'ok' });
  });

  it('leaves no accepted task queueing once it is back', { timeout: 300_000 }, async () => {
    const { clientId, clientSecret } = createClientCredentials(dataDir, 'outage', env);
    const accessToken = await token(api.url, clientId, clientSecret);
    const photo = readPhoto('opencv_apple.jpg');
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i++) {
      const created = await createTask(api.url, accessToken, form({ model_type: 'base', format: '6', rmbg: '0' }, [{ bytes: photo }]));
      expect(created.body.code, created.body.msg).toBe(200);
      ids.push(created.body.data.task_id);
    }
    const states = async () => Promise.all(ids.map(async (id) => (await queryTask(api.url, accessToken, id)).body.data?.state));
    const before = await until('tasks', states, (now) => now.filter((state) => state === 'success').length >= 2);
    console.log(`redis outage: killed with ${before.filter((state) => state === 'queueing').length} of ${TASKS} tasks queueing`);

    await redis!.kill();
    const away = await until(
      '/readyz',
      () => ready(api.url),
      (answer) => answer.status === 503,
    );
    expect(away.body.data.queue).not.toBe('ok');
    await sleep(2000);
    await redis!.start();

    // Back, and empty: every task the database holds still ends (before, the waiting ones stayed
    // queueing until a worker restarted).
    const deadline = Date.now() + 90_000;
    let now = await states();
    while (now.some((state) => state !== 'success' && state !== 'failed') && Date.now() < deadline) {
      await sleep(500);
      now = await states();
    }
    const count = (state: string) => now.filter((s) => s === state).length;
    console.log(
      `redis outage: ${TASKS} tasks, success ${count('success')}, processing ${count('processing')}, queueing ${count('queueing')}, failed ${count('failed')}`,
    );
    expect(now.filter((state) => state !== 'success')).toEqual([]);
    expect((await ready(api.url)).status).toBe(200);
  });
});
