// Scale-out: API processes that never run a model, worker processes that never open a port, all
// sharing PostgreSQL, Redis and S3. A worker killed mid-task loses nothing.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, download, form, queryTask, token, waitForTask, type Envelope, type TaskData } from '../helpers/api.js';
import { httpFixture, type Fixture } from '../helpers/http-fixture.js';
import { auditTasks, expectedHeight, inputImage } from '../helpers/distinct-inputs.js';
import { createClientCredentials, startServer, tempDir, type TestServer } from '../helpers/server.js';

const TASKS = 50;

let hooks: Fixture;
const callbacks = new Map<string, Envelope<TaskData>[]>();

beforeAll(async () => {
  hooks = await httpFixture((_request, body, response) => {
    const envelope = JSON.parse(body.toString()) as Envelope<TaskData>;
    callbacks.set(envelope.data.task_id, [...(callbacks.get(envelope.data.task_id) ?? []), envelope]);
    response.writeHead(204).end();
  });
});

afterAll(async () => {
  await hooks?.close();
});

describe('one API process and two workers', () => {
  const processes: TestServer[] = [];

  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop()));
  });

  it('finishes all 50 tasks with the right results when a worker is killed mid-task', async () => {
    const dataDir = tempDir('multi');
    const workerEnv = { DEPTHMILL_CONCURRENCY: '1', DEPTHMILL_JOB_LOCK_MS: '4000' };
    const api = await startServer({ dataDir, role: 'api' });
    const workerA = await startServer({ dataDir, role: 'worker', env: workerEnv });
    const workerB = await startServer({ dataDir, role: 'worker', env: workerEnv });
    processes.push(api, workerA, workerB);
    expect(api.url).toMatch(/^http:/);
    expect(workerA.url).toBe(''); // a worker opens no port

    // The quota of 10 unfinished tasks is per client: five clients of ten tasks each.
    const tokens: string[] = [];
    for (let c = 0; c < 5; c++) {
      const { clientId, clientSecret } = createClientCredentials(dataDir, `client-${c}`);
      tokens.push(await token(api.url, clientId, clientSecret));
    }
    const created = await Promise.all(
      Array.from({ length: TASKS }, async (_, i) => {
        const answer = await createTask(
          api.url,
          tokens[i % 5],
          form({ format: '6', model_type: 'base', rmbg: '0', callback_url: `${hooks.url}/done` }, [{ bytes: await inputImage(i) }]),
        );
        expect(answer.body.code, answer.body.msg).toBe(200);
        return answer.body.data.task_id;
      }),
    );

    // Kill worker A while it holds a task.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const states = await Promise.all(created.map(async (id, i) => (await queryTask(api.url, tokens[i % 5], id)).body.data.state));
      if (states.filter((state) => state === 'success').length >= 3 && states.includes('processing')) break;
      if (Date.now() > deadline) throw new Error('no task reached processing');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await workerA.stop('SIGKILL');

    const { lost, mixed, missingCallbacks, repeatedCallbacks } = await auditTasks(
      api.url,
      (i) => tokens[i % 5]!,
      created,
      callbacks,
      120_000,
    );
    console.log(
      `fault test: ${TASKS} tasks, lost ${lost}, mixed ${mixed}, callbacks missing ${missingCallbacks}, repeated ${repeatedCallbacks}`,
    );
    expect({ lost, mixed, missingCallbacks }).toEqual({ lost: 0, mixed: 0, missingCallbacks: 0 });
    for (const id of created) expect(callbacks.get(id)![0]!.data).toMatchObject({ task_id: id, state: 'success' });
  });
});

describe('two API processes behind no balancer', () => {
  it('answers on one for a task created on the other', async () => {
    const dataDir = tempDir('two-api');
    const first = await startServer({ dataDir, role: 'api' });
    const second = await startServer({ dataDir, role: 'api' });
    const worker = await startServer({ dataDir, role: 'worker' });
    try {
      const { clientId, clientSecret } = createClientCredentials(dataDir);
      // A token from one API process is good on the other: they share the signing secret.
      const accessToken = await token(first.url, clientId, clientSecret);
      const created = await createTask(
        first.url,
        accessToken,
        form({ format: '2', model_type: 'base', rmbg: '0' }, [{ bytes: await inputImage(3) }]),
      );
      const done = await waitForTask(second.url, accessToken, created.body.data.task_id);
      expect(done.body.data.state).toBe('success');
      const meta = await sharp((await download(done.body.data.url!)).bytes).metadata();
      expect([meta.width, meta.height]).toEqual([1024, expectedHeight(3)]);
    } finally {
      await Promise.all([first.stop(), second.stop(), worker.stop()]);
    }
  });
});
