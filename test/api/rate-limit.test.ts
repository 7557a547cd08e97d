// A per-client rate limit: 429 with Retry-After and the envelope, counted per client, not per address;
// sign-in limited per address before any secret is checked, and its secret checks bounded.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, queryTask, requestToken, token } from '../helpers/api.js';
import { createClientCredentials, startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ env: { DEPTHMILL_RATE_LIMIT: '5' } });
});

afterAll(async () => {
  await server?.stop();
});

it('answers 429 with Retry-After past the limit, for that client only', async () => {
  const alice = createClientCredentials(server.dataDir, 'alice');
  const bob = createClientCredentials(server.dataDir, 'bob');
  const aliceToken = await token(server.url, alice.clientId, alice.clientSecret);
  const statuses = [];
  let limited;
  for (let i = 0; i < 6; i++) {
    // Five allowed per minute, then refused.
    const answer = await queryTask(server.url, aliceToken, 'depth_20260312_8f92ab3e1cde');
    statuses.push(answer.status);
    if (answer.status === 429) limited = answer;
  }
  expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
  expect(limited!.body).toMatchObject({ code: 429, data: {} });
  expect(limited!.body.msg).toMatch(/too many requests: at most 5 per minute/);
  expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);

  // Bob, from the same address, still has his own allowance.
  const bobToken = await token(server.url, bob.clientId, bob.clientSecret);
  expect((await queryTask(server.url, bobToken, 'depth_20260312_8f92ab3e1cde')).status).toBe(404);
});

describe('sign-in', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((started) => started.stop()));
  });
  const fakeId = () => `dm_${randomBytes(12).toString('hex')}`;

  it('limits attempts per address before checking secrets, and never locks a client out by its id', async () => {
    // Listening on both stacks: 127.0.0.1 is the attacker, ::1 the client whose id it knows.
    const dual = await startServer({ env: { HOST: '::', DEPTHMILL_SIGNIN_RATE_LIMIT: '5' } });
    servers.push(dual);
    const port = new URL(dual.url).port;
    const attacker = `http://127.0.0.1:${port}`;
    const owner = `http://[::1]:${port}`;
    const victim = createClientCredentials(dual.dataDir, 'victim');

    // A fresh fake client id per attempt gets no fresh allowance.
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await requestToken(attacker, basic(fakeId(), 'guess'))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const refused = await requestToken(attacker, basic(victim.clientId, 'wrong'));
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 429, data: {} });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    // Wrong secrets sent with the victim's id cost the victim nothing.
    const signedIn = await requestToken(owner, basic(victim.clientId, victim.clientSecret));
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.data.accessToken).toBeTruthy();
  });

  it('checks a few secrets at a time and refuses a burst beyond its queue at once', async () => {
    const open = await startServer({ env: { DEPTHMILL_SIGNIN_RATE_LIMIT: '100000' } });
    servers.push(open);
    const answers = await Promise.all(Array.from({ length: 80 }, () => requestToken(open.url, basic(fakeId(), 'guess'))));
    const busy = answers.filter((answer) => answer.status === 429);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.body.msg).toMatch(/too many sign-ins at once/);
    expect(answers.filter((answer) => answer.status === 401).length).toBeGreaterThanOrEqual(17);
    // The queue drains: the next attempt is checked again.
    expect((await requestToken(open.url, basic(fakeId(), 'guess'))).status).toBe(401);
  });
});
