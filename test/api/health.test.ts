// /healthz and /readyz, as an operator's probe sees them. In the distributed run the server talks
// to PostgreSQL and Redis through TCP proxies this test owns, so it can take each away and bring
// it back: /readyz turns 503, naming the part, and 200 again.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { backendEnv, DISTRIBUTED, startServer, tempDir, type TestServer } from '../helpers/server.js';

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

async function probe(url: string, path: string) {
  const response = await fetch(`${url}${path}`);
  return { status: response.status, body: (await response.json()) as { code: number; data: Record<string, string>; msg: string } };
}

describe('probes', () => {
  it('answer without a token and outside the rate limit', async () => {
    const server = await startServer({ env: { DEPTHMILL_RATE_LIMIT: '2' } });
    servers.push(server);
    for (let i = 0; i < 5; i++) {
      expect(await probe(server.url, '/healthz')).toEqual({ status: 200, body: { code: 200, data: { status: 'ok' }, msg: 'success' } });
      expect(await probe(server.url, '/readyz')).toEqual({
        status: 200,
        body: { code: 200, data: { status: 'ready', database: 'ok', queue: 'ok', blobs: 'ok' }, msg: 'success' },
      });
    }
  });
});

/** A TCP proxy to `port` on loopback that can cut every connection and refuse new ones, then resume. */
async function tcpProxy(port: number) {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    resume() {
      open = true;
    },
    /** Stops listening and ends every connection (a server's close waits for them otherwise). */
    close() {
      open = false;
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function until(url: string, status: number) {
  for (let waited = 0; waited < 30_000; waited += 250) {
    const answer = await probe(url, '/readyz');
    if (answer.status === status) return answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`/readyz never answered ${status}`);
}

describe.skipIf(!DISTRIBUTED)('readiness when PostgreSQL or Redis goes away', () => {
  it('turns 503 naming the part, and 200 once it is back', { timeout: 120_000 }, async () => {
    const postgres = await tcpProxy(5432);
    const redis = await tcpProxy(6379);
    let server: TestServer | undefined;
    try {
      const dataDir = tempDir('ready');
      const env = backendEnv(dataDir);
      server = await startServer({
        dataDir,
        env: {
          DEPTHMILL_DB: env.DEPTHMILL_DB!.replace('127.0.0.1:5432', `127.0.0.1:${postgres.port}`),
          DEPTHMILL_QUEUE: env.DEPTHMILL_QUEUE!.replace('127.0.0.1:6379', `127.0.0.1:${redis.port}`),
        },
      });
      expect((await probe(server.url, '/readyz')).status).toBe(200);

      redis.cut();
      const noQueue = await until(server.url, 503);
      expect(noQueue.body).toMatchObject({ code: 503, data: { status: 'not ready', database: 'ok', blobs: 'ok' } });
      expect(noQueue.body.data.queue).not.toBe('ok');
      expect(noQueue.body.msg).toMatch(/^not ready: queue (unreachable|timed out)$/);
      redis.resume();
      await until(server.url, 200);

      postgres.cut();
      const noDatabase = await until(server.url, 503);
      expect(noDatabase.body.data).toMatchObject({ database: 'unreachable', queue: 'ok' });
      postgres.resume();
      expect((await until(server.url, 200)).body.data.status).toBe('ready');
    } finally {
      // Stopped while its database and queue are there: it says goodbye to both.
      await server?.stop();
      await postgres.close();
      await redis.close();
    }
  });
});
