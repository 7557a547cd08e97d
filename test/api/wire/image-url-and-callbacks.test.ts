// image_url and callback_url round trips against local HTTP servers started by the test.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCallback } from '@depthmill/client/contract';
import { createTask, download, form, token, waitForTask, type Envelope, type TaskData } from '../../helpers/api.js';
import { httpFixture, type Fixture } from '../../helpers/http-fixture.js';
import { createClientCredentials, startServer, type Credentials, type TestServer } from '../../helpers/server.js';
import { readPhoto } from '../../helpers/fixtures.js';

const PHOTO = readPhoto('opencv_orange.jpg');

interface Received {
  path: string;
  body: string;
  signature: string | undefined;
  at: number;
}

let server: TestServer;
let client: Credentials;
let accessToken: string;
let images: Fixture;
let hooks: Fixture;
const received: Received[] = [];
let failuresBeforeSuccess = new Map<string, number>();

beforeAll(async () => {
  images = await httpFixture((request, _body, response) => {
    const path = request.url ?? '/';
    if (path === '/photo.jpg') {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(PHOTO);
    } else if (path === '/missing.jpg') {
      response.writeHead(404).end('no such file');
    } else if (path === '/slow.jpg') {
      response.writeHead(200);
      response.write(PHOTO.subarray(0, 100)); // then nothing: the server must give up
    } else if (path === '/huge.jpg') {
      // No content-length: the limit must be enforced while the body streams in.
      response.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(1024 * 1024, 0xff);
      let sent = 0;
      const pump = () => {
        while (sent < 25 && response.write(chunk)) sent++;
        if (sent >= 25) response.end();
        else response.once('drain', pump);
      };
      pump();
      response.on('error', () => undefined);
    } else if (path === '/redirect.jpg') {
      response.writeHead(302, { location: '/photo.jpg' }).end();
    } else {
      response.writeHead(404).end();
    }
  });
  hooks = await httpFixture((request, body, response) => {
    const path = request.url ?? '/';
    received.push({ path, body: body.toString(), signature: request.headers['depthmill-signature'] as string | undefined, at: Date.now() });
    const failuresLeft = failuresBeforeSuccess.get(path) ?? 0;
    if (failuresLeft > 0) {
      failuresBeforeSuccess.set(path, failuresLeft - 1);
      response.writeHead(503).end('try later');
    } else {
      response.writeHead(204).end();
    }
  });
  server = await startServer({ env: { DEPTHMILL_FETCH_TIMEOUT_MS: '1500' } });
  client = createClientCredentials(server.dataDir);
  accessToken = await token(server.url, client.clientId, client.clientSecret);
});

afterAll(async () => {
  await server?.stop();
  await images?.close();
  await hooks?.close();
});

async function callbacksFor(path: string, count: number, timeoutMs = 20_000): Promise<Received[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mine = received.filter((item) => item.path === path);
    if (mine.length >= count) return mine;
    if (Date.now() > deadline) throw new Error(`${mine.length} callbacks to ${path} after ${timeoutMs} ms, wanted ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('image_url', () => {
  it('fetches the image (following a redirect) and makes its depth map', async () => {
    for (const path of ['/photo.jpg', '/redirect.jpg']) {
      const created = await createTask(
        server.url,
        accessToken,
        form({ image_url: images.url + path, format: '2', model_type: 'base', rmbg: '0' }),
      );
      expect(created.body.code, created.body.msg).toBe(200);
      const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
      expect(done.body.data.state).toBe('success');
      const meta = await sharp((await download(done.body.data.url!)).bytes).metadata();
      expect([meta.width, meta.height, meta.depth]).toEqual([1024, 1024, 'ushort']);
    }
  });

  it('refuses an unreachable, missing, too slow or too large image_url with a clear 4002xxxx', async () => {
    const cases: [string, number, number, RegExp][] = [
      [images.url + '/missing.jpg', 400, 40020006, /image_url could not be fetched \(the server answered HTTP 404\)/],
      ['http://127.0.0.1:9/closed.jpg', 400, 40020006, /image_url could not be fetched/],
      [images.url + '/slow.jpg', 400, 40020006, /within 1.5 s/],
      [images.url + '/huge.jpg', 413, 40020005, /larger than 20 MB/],
    ];
    for (const [url, status, code, message] of cases) {
      const started = Date.now();
      const result = await createTask(server.url, accessToken, form({ image_url: url, format: '1' }));
      expect(result.status, url).toBe(status);
      expect(result.body.code, url).toBe(code);
      expect(result.body.msg, url).toMatch(message);
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });
});

describe('callback_url', () => {
  it('POSTs the query-task body, signed, when a task succeeds', async () => {
    const created = await createTask(
      server.url,
      accessToken,
      form({ format: '1', model_type: 'base', callback_url: `${hooks.url}/ok` }, [{ bytes: PHOTO }]),
    );
    const taskId = created.body.data.task_id;
    const [callback] = await callbacksFor('/ok', 1);
    const body = JSON.parse(callback!.body) as Envelope<TaskData>;
    expect(body.code).toBe(200);
    expect(body.data).toMatchObject({ task_id: taskId, state: 'success', id: `${taskId}_0` });
    // The link in the callback works without a token.
    const file = await download(body.data.url!);
    expect(file.status).toBe(200);
    expect(file.bytes.readUInt32LE(0)).toBe(20000630); // OpenEXR magic number

    expect(verifyCallback(callback!.body, callback!.signature, client.clientSecret)).toBe(true);
    expect(verifyCallback(callback!.body.replace('success', 'failed'), callback!.signature, client.clientSecret)).toBe(false);
    expect(verifyCallback(callback!.body, callback!.signature, 'another-secret')).toBe(false);

    // The same body as query-task answers (apart from the freshly signed link).
    const queried = await waitForTask(server.url, accessToken, taskId);
    expect({ ...queried.body, data: { ...queried.body.data, url: undefined } }).toEqual({
      ...body,
      data: { ...body.data, url: undefined },
    });
  });

  it('POSTs a 5001001 body when a task fails', async () => {
    // PNG magic, then garbage: accepted by type, undecodable by the pipeline.
    const broken = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(500, 7)]);
    const created = await createTask(
      server.url,
      accessToken,
      form({ format: '1', callback_url: `${hooks.url}/failed` }, [{ bytes: broken }]),
    );
    expect(created.body.code).toBe(200);
    const [callback] = await callbacksFor('/failed', 1);
    const body = JSON.parse(callback!.body) as Envelope<TaskData>;
    expect(body.code).toBe(5001001);
    expect(body.msg).toMatch(/^generate failed: /);
    expect(body.data).toEqual({ task_id: created.body.data.task_id, state: 'failed' });

    const queried = await waitForTask(server.url, accessToken, created.body.data.task_id);
    expect(queried.status).toBe(200);
    expect(queried.body).toEqual(body);
  });

  it('retries with backoff until the receiver accepts', async () => {
    failuresBeforeSuccess = new Map([['/flaky', 2]]);
    await createTask(
      server.url,
      accessToken,
      form({ format: '6', model_type: 'base', rmbg: '0', callback_url: `${hooks.url}/flaky` }, [{ bytes: PHOTO }]),
    );
    const attempts = await callbacksFor('/flaky', 3);
    expect(attempts).toHaveLength(3);
    // Backoff: the second wait is longer than the first (1 s then 2 s, each with jitter).
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(400);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(900);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(received.filter((item) => item.path === '/flaky')).toHaveLength(3); // delivered: no more tries
  });
});
