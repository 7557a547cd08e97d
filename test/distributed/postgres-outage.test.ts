// PostgreSQL restarted hard while tasks run (`pg_ctl -m immediate stop`, a pause, `pg_ctl start`).
// A short outage while tasks finish: a worker whose task's result is stored but whose end cannot be
// recorded tries again until the database is back, so no task is left `processing`. A longer one:
// BullMQ gives up on the jobs that could not even read their task, and the workers' reconciler
// queues them again, so no task is left `queueing`. The database is the test's own cluster (the
// shared one is never stopped); Redis and S3 are the suite's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, form, queryTask, token } from '../helpers/api.js';
import { privatePostgres, type PrivatePostgres } from '../helpers/private-services.js';
import { backendEnv, createClientCredentials, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PHOTO = readPhoto('opencv_apple.jpg');

let postgres: PrivatePostgres;
beforeAll(async () => {
  postgres = await privatePostgres();
});
afterAll(() => {
  postgres?.remove();
});

/** An API process and a worker on the test's database, and `count` tasks accepted by them. */
async function deployment(count: number, fields: Record<string, string>, workerEnv: Record<string, string>) {
  const dataDir = tempDir('pg-outage');
  const schema = new URL(backendEnv(dataDir).DEPTHMILL_DB!).searchParams.get('schema')!;
  const env = { DEPTHMILL_DB: postgres.url(schema), DEPTHMILL_TASK_QUOTA: String(count), DEPTHMILL_RATE_LIMIT: '100000' };
  const api = await startServer({ dataDir, role: 'api', env });
  const worker = await startServer({
    dataDir,
    role: 'worker',
    env: { ...env, DEPTHMILL_RECONCILE_INTERVAL_MS: '3000', ...workerEnv },
  }).catch(async (error: unknown) => {
    await api.stop();
    throw error;
  });
  const { clientId, clientSecret } = createClientCredentials(dataDir, 'outage', env);
  const accessToken = await token(api.url, clientId, clientSecret);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await createTask(api.url, accessToken, form(fields, [{ bytes: PHOTO }]));
    expect(created.body.code, created.body.msg).toBe(200);
    ids.push(created.body.data.task_id);
  }
  const states = async () => Promise.all(ids.map(async (id) => (await queryTask(api.url, accessToken, id)).body.data?.state));
  return { api, worker, states };
}

/** Polls until no task is unfinished or the time is up; returns the last states. */
async function settled(states: () => Promise<(string | undefined)[]>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let now = await states();
  while (now.some((state) => state !== 'success' && state !== 'failed') && Date.now() < deadline) {
    await sleep(500);
    now = await states();
  }
  return now;
}

function summary(states: (string | undefined)[]): string {
  const count = (state: string) => states.filter((s) => s === state).length;
  return `success ${count('success')}, processing ${count('processing')}, queueing ${count('queueing')}, failed ${count('failed')}`;
}

describe('PostgreSQL restarted while tasks run', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('for 4 s while tasks finish: no task is left processing once it is back', { timeout: 300_000 }, async () => {
    // Two tasks at a time, each long enough (pro, a 16-bit PNG) that some are surely under way
    // when the database goes.
    const tasks = 16;
    const { api, worker, states } = await deployment(tasks, { model_type: 'pro', format: '2', rmbg: '0' }, { DEPTHMILL_CONCURRENCY: '2' });
    servers.push(api, worker);
    for (;;) {
      const now = await states();
      if (now.filter((state) => state === 'success').length >= 3 && now.includes('processing')) break;
      await sleep(50);
    }
    postgres.stopImmediately();
    await sleep(4000);
    postgres.start();

    // Back: every task ends, in well under a minute (before, some stayed processing for good).
    const now = await settled(states, 90_000);
    console.log(`postgres outage of 4 s: ${tasks} tasks, ${summary(now)}`);
    // The outage did hit a task's end (the case this test is about).
    expect(worker.output()).toMatch(/could not record the end of the task/);
    expect(now.filter((state) => state !== 'success')).toEqual([]);
    await Promise.all([api.stop(), worker.stop()]);
  });

  it('for 40 s: jobs the queue gave up on meanwhile are queued again', { timeout: 300_000 }, async () => {
    // One task at a time: the waiting ones spend their job's attempts (about 30 s of retries)
    // failing to read their task from the database.
    const tasks = 6;
    const { api, worker, states } = await deployment(tasks, { model_type: 'base', format: '6', rmbg: '0' }, { DEPTHMILL_CONCURRENCY: '1' });
    servers.push(api, worker);
    for (;;) {
      if ((await states()).includes('success')) break;
      await sleep(50);
    }
    postgres.stopImmediately();
    await sleep(40_000);
    postgres.start();

    const now = await settled(states, 90_000);
    console.log(`postgres outage of 40 s: ${tasks} tasks, ${summary(now)}`);
    expect(now.filter((state) => state !== 'success')).toEqual([]);
  });
});
