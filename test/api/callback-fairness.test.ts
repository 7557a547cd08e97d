// One client's dead callback endpoint must cost other clients nothing: deliveries are taken per
// client in turn, and a POST that hangs holds only its own client's places.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, form, token, waitForTask } from '../helpers/api.js';
import { httpFixture, type Fixture } from '../helpers/http-fixture.js';
import { createClientCredentials, startServer, type TestServer } from '../helpers/server.js';

// PNG magic, then garbage: accepted by type, fails at once in the pipeline (a failure is called back too).
const BROKEN = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(500, 7)]);
const DEAD_TASKS = 40;

let server: TestServer;
let dead: Fixture;
let live: Fixture;
let hanging = 0;
const delivered: { body: string; at: number }[] = [];

beforeAll(async () => {
  // Takes the POST and never answers: each attempt waits out the callback timeout (10 s).
  dead = await httpFixture(() => {
    hanging++;
  });
  live = await httpFixture((_request, body, response) => {
    delivered.push({ body: body.toString(), at: Date.now() });
    response.writeHead(204).end();
  });
  server = await startServer({ env: { DEPTHMILL_TASK_QUOTA: '100' } });
});

afterAll(async () => {
  await dead?.close();
  await server?.stop();
  await live?.close();
});

describe('callbacks of several clients', () => {
  it("are not delayed by another client's endpoint that never answers", { timeout: 120_000 }, async () => {
    const slow = createClientCredentials(server.dataDir, 'dead-endpoint');
    const slowToken = await token(server.url, slow.clientId, slow.clientSecret);
    const ids: string[] = [];
    for (let i = 0; i < DEAD_TASKS; i++) {
      const created = await createTask(
        server.url,
        slowToken,
        form({ format: '1', callback_url: `${dead.url}/hook/${i}` }, [{ bytes: BROKEN }]),
      );
      expect(created.body.code, created.body.msg).toBe(200);
      ids.push(created.body.data.task_id);
    }
    for (const id of ids) expect((await waitForTask(server.url, slowToken, id)).body.data.state).toBe('failed');
    // The dead endpoint is being tried now: its POSTs hang.
    for (const deadline = Date.now() + 10_000; hanging === 0 && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(hanging).toBeGreaterThan(0);

    const other = createClientCredentials(server.dataDir, 'live-endpoint');
    const otherToken = await token(server.url, other.clientId, other.clientSecret);
    const created = await createTask(server.url, otherToken, form({ format: '1', callback_url: `${live.url}/hook` }, [{ bytes: BROKEN }]));
    expect(created.body.code, created.body.msg).toBe(200);
    const ended = await waitForTask(server.url, otherToken, created.body.data.task_id);
    const endedAt = Date.now();
    expect(ended.body.data.state).toBe('failed');

    // Promptly: a wait behind the dead endpoint's batches took 10 s per 20 of its callbacks.
    for (const deadline = endedAt + 30_000; delivered.length === 0 && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(delivered).toHaveLength(1);
    expect(JSON.parse(delivered[0]!.body)).toMatchObject({ code: 5001001, data: { task_id: created.body.data.task_id, state: 'failed' } });
    expect(delivered[0]!.at - endedAt).toBeLessThan(5_000);
  });
});
