// HTTPS (DEPTHMILL_TLS_CERT / DEPTHMILL_TLS_KEY): a server started with a certificate this test
// makes answers a client that trusts it, whole round trip included, and refuses everyone else: a
// client that does not trust the certificate, and plain HTTP on the same port. It stays HTTP/1.1
// with the HTTP/1 server's slow-request protection, and a half-configured TLS stops the start.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepthmillClient, DepthmillError } from '@depthmill/client';
import { createTask, download, form, waitForTask } from '../helpers/api.js';
import { cliAsync, signIn, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';
import { makeSelfSignedCertificate, type CertificateFiles } from '../helpers/tls.js';

const PHOTO = readPhoto('opencv_apple.jpg');
const REQUEST_TIMEOUT_MS = 3000;

let certificate: CertificateFiles;
let ca: Buffer;
let server: TestServer;
let port: number;

beforeAll(async () => {
  certificate = makeSelfSignedCertificate(tempDir('tls'));
  ca = readFileSync(certificate.cert);
  server = await startServer({
    env: {
      DEPTHMILL_TLS_CERT: certificate.cert,
      DEPTHMILL_TLS_KEY: certificate.key,
      DEPTHMILL_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    },
  });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.stop();
});

/** Runs `body` with this process's fetch (the API helpers' too) trusting the test certificate, checks on. */
async function trustingTheCertificate<T>(body: () => Promise<T>): Promise<T> {
  const previous: Dispatcher = getGlobalDispatcher();
  const trusting = new Agent({ connect: { ca } });
  setGlobalDispatcher(trusting);
  try {
    return await body();
  } finally {
    setGlobalDispatcher(previous);
    await trusting.close();
  }
}

describe('an HTTPS server', () => {
  it('reports an https:// URL', () => {
    expect(server.url).toBe(`https://127.0.0.1:${port}`);
    expect(server.output()).toContain(`depthmill listening on https://127.0.0.1:${port}`);
  });

  it('answers a client that trusts its certificate: token, create-task, query-task, an https download link', async () => {
    await trustingTheCertificate(async () => {
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);

      const { accessToken } = await signIn(server);
      const created = await createTask(
        server.url,
        accessToken,
        form({ format: '2', model_type: 'base', rmbg: '0' }, [{ bytes: PHOTO, name: 'apple.jpg', type: 'image/jpeg' }]),
      );
      expect(created.body.code).toBe(200);
      const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
      expect(done.body.data.state).toBe('success');
      expect(done.body.data.url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${port}/files/`));

      const file = await download(done.body.data.url!);
      expect(file.status).toBe(200);
      expect(file.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    });
  });

  it('serves the next requests after refusing an upload it did not read to the end', async () => {
    await trustingTheCertificate(async () => {
      const { accessToken } = await signIn(server, 'uploader');
      const photo = { bytes: PHOTO, name: 'apple.jpg', type: 'image/jpeg' };
      // A second image is refused mid-body, a token before the body is read at all. Left unread,
      // the rest of such a body stalled the connection over TLS: the request after next, sent on
      // it once the client had written the body, hung (seen in the https project's contract run
      // and by a plain script; timing-dependent, so not reliably here). Closing the connection
      // instead failed the token case: the client, still writing, got EPIPE, not the 401.
      for (const refused of [
        { accessToken, images: [photo, photo], code: 40020009 },
        { accessToken: 'not-a-jwt', images: [photo], code: 401 },
      ]) {
        for (let round = 0; round < 3; round++) {
          expect((await createTask(server.url, refused.accessToken, form({ format: '1' }, refused.images))).body.code).toBe(refused.code);
          for (let next = 0; next < 2; next++) {
            const notAnImage = await createTask(
              server.url,
              accessToken,
              form({ format: '1' }, [{ bytes: Buffer.from('not an image'), name: 'a.png' }]),
            );
            expect(notAnImage.body.code).toBe(40020004);
          }
        }
      }
    });
  }, 20_000);

  it('is refused by a client that does not trust its certificate (a certificate error, not an answer)', async () => {
    const error = await fetch(`${server.url}/healthz`).then(
      () => undefined,
      (failure: unknown) => failure as Error & { cause?: { code?: string } },
    );
    expect(error?.cause?.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    // The SDK (and `generate --server`) says it is the certificate, and how to trust it.
    const sdk = new DepthmillClient({ baseUrl: server.url, clientId: 'dm_x', clientSecret: 'secret' });
    const refused = (await sdk.accessToken().catch((failure: unknown) => failure)) as Error;
    expect(refused).toBeInstanceOf(DepthmillError);
    expect(refused.message).toMatch(/TLS certificate this client does not trust .*NODE_EXTRA_CA_CERTS/);
  });

  it('gives plain HTTP on the same port no API answer', async () => {
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('speaks HTTP/1.1, not HTTP/2, to a client that offers both', async () => {
    const protocol = await new Promise<string | false | null>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
        resolve(socket.alpnProtocol);
        socket.end();
      });
      socket.once('error', reject);
    });
    expect(protocol).toBe('http/1.1');
  });

  it('keeps the slow-request protection: headers that never end get 408 at DEPTHMILL_REQUEST_TIMEOUT_MS', async () => {
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca }, () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.once('close', () => resolve(text));
      socket.once('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 408, data: {} });
    // Within the time, not at Node's defaults: Fastify gives node:https only its `https` options,
    // so without headersTimeout and connectionsCheckingInterval there the 408 came after 30 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 500);
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 5000);
  });

  it('closes a connection that stops in the middle of its handshake at DEPTHMILL_REQUEST_TIMEOUT_MS, not after 120 s', async () => {
    /** How long the server keeps a raw TCP connection that sent these bytes and then nothing. */
    const heldFor = (bytes: Buffer) =>
      new Promise<number>((resolve) => {
        const started = Date.now();
        const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
        const giveUp = setTimeout(() => socket.destroy(), 30_000);
        socket.resume();
        socket.on('error', () => undefined); // a reset is a close too
        socket.once('close', () => {
          clearTimeout(giveUp);
          resolve(Date.now() - started);
        });
      });
    const [silent, halfHello] = await Promise.all([
      heldFor(Buffer.alloc(0)),
      // A handshake record announcing a 512-byte ClientHello, and 4 bytes of it.
      heldFor(Buffer.from('1603010200' + '010001fc', 'hex')),
    ]);
    expect(silent).toBeLessThan(REQUEST_TIMEOUT_MS + 5000);
    expect(halfHello).toBeLessThan(REQUEST_TIMEOUT_MS + 5000);
  }, 40_000);

  it('keeps upgrade-insecure-requests in the policy of /docs, which it serves over HTTPS', async () => {
    await trustingTheCertificate(async () => {
      const docs = await fetch(`${server.url}/docs/`);
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-security-policy')).toMatch(/upgrade-insecure-requests/);
    });
  });
});

describe('a TLS configuration that cannot work stops `depthmill serve`', () => {
  const serve = (args: string[]) =>
    cliAsync(['serve', '--port', '0', ...args], { DEPTHMILL_DATA: tempDir('tls-refused'), DEPTHMILL_LOG_LEVEL: 'warn' });

  it('a certificate without its key, naming DEPTHMILL_TLS_KEY', async () => {
    const result = await serve(['--tls-cert', certificate.cert]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/DEPTHMILL_TLS_CERT is set but DEPTHMILL_TLS_KEY is not/);
    expect(result.stdout).not.toMatch(/listening/);
  });

  it('a key file that cannot be read, naming the variable and the path', async () => {
    const missing = join(tempDir('tls-missing'), 'key.pem');
    const result = await serve(['--tls-cert', certificate.cert, '--tls-key', missing]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`DEPTHMILL_TLS_KEY: cannot read ${missing} (ENOENT)`);
  });
});
