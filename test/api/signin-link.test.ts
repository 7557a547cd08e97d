// The sign-in link (docs/operations.md "Signing in"): a server on loopback prints a link with a one-time secret at
// each start, which the web UI trades for a normal access token once; a server others can reach
// prints none and keeps client credentials. Traffic goes to 127.0.0.1 only, even from a server
// bound to 0.0.0.0.
import { afterAll, describe, expect, it } from 'vitest';
import { cli, printedWebUi, startServer, tempDir, type TestServer } from '../helpers/server.js';

const running: TestServer[] = [];
afterAll(async () => {
  for (const server of running) await server.stop();
});

async function serve(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const server = await startServer(options);
  running.push(server);
  return server;
}

function secretOf(link: string): string {
  return new URLSearchParams(new URL(link).hash.slice(1)).get('signin') ?? '';
}

async function redeem(baseUrl: string, secret: string) {
  const response = await fetch(`${baseUrl}/open-api/v1/auth/link`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
  return {
    status: response.status,
    body: (await response.json()) as { code: number; data: { accessToken?: string; tokenType?: string; clientId?: string }; msg: string },
  };
}

async function balanceStatus(baseUrl: string, accessToken: string): Promise<number> {
  return (await fetch(`${baseUrl}/open-api/v1/balance`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
}

describe('the sign-in link', () => {
  it('is printed on loopback, works once for a normal token, and is replaced at each start', async () => {
    const dataDir = tempDir('signin');
    const first = await serve({ dataDir });
    const link = await printedWebUi(first);
    expect(link).toMatch(new RegExp(`^${first.url}/#signin=[\\w-]{43}$`));
    const secret = secretOf(link);

    const wrong = await redeem(first.url, `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`);
    expect([wrong.status, wrong.body.code]).toEqual([401, 40010000]);

    const signedIn = await redeem(first.url, secret);
    expect(signedIn.status, signedIn.body.msg).toBe(200);
    expect(signedIn.body.data).toMatchObject({ tokenType: 'Bearer', clientId: expect.stringMatching(/^dm_/) });
    expect(await balanceStatus(first.url, signedIn.body.data.accessToken!)).toBe(200);

    // Spent: a second use (a reload, a leaked terminal) gets nothing.
    const again = await redeem(first.url, secret);
    expect([again.status, again.body.code]).toEqual([401, 40010000]);
    expect(again.body.msg).toMatch(/works once/);
    // The secret never reaches the log: the fragment is not sent, and the exchange carries it in a header.
    expect(first.output().split('depthmill web UI:')[0]!.includes(secret)).toBe(false);
    expect(first.output().split(link)[1]!.includes(secret)).toBe(false);

    // One client for the web UI, kept from start to start; its secret is never shown.
    const clients = JSON.parse(cli(dataDir, ['clients', 'list', '--json']).stdout) as { client_id: string; name: string }[];
    expect(clients).toEqual([expect.objectContaining({ client_id: signedIn.body.data.clientId, name: 'web UI (sign-in link)' })]);

    await first.stop();
    const second = await serve({ dataDir });
    const fresh = await printedWebUi(second);
    expect(secretOf(fresh)).not.toBe(secret);
    expect((await redeem(second.url, secret)).status).toBe(401);
    const next = await redeem(second.url, secretOf(fresh));
    expect(next.status, next.body.msg).toBe(200);
    expect(next.body.data.clientId).toBe(signedIn.body.data.clientId);
  });

  it('is not offered by a server others can reach: bound to 0.0.0.0, or behind a public URL', async () => {
    const others: Record<string, string>[] = [{ HOST: '0.0.0.0' }, { DEPTHMILL_PUBLIC_URL: 'https://depth.example.com' }];
    for (const env of others) {
      const server = await serve({ env });
      const printed = await printedWebUi(server);
      expect(printed, JSON.stringify(env)).toBe(`${server.url}/`);
      expect(server.output()).toMatch(/sign in with client credentials: `depthmill clients create <name>`/);
      expect(server.output()).not.toMatch(/#signin=/);
      const refused = await redeem(server.url, 'a'.repeat(43));
      expect([refused.status, refused.body.code]).toEqual([401, 40010000]);
      expect(refused.body.msg).toMatch(/offers no sign-in link/);
      await server.stop();
    }
  });
});
