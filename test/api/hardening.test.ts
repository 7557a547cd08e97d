// What a hostile or clumsy client sent that used to break the embedded server (issue 16): each
// answered in the envelope with a clear code, nothing read that need not be, nothing left readable
// by others, nothing logged as the server's fault that was the client's.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, download, form, waitForTask } from '../helpers/api.js';
import { DISTRIBUTED, signIn, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

let server: TestServer;
let accessToken: string;
let port: number;

beforeAll(async () => {
  server = await startServer({ env: { DEPTHMILL_REQUEST_TIMEOUT_MS: '2000', DEPTHMILL_LOG_LEVEL: 'info' } });
  port = Number(new URL(server.url).port);
  ({ accessToken } = await signIn(server));
});

afterAll(async () => {
  await server?.stop();
});

/** One raw HTTP exchange: what is written, and everything the server answers until it closes. */
function raw(write: (socket: import('node:net').Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => write(socket));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function envelopeOf(answer: string): { status: number; body: { code: number; data: unknown; msg: string } } {
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1]);
  return { status, body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { code: number; data: unknown; msg: string } };
}

describe('answers in the envelope', () => {
  it('a lone % in a download path (400, not a 500 with a stack)', async () => {
    for (const path of ['/files/results/a%.png?expires=1&signature=x', '/files/%?expires=1', '/files/results/%E0%A4%A.png']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(400);
      expect(await response.json()).toEqual({ code: 40020003, data: {}, msg: expect.stringMatching(/URL is not valid/) });
    }
    expect(server.output()).not.toMatch(/URIError/);
  });

  it('a URL the router cannot decode, without echoing it (nor its signature)', async () => {
    const response = await fetch(`${server.url}/open-api/v1/depth/query-task/%E0%A4%A?signature=s3cr3tsignature`);
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ code: 40020003, data: {} });
    expect(text).not.toMatch(/s3cr3tsignature/);
  });

  it('an HTTP/1.1 request without Host, or any request with two (400, not an empty 400 or a 200)', async () => {
    for (const [head, msg] of [
      ['GET /healthz HTTP/1.1', /an HTTP\/1\.1 request needs a Host header/],
      ['GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: other.example', /more than one Host header/],
      ['GET /nope HTTP/1.0\r\nHost: a\r\nhost: a', /more than one Host header/],
    ] as const) {
      const answer = await raw((socket) => socket.end(`${head}\r\n\r\n`));
      expect(envelopeOf(answer), head).toEqual({ status: 400, body: { code: 40020003, data: {}, msg: expect.stringMatching(msg) } });
      expect(answer, head).toMatch(/\r\nconnection: close\r\n/i);
    }
    // HTTP/1.0 may leave it out (RFC 9112 3.2).
    const old = await raw((socket) => socket.end('GET /healthz HTTP/1.0\r\n\r\n'));
    expect(envelopeOf(old)).toMatchObject({ status: 200, body: { code: 200 } });
  });

  // Embedded only for now: against the distributed suite's server the same raw request is closed
  // with no answer at all (seen at the end of the session that wrote this; not yet explained).
  it('a /docs/static path that climbs out of its folder or holds a NUL byte (404, logged at info)', async () => {
    const before = server.output().length;
    // Sent as written (curl --path-as-is): fetch() would resolve the dot segments first. The socket
    // stays open for the answer, as curl's does: a client that half-closes first has its request
    // aborted by Node's HTTP server (httpAllowHalfOpen is off) whenever an answer takes a turn of
    // the event loop, as the distributed rate limit's Redis call does.
    const paths = [
      '/docs/static/../../../../package.json',
      '/docs/static/%2e%2e/%2e%2e/package.json',
      '/docs/static/index.html%00',
      '/docs/static/swagger-ui.css%00.map',
    ];
    for (const path of paths) {
      const answer = await raw((socket) => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
      expect(envelopeOf(answer), path).toEqual({ status: 404, body: { code: 404, data: {}, msg: `not found: GET ${path}` } });
    }
    // The file server's other refusal: a Range past the end of one of its files.
    const beyond = await fetch(`${server.url}/docs/static/swagger-ui.css`, { headers: { range: 'bytes=99999999-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toMatch(/^bytes \*\/\d+$/);
    expect(await beyond.json()).toEqual({ code: 416, data: {}, msg: 'requested range not satisfiable' });
    // And a condition the file does not meet: 412, not a server fault.
    const stale = await fetch(`${server.url}/docs/static/swagger-ui.css`, { headers: { 'if-match': '"not-its-etag"' } });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toEqual({ code: 412, data: {}, msg: 'precondition failed' });
    // Each is one request line at info; none an error with a stack.
    await expect.poll(() => server.output().slice(before), { timeout: 5000 }).toMatch(/"status":416/);
    expect(server.output().slice(before)).not.toMatch(/"level":50|unexpected error/);
  });

  it('headers too large (431)', async () => {
    const answer = await raw((socket) =>
      socket.end(`GET /open-api/v1/depth/query-task HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    );
    expect(envelopeOf(answer)).toEqual({ status: 431, body: { code: 431, data: {}, msg: 'request headers too large' } });
  });

  it('a body trickled in too slowly is cut off (408) at DEPTHMILL_REQUEST_TIMEOUT_MS', async () => {
    const started = Date.now();
    const answer = await raw((socket) => {
      socket.write('POST /open-api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n');
      const timer = setInterval(() => (socket.writable ? socket.write('a') : clearInterval(timer)), 500);
      socket.on('close', () => clearInterval(timer));
    });
    expect(envelopeOf(answer)).toMatchObject({ status: 408, body: { code: 408, data: {} } });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

/**
 * POSTs `megabytes` of zeros a megabyte at a time (as a slow client would), and resolves with the
 * answer as soon as it comes, and how many megabytes had been sent by then.
 */
function offerBody(
  path: string,
  headers: Record<string, string>,
  megabytes: number,
): Promise<{ status: number; body: { code: number; msg: string }; sent: number }> {
  let sent = 0;
  return new Promise((resolve, reject) => {
    const upload = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path,
      headers: { ...headers, 'content-length': megabytes * 1024 * 1024 },
    });
    upload.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => {
        resolve({ status: response.statusCode!, body: JSON.parse(text) as { code: number; msg: string }, sent });
        upload.destroy();
      });
    });
    upload.on('error', (error) => (sent < megabytes ? undefined : reject(error)));
    const send = () => {
      if (sent >= megabytes || upload.destroyed) return;
      sent++;
      upload.write(Buffer.alloc(1024 * 1024), () => setTimeout(send, 50));
    };
    send();
  });
}

describe('body limits before authentication', () => {
  it('refuses a large sign-in body by its declared length, without reading it', async () => {
    const answer = await offerBody('/open-api/v1/auth/token', { 'content-type': 'application/octet-stream' }, 20);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      code: 40020003,
      msg: expect.stringMatching(/body too large for this route \(at most 1024 bytes\)/),
    });
    expect(answer.sent).toBeLessThan(10);
  });

  it('answers create-task without a token, or with a body that is not multipart, before the body is sent', async () => {
    const anonymous = await offerBody('/open-api/v1/depth/create-task', { 'content-type': 'multipart/form-data; boundary=x' }, 50);
    expect(anonymous.status).toBe(401);
    expect(anonymous.sent).toBeLessThan(25);
    const notMultipart = await offerBody(
      '/open-api/v1/depth/create-task',
      { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      50,
    );
    expect(notMultipart.status).toBe(400);
    expect(notMultipart.body.code).toBe(40020008);
    expect(notMultipart.sent).toBeLessThan(25);
  });
});

describe('create-task fields', () => {
  it('refuses a text field longer than 4096 bytes, naming it, instead of cutting it', async () => {
    for (const [name, value] of [
      ['callback_url', `http://localhost/${'a'.repeat(4100)}`],
      ['image_url', `http://localhost/${'b'.repeat(5000)}.jpg`],
    ]) {
      const answer = await createTask(server.url, accessToken, form({ format: '2', [name!]: value! }));
      expect(answer.status, name).toBe(400);
      expect(answer.body).toMatchObject({ code: 40020003, msg: `invalid parameter: ${name} is longer than 4096 bytes` });
    }
  });
});

describe('a client that hangs up mid-upload', () => {
  it('is logged as the client leaving, not as an unexpected error', async () => {
    await new Promise<void>((resolve) => {
      const upload = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/open-api/v1/depth/create-task',
        headers: {
          authorization: `Bearer ${accessToken}`,
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': 10_000_000,
        },
      });
      upload.on('error', () => resolve());
      upload.write('--x\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n');
      upload.write(Buffer.alloc(200_000), () => setTimeout(() => upload.destroy(), 200));
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(server.output()).not.toMatch(/unexpected error/);
    expect(server.output()).toMatch(/client disconnected before the request was read/);
  });
});

describe('downloads', () => {
  it('serve Range requests, HEAD and conditional GETs from the file, and refuse a range past its end', async () => {
    const photo = readPhoto('opencv_apple.jpg');
    const created = await createTask(server.url, accessToken, form({ format: '3', model_type: 'base', rmbg: '0' }, [{ bytes: photo }]));
    const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
    const url = done.body.data.url!;
    const whole = await download(url);
    expect(whole.status).toBe(200);
    const size = whole.bytes.length;
    expect(size).toBeGreaterThan(1000);
    if (DISTRIBUTED) return; // S3 serves its own links, Range and all

    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const part = await fetch(url, { headers: { range: 'bytes=100-599' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-599/${size}`);
    expect(part.headers.get('content-type')).toBe('model/stl');
    expect(Buffer.from(await part.arrayBuffer())).toEqual(whole.bytes.subarray(100, 600));
    const tail = await fetch(url, { headers: { range: 'bytes=-84' } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(whole.bytes.subarray(size - 84));

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(size);
    expect(head.headers.get('content-disposition')).toMatch(/attachment; filename=".+_0\.stl"/);
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    // (fetch() would add Cache-Control: no-cache to a conditional request: plain node:http here.)
    const etag = whole.headers.get('etag')!;
    const revalidated = await new Promise<number>((resolve, reject) => {
      httpRequest(url, { headers: { 'if-none-match': etag } }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(revalidated).toBe(304);

    const beyond = await fetch(url, { headers: { range: `bytes=${size + 10}-${size + 20}` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
    expect(beyond.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await beyond.json()).toMatchObject({ code: 416, data: {} });
  });
});

describe.skipIf(DISTRIBUTED)('files on disk', () => {
  it('keeps the database (it holds the signing key) and the blobs to the owner: 0600 files, 0700 folders', async () => {
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(join(server.dataDir, 'depthmill.sqlite'))).toBe(0o600);
    expect(mode(join(server.dataDir, 'depthmill.sqlite-wal'))).toBe(0o600);
    const created = await createTask(
      server.url,
      accessToken,
      form({ format: '2', model_type: 'base' }, [
        {
          bytes: Buffer.from(
            await (
              await fetch(
                'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
              )
            ).arrayBuffer(),
          ),
        },
      ]),
    );
    expect(created.body.code, created.body.msg).toBe(200);
    expect(mode(join(server.dataDir, 'blobs'))).toBe(0o700);
    expect(mode(join(server.dataDir, 'blobs/inputs'))).toBe(0o700);
    expect(mode(join(server.dataDir, `blobs/inputs/${created.body.data.task_id}`))).toBe(0o600);
  });

  it('removes at start-up the half-written files of a process killed mid-write', async () => {
    const dataDir = tempDir('partials');
    mkdirSync(join(dataDir, 'blobs/inputs'), { recursive: true });
    const leftover = join(dataDir, 'blobs/inputs/depth_20261204_0123456789ab.partial-999999999');
    const ours = join(dataDir, `blobs/inputs/depth_20261204_0123456789ac.partial-${process.pid}`); // a live process's
    writeFileSync(leftover, 'half');
    writeFileSync(ours, 'half');
    const restarted = await startServer({ dataDir });
    try {
      expect(existsSync(leftover)).toBe(false);
      expect(existsSync(ours)).toBe(true);
    } finally {
      await restarted.stop();
    }
  });
});
