// Credits, as Hitem3D has them: a client's balance (unlimited until the operator credits it), a
// task's cost taken when create-task accepts it and given back when the task fails, 30010000
// "insufficient balance" when the credits do not cover a task, and GET /open-api/v1/balance.
// Runs against SQLite (embedded) and PostgreSQL (distributed): no double spend, no lost refund.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepthmillClient, DepthmillError, INSUFFICIENT_BALANCE } from '@depthmill/client';
import { createTask, form, queryTask, token, waitForTask, type Envelope } from '../../helpers/api.js';
import { scrape, total } from '../../helpers/prometheus.js';
import { cli, cliAsync, backendEnv, createClientCredentials, startServer, type TestServer } from '../../helpers/server.js';
import { readPhoto } from '../../helpers/fixtures.js';

const photo = readPhoto('opencv_orange.jpg');

interface BalanceData {
  totalBalance: number;
  unlimited: boolean;
  costs: { depth_map: number; relief: number };
}

async function balance(server: TestServer, accessToken: string): Promise<{ status: number; body: Envelope<BalanceData> }> {
  const response = await fetch(`${server.url}/open-api/v1/balance`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: response.status, body: (await response.json()) as Envelope<BalanceData> };
}

/** A photo whose relief fails at once: fully transparent, so the background removal leaves nothing. */
const failingPhoto = () =>
  sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .png()
    .toBuffer();

function credit(server: TestServer, clientId: string, amount: number | string) {
  const result = cli(server.dataDir, ['clients', 'credit', clientId, String(amount)]);
  if (result.status !== 0) throw new Error(`clients credit failed: ${result.stderr}`);
  return result.stdout;
}

