// PostgreSQL restarted hard while tasks finish (`pg_ctl -m immediate stop`, 4 s, `pg_ctl start`):
// a worker whose task's result is stored but whose end cannot be recorded tries again until the
// database is back, so no task is left `processing` once it is. The database here is the test's
// own cluster (the shared one is never stopped); Redis and S3 are the suite's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTask, form, queryTask, token } from '../helpers/api.js';
import { privatePostgres, type PrivatePostgres } from '../helpers/private-services.js';
import { backendEnv, createClientCredentials, SHARED, startServer, tempDir, type TestServer } from '../helpers/server.js';

const TASKS = 16;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL restarted while tasks finish', () => {
  let postgres: PrivatePostgres | undefined;
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    postgres?.remove();
  });

  it('leaves no task processing once it is back', { timeout: 300_000 }, async () => {
    postgres = await privatePostgres();
    const dataDir = tempDir('pg-outage');
    const schema = new URL(backendEnv(dataDir).DEPTHMILL_DB!).searchParams.get('schema')!;
    const env = { DEPTHMILL_DB: postgres.url(schema), DEPTHMILL_TASK_QUOTA: String(TASKS), DEPTHMILL_RATE_LIMIT: '100000' };
    const api = await startServer({ dataDir, role: 'api', env });
    servers.push(api);
    // Two tasks at a time, each long enough (pro, a 16-bit PNG) that some are surely under way
    // when the database goes.
    const worker = await startServer({ dataDir, role: 'worker', env: { ...env, DEPTHMILL_CONCURRENCY: '2', DEPTHMILL_RECONCILE_INTERVAL_MS: '3000' } });
    servers.push(worker);
    const { clientId, clientSecret } = createClientCredentials(dataDir, 'outage', env);
    const accessToken = await token(api.url, clientId, clientSecret);
    const photo = readFileSync(join(SHARED, 'eval/photos/opencv_apple.jpg'));
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i++) {
      const created = await createTask(api.url, accessToken, form({ model_type: 'pro', format: '2', rmbg: '0' }, [{ bytes: photo }]));
      expect(created.body.code, created.body.msg).toBe(200);
      ids.push(created.body.data.task_id);
    }
    const startedAt = Date.now();
    const states = async () => Promise.all(ids.map(async (id) => (await queryTask(api.url, accessToken, id)).body.data?.state));

    // Some done, some under way: then the database goes away at once and comes back 4 s later.
    for (;;) {
      const now = await states();
      if (now.filter((state) => state === 'success').length >= 3 && now.includes('processing')) break;
      await sleep(50);
    }
    const outageAt = Date.now();
    console.log(`postgres outage: stopping after ${Date.now() - startedAt} ms`);
    postgres.stopImmediately();
    await sleep(4000);
    postgres.start();

    // Back: every task ends, in well under a minute (before, some stayed processing for good).
    const deadline = Date.now() + 90_000;
    let now = await states();
    while (now.some((state) => state !== 'success' && state !== 'failed') && Date.now() < deadline) {
      await sleep(500);
      now = await states();
    }
    const count = (state: string) => now.filter((s) => s === state).length;
    console.log(`postgres outage: ${TASKS} tasks, ${Date.now() - outageAt} ms after the outage: success ${count('success')}, processing ${count('processing')}, queueing ${count('queueing')}, failed ${count('failed')}`);
    // The outage did hit a task's end (the case this test is about).
    expect(worker.output()).toMatch(/could not record the end of the task/);
    expect(now.filter((state) => state !== 'success')).toEqual([]);
  });
});
