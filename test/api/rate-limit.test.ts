// A per-client rate limit: 429 with Retry-After and the envelope, counted per client, not per address.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryTask, token } from '../helpers/api.js';
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