describe('credits', () => {
  let server: TestServer;

  beforeAll(async () => {
    // A relief costs more than a depth map here, so the test tells the two kinds apart.
    server = await startServer({ env: { DEPTHMILL_CREDITS_DEPTH_MAP: '1', DEPTHMILL_CREDITS_RELIEF: '3', DEPTHMILL_TASK_QUOTA: '100' } });
  });
  afterAll(() => server?.stop());

  it('leaves a client unlimited by default: tasks work and the balance says so', async () => {
    const { clientId, clientSecret } = createClientCredentials(server.dataDir, 'unmetered');
    const accessToken = await token(server.url, clientId, clientSecret);
    const before = await balance(server, accessToken);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ code: 200, data: { unlimited: true, costs: { depth_map: 1, relief: 3 } } });
    expect(before.body.data.totalBalance).toBe(2 ** 31 - 1);
    const created = await createTask(server.url, accessToken, form({ format: '2', model_type: 'base', rmbg: '0' }, [{ bytes: photo }]));
    expect(created.body.code).toBe(200);
    expect((await balance(server, accessToken)).body.data).toMatchObject({ unlimited: true, totalBalance: 2 ** 31 - 1 });
    expect(cli(server.dataDir, ['clients', 'list']).stdout).toMatch(new RegExp(`${clientId}  unmetered  unlimited`));
  });

  it("takes a task's cost at acceptance, refuses what the balance does not cover with 30010000, and refunds a failure", async () => {
    const { clientId, clientSecret } = createClientCredentials(server.dataDir, 'metered');
    const accessToken = await token(server.url, clientId, clientSecret);
    const before = await scrape(`${server.url}/metrics`);
    expect(credit(server, clientId, 4)).toContain('4 credits');
    expect((await balance(server, accessToken)).body.data).toMatchObject({ totalBalance: 4, unlimited: false });

    // A depth map costs 1: 3 left.
    const depth = await createTask(server.url, accessToken, form({ format: '2', model_type: 'base', rmbg: '0' }, [{ bytes: photo }]));
    expect(depth.body.code).toBe(200);
    expect((await balance(server, accessToken)).body.data.totalBalance).toBe(3);
    expect((await waitForTask(server.url, accessToken, depth.body.data.task_id)).body.code).toBe(200);
    expect((await balance(server, accessToken)).body.data.totalBalance).toBe(3);

    // A relief costs 3: taken (0 left), then given back when it fails.
    const failing = await createTask(
      server.url,
      accessToken,
      form({ format: '3', model_type: 'base', rmbg: '1' }, [{ bytes: await failingPhoto() }]),
    );
    expect(failing.body.code).toBe(200);
    expect((await balance(server, accessToken)).body.data.totalBalance).toBe(0);

    // Nothing left: refused with Hitem3D's code, HTTP 402, saying what it costs and what is left.
    const refused = await createTask(server.url, accessToken, form({ format: '2', model_type: 'base', rmbg: '0' }, [{ bytes: photo }]));
    expect(refused.status).toBe(402);
    expect(refused.body.code).toBe(30010000);
    expect(refused.body.msg).toMatch(/^insufficient balance: this task costs 1 credits and 0 are left/);
    expect(refused.body.data).toMatchObject({ totalBalance: 0, cost: 1 });

    expect((await waitForTask(server.url, accessToken, failing.body.data.task_id)).body.code).toBe(5001001);
    expect((await balance(server, accessToken)).body.data.totalBalance).toBe(3);
    // The operator's metrics count the same credits.
    const after = await scrape(`${server.url}/metrics`);
    const moved = (name: string, kind: string) => total(after, name, { kind }) - total(before, name, { kind });
    expect([
      moved('depthmill_credits_spent_total', 'depth_map'),
      moved('depthmill_credits_spent_total', 'relief'),
      moved('depthmill_credits_refunded_total', 'relief'),
    ]).toEqual([1, 3, 3]);
    expect(JSON.parse(cli(server.dataDir, ['clients', 'list', '--json']).stdout)).toContainEqual(
      expect.objectContaining({ client_id: clientId, balance: 3 }),
    );

    // Too few for a relief (3 left, it costs 3: accepted; then 0 < 3 refused).
    expect(
      (await createTask(server.url, accessToken, form({ format: '3', model_type: 'base', rmbg: '1' }, [{ bytes: await failingPhoto() }])))
        .body.code,
    ).toBe(200);
    expect(
      (await createTask(server.url, accessToken, form({ format: '3', model_type: 'base', rmbg: '0' }, [{ bytes: photo }]))).status,
    ).toBe(402);

    // Back to unlimited: tasks work again whatever the balance was.
    expect(cli(server.dataDir, ['clients', 'credit', clientId, '--unlimited']).status).toBe(0);
    expect(
      (await createTask(server.url, accessToken, form({ format: '2', model_type: 'base', rmbg: '0' }, [{ bytes: photo }]))).body.code,
    ).toBe(200);
  });

  it('never spends the same credits twice nor loses a refund, however many requests race', { timeout: 180_000 }, async () => {
    const { clientId, clientSecret } = createClientCredentials(server.dataDir, 'racer');
    const accessToken = await token(server.url, clientId, clientSecret);
    credit(server, clientId, 5);
    const failing = await failingPhoto();
    // 16 reliefs of 3 credits each at once against 5 credits: exactly one fits (a relief of the
    // photo takes seconds, so no refund can free credits during the burst).
    const attempts = await Promise.all(
      Array.from({ length: 16 }, () =>
        createTask(server.url, accessToken, form({ format: '3', model_type: 'base', rmbg: '0' }, [{ bytes: photo }])),
      ),
    );
    const accepted = attempts.filter((attempt) => attempt.body.code === 200);
    expect(accepted).toHaveLength(1);
    expect(attempts.filter((attempt) => attempt.status === 402 && attempt.body.code === 30010000)).toHaveLength(15);
    expect((await balance(server, accessToken)).body.data.totalBalance).toBe(2);

    // Cheap tasks that fail, racing with the operator's credits: every refund and every credit lands.
    credit(server, clientId, 6);
    const creates = Array.from({ length: 10 }, () =>
      createTask(server.url, accessToken, form({ format: '2', model_type: 'base', rmbg: '1' }, [{ bytes: failing }])),
    );
    const credits = Array.from({ length: 4 }, () => cliAsync(['clients', 'credit', clientId, '1'], backendEnv(server.dataDir)));
    const [created, credited] = await Promise.all([Promise.all(creates), Promise.all(credits)]);
    expect(credited.map((result) => result.status)).toEqual([0, 0, 0, 0]);
    const ids = created.filter((attempt) => attempt.body.code === 200).map((attempt) => attempt.body.data.task_id);
    // Between 10 (all accepted) and 8 (only what the balance covered before the credits arrived).
    expect(ids.length).toBeGreaterThanOrEqual(8);
    const relief = await waitForTask(server.url, accessToken, accepted[0]!.body.data.task_id);
    const ended = await Promise.all(ids.map((id) => waitForTask(server.url, accessToken, id)));
    // Whatever each task's end (a depth map of a transparent photo may fail or not), the balance
    // holds what was credited less what the tasks that succeeded cost.
    const spent = (relief.body.code === 200 ? 3 : 0) + ended.filter((end) => end.body.code === 200).length;
    expect((await balance(server, accessToken)).body.data.totalBalance).toBe(5 + 6 + 4 - spent);
  });

  it('works through the SDK: balance(), and createTask rejects with the insufficient-balance code', async () => {
    const credentials = createClientCredentials(server.dataDir, 'sdk');
    const client = new DepthmillClient({ baseUrl: server.url, ...credentials });
    expect(await client.balance()).toEqual({ totalBalance: 2 ** 31 - 1, unlimited: true, costs: { depthMap: 1, relief: 3 } });
    credit(server, credentials.clientId, 1);
    expect(await client.balance()).toMatchObject({ totalBalance: 1, unlimited: false });
    const taskId = await client.createTask({ file: photo, format: 'png', modelType: 'base', rmbg: false });
    expect((await client.balance()).totalBalance).toBe(0);
    const error = await client
      .createTask({ file: photo, format: 'png', modelType: 'base', rmbg: false })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DepthmillError);
    expect(error).toMatchObject({ code: INSUFFICIENT_BALANCE, status: 402 });
    expect((error as Error).message).toMatch(/^insufficient balance/);
    // The generic query-task answers the depth task like the depth route.
    await client.waitForTask(taskId);
    const generic = await fetch(`${server.url}/open-api/v1/query-task?task_id=${taskId}`, {
      headers: { authorization: `Bearer ${await client.accessToken()}` },
    });
    const depth = await queryTask(server.url, await client.accessToken(), taskId);
    const body = (await generic.json()) as Envelope<{ state: string }>;
    expect(body.data.state).toBe('success');
    expect({ ...body, data: { ...body.data, url: undefined } }).toEqual({ ...depth.body, data: { ...depth.body.data, url: undefined } });
  });
});
