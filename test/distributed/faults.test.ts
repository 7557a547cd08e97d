// Load with faults: 200 tasks submitted at once while the worker side is killed with SIGKILL twice
// and restarted. Nothing acknowledged is lost, no result lands in the wrong task, every callback
// arrives. Then a receiver that never answers holds no worker beyond the callback timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, form, queryTask, token, waitForTask, type Envelope, type TaskData } from '../helpers/api.js';
import { auditTasks, inputImage } from '../helpers/distinct-inputs.js';
import { httpFixture, type Fixture } from '../helpers/http-fixture.js';
import { createClientCredentials, startServer, tempDir, type TestServer } from '../helpers/server.js';

const TASKS = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let hooks: Fixture;
const callbacks = new Map<string, Envelope<TaskData>[]>();
const hanging: number[] = [];

beforeAll(async () => {
  hooks = await httpFixture((request, body, response) => {
    if (request.url === '/hang') {
      hanging.push(Date.now()); // never answered
      return;
    }
    const envelope = JSON.parse(body.toString()) as Envelope<TaskData>;
    callbacks.set(envelope.data.task_id, [...(callbacks.get(envelope.data.task_id) ?? []), envelope]);
    response.writeHead(204).end();
  });
});

afterAll(async () => {
  await hooks?.close();
});

describe('200 tasks while workers are killed twice', () => {
  const processes: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((process) => process.stop()));
  });

  it('loses nothing, mixes nothing, and delivers every callback', async () => {
    const dataDir = tempDir('faults');
    const workerEnv = { DEPTHMILL_CONCURRENCY: '1', DEPTHMILL_JOB_LOCK_MS: '3000' };
    const api = await startServer({ dataDir, role: 'api' });
    processes.push(api);
    const startWorker = async () => {
      const worker = await startServer({ dataDir, role: 'worker', env: workerEnv });
      processes.push(worker);
      return worker;
    };
    const workers = [await startWorker(), await startWorker()];

    const tokens: string[] = [];
    for (let c = 0; c < TASKS / 10; c++) {
      const { clientId, clientSecret } = createClientCredentials(dataDir, `client-${c}`);
      tokens.push(await token(api.url, clientId, clientSecret));
    }
    const images = await Promise.all(Array.from({ length: TASKS }, (_, i) => inputImage(i)));
    const ids = await Promise.all(
      images.map(async (bytes, i) => {
        const answer = await createTask(
          api.url,
          tokens[i % tokens.length],
          form({ format: '6', model_type: 'base', rmbg: '0', callback_url: `${hooks.url}/done` }, [{ bytes }]),
        );
        expect(answer.body.code, answer.body.msg).toBe(200);
        return answer.body.data.task_id;
      }),
    );

    const successes = async () => {
      const states = await Promise.all(ids.map(async (id, i) => (await queryTask(api.url, tokens[i % tokens.length], id)).body.data.state));
      return states.filter((state) => state === 'success').length;
    };
    // Two faults, at about a third and two thirds of the way: a worker dies mid-task and comes back.
    for (const [fault, threshold] of [
      [0, TASKS / 3],
      [1, (2 * TASKS) / 3],
    ] as const) {
      while ((await successes()) < threshold) await sleep(100);
      await workers[fault]!.stop('SIGKILL');
      workers[fault] = await startWorker();
    }

    const { lost, mixed, missingCallbacks, repeatedCallbacks } = await auditTasks(
      api.url,
      (i) => tokens[i % tokens.length]!,
      ids,
      callbacks,
    );
    console.log(
      `faults: ${TASKS} tasks, 2 worker kills, lost ${lost}, mixed ${mixed}, callbacks missing ${missingCallbacks}, repeated ${repeatedCallbacks}`,
    );
    expect({ lost, mixed, missingCallbacks }).toEqual({ lost: 0, mixed: 0, missingCallbacks: 0 });
  }, 600_000);
});

describe('a callback receiver that never answers', () => {
  it('holds no worker beyond the callback timeout, and is retried', async () => {
    const server = await startServer({ env: { DEPTHMILL_CONCURRENCY: '1', DEPTHMILL_CALLBACK_TIMEOUT_MS: '1000' } });
    try {
      const { clientId, clientSecret } = createClientCredentials(server.dataDir);
      const accessToken = await token(server.url, clientId, clientSecret);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(
          (
            await createTask(
              server.url,
              accessToken,
              form({ format: '6', model_type: 'base', rmbg: '0', callback_url: `${hooks.url}/hang` }, [{ bytes: await inputImage(i) }]),
            )
          ).body.data.task_id,
        );
      }
      // All three tasks end while their callbacks hang: tasks never wait for callbacks.
      for (const id of ids) expect((await waitForTask(server.url, accessToken, id)).body.data.state).toBe('success');
      for (let waited = 0; hanging.length < 6 && waited < 20_000; waited += 100) await sleep(100);
      // Each hanging POST was given up after about 1 s and tried again.
      expect(hanging.length).toBeGreaterThanOrEqual(6);
    } finally {
      await server.stop();
    }
  });
});
