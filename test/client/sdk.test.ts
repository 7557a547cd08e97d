// The SDK as a user's program meets it: imported by its package name (`@depthmill/client`, its
// export map), against the real server, with a real webhook receiver. Installed alone from its
// tarball: test/client/sdk-package.test.ts.
import type { IncomingHttpHeaders } from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DepthmillClient,
  DepthmillError,
  TASK_FAILED,
  TASK_NOT_FOUND,
  taskFields,
  verifyCallback,
  type TaskState,
} from '@depthmill/client';
import * as serverPackageClient from 'depthmill/client';
import { httpFixture, type Fixture } from '../helpers/http-fixture.js';
import { createClientCredentials, printedWebUi, startServer, type Credentials, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

const APPLE = readPhoto('opencv_apple.jpg'); // 512 × 512
const COFFEE = readPhoto('skimage_coffee.png'); // 600 × 400
const STATE_ORDER: TaskState[] = ['created', 'queueing', 'processing', 'success', 'failed'];

let server: TestServer;
let credentials: Credentials;
let fixture: Fixture;
const callbacks: { body: Buffer; headers: IncomingHttpHeaders }[] = [];
const callbackWaiters: (() => void)[] = [];

function nextCallback(count: number): Promise<(typeof callbacks)[number]> {
  return new Promise((resolve) => {
    const check = () => (callbacks.length >= count ? (resolve(callbacks[count - 1]!), true) : false);
    if (!check()) callbackWaiters.push(() => void check());
  });
}

beforeAll(async () => {
  fixture = await httpFixture((request, body, response) => {
    if (request.method === 'GET' && request.url === '/coffee.png') {
      response.writeHead(200, { 'content-type': 'image/png' }).end(COFFEE);
    } else if (request.method === 'POST' && request.url === '/hook') {
      callbacks.push({ body, headers: request.headers });
      callbackWaiters.forEach((wake) => wake());
      response.writeHead(204).end();
    } else {
      response.writeHead(404).end();
    }
  });
  // The fixture lives on loopback, which the server refuses to fetch or call unless allowed.
  server = await startServer({ env: { DEPTHMILL_FETCH_ALLOWLIST: '127.0.0.1' } });
  credentials = createClientCredentials(server.dataDir, 'sdk');
});

afterAll(async () => {
  await server?.stop();
  await fixture?.close();
});

function client(extra: Partial<ConstructorParameters<typeof DepthmillClient>[0]> = {}) {
  return new DepthmillClient({ baseUrl: server.url, clientId: credentials.clientId, clientSecret: credentials.clientSecret, ...extra });
}

describe('@depthmill/client against a real server', () => {
  it('is also depthmill/client, the name programs written before the SDK had its own package import', () => {
    expect(serverPackageClient.DepthmillClient).toBe(DepthmillClient);
    expect(serverPackageClient.verifyCallback).toBe(verifyCallback);
  });

  it('creates a task from a file, reports progress, downloads the result and gets a verifiable callback', async () => {
    const tokens: string[] = [];
    const sdk = client({ onToken: (token) => tokens.push(token) });
    const taskId = await sdk.createTask({
      file: APPLE,
      filename: 'apple.jpg',
      format: 'png',
      modelType: 'base',
      rmbg: false,
      callbackUrl: `${fixture.url}/hook`,
    });
    expect(taskId).toMatch(/^depth_\d{8}_[0-9a-f]{12}$/);

    const seen: { state: TaskState; progress: number | undefined }[] = [];
    const task = await sdk.waitForTask(taskId, { onProgress: ({ state, progress }) => seen.push({ state, progress }), intervalMs: 100 });
    expect(task).toMatchObject({ taskId, state: 'success', id: `${taskId}_0`, progress: 100 });
    expect(seen.at(-1)).toEqual({ state: 'success', progress: 100 });
    // Reported once per change of state or progress, in the API's order, progress never going back.
    const order = seen.map(({ state }) => STATE_ORDER.indexOf(state));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const steps = seen.map(({ state, progress }) => `${state} ${progress}`);
    expect(new Set(steps).size).toBe(steps.length);
    const progress = seen.map((step) => step.progress!);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const png = await sdk.download(task);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.depth, meta.width, meta.height, meta.channels]).toEqual(['png', 'ushort', 1024, 1024, 1]);

    // One token served every call: it was cached, not asked for each time.
    expect(tokens).toHaveLength(1);

    const { body, headers } = await nextCallback(1);
    expect(JSON.parse(body.toString())).toMatchObject({ code: 200, data: { task_id: taskId, state: 'success' } });
    expect(verifyCallback(body, headers, credentials.clientSecret)).toBe(true);
    expect(verifyCallback(body.toString(), headers['depthmill-signature'] as string, credentials.clientSecret)).toBe(true);
    expect(verifyCallback(body, headers, 'another-secret')).toBe(false);
    expect(verifyCallback(body.toString().replace('"success"', '"failed"'), headers, credentials.clientSecret)).toBe(false);
    expect(verifyCallback(body, {}, credentials.clientSecret)).toBe(false);
  });

  it('creates a task from a URL, and queryTask gives a fresh link each time', async () => {
    const sdk = client();
    const taskId = await sdk.createTask({ url: `${fixture.url}/coffee.png`, format: 'bmp', modelType: 'base', rmbg: false });
    const task = await sdk.waitForTask(taskId, { intervalMs: 100 });
    const bmp = await sdk.download(task.url);
    // BMP: "BM", then the size; 8-bit grey at 1024 × 683 (600 × 400 scaled to a long side of 1024).
    expect(Buffer.from(bmp.subarray(0, 2)).toString('latin1')).toBe('BM');
    expect(new DataView(bmp.buffer, bmp.byteOffset).getInt32(18, true)).toBe(1024);
    expect(Math.abs(new DataView(bmp.buffer, bmp.byteOffset).getInt32(22, true))).toBe(683);
    const again = await sdk.queryTask(taskId);
    expect(again.state).toBe('success');
    expect(again.url).toMatch(/^http:\/\//);
  });

  it('rejects waitForTask with the reason when a task fails, and queryTask reports it', async () => {
    const sdk = client();
    const truncated = APPLE.subarray(0, 4000); // a JPEG cut short: accepted by its magic bytes, undecodable
    const taskId = await sdk.createTask({ file: truncated, filename: 'cut.jpg', format: 'exr', modelType: 'base' });
    const failure = await sdk.waitForTask(taskId, { intervalMs: 100 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DepthmillError);
    expect(failure).toMatchObject({ code: TASK_FAILED, taskId });
    expect((failure as Error).message).toMatch(/could not be decoded/);
    expect(await sdk.queryTask(taskId)).toMatchObject({ taskId, state: 'failed', error: expect.stringMatching(/could not be decoded/) });
    await expect(sdk.download({ taskId, state: 'failed' })).rejects.toThrow(/nothing to download/);
  });

  it('names the bad field when the server refuses a parameter', async () => {
    const error = await client()
      .createTask({ file: APPLE, format: 'stl', width: 5 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DepthmillError);
    expect(error).toMatchObject({ code: 40020003, status: 400 });
    expect((error as Error).message).toMatch(/width must be a number from 20 to 600/);
  });

  it("sends the user's mask (a Blob, as a browser has it) and a subject box, which shape the cut", async () => {
    const sdk = client();
    // A disc at the base output size (1024 × 1024 for the 512 × 512 apple).
    const disc = await sharp(
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024"><rect width="1024" height="1024"/><circle cx="500" cy="540" r="300" fill="#fff"/></svg>',
      ),
    )
      .threshold(128)
      .toColourspace('b-w')
      .png()
      .toBuffer();
    const masked = await sdk.createTask({
      file: APPLE,
      filename: 'apple.jpg',
      mask: new Blob([disc], { type: 'image/png' }),
      maskFilename: 'disc.png',
      format: 'png',
      modelType: 'base',
    });
    const alphaOf = async (png: Uint8Array) => sharp(png).extractChannel('alpha').toColourspace('b-w').raw().toBuffer();
    const maskAlpha = await alphaOf(await sdk.download(await sdk.waitForTask(masked, { intervalMs: 100 })));
    expect(maskAlpha.equals(await sharp(disc).extractChannel(0).raw().toBuffer())).toBe(true);

    const boxed = await sdk.createTask({ file: APPLE, format: 'png', modelType: 'base', subjectBox: [0, 0, 0.5, 1] });
    const boxAlpha = await alphaOf(await sdk.download(await sdk.waitForTask(boxed, { intervalMs: 100 })));
    let right = 0;
    for (let i = 0; i < boxAlpha.length; i++) if (boxAlpha[i]! > 127 && i % 1024 > 0.51 * 1024) right++;
    expect(right).toBe(0);
    expect(boxAlpha.filter((level) => level > 127).length).toBeGreaterThan(0.05 * boxAlpha.length);

    // The form field, with plain decimals whatever the number; refused by the server without rmbg.
    expect(taskFields({ format: 'png', subjectBox: [0.1, 1e-7, 0.75, 1] }).subject_box).toBe('0.1,0,0.75,1');
    await expect(sdk.createTask({ file: APPLE, format: 'png', rmbg: false, subjectBox: [0, 0, 1, 1] })).rejects.toMatchObject({
      code: 40020003,
      message: expect.stringMatching(/subject_box only applies when the background is removed/),
    });
  });

  it('replaces a token the server refuses, once, and reports wrong credentials clearly', async () => {
    const tokens: string[] = [];
    const sdk = client({ accessToken: 'a.stale.token', onToken: (token) => tokens.push(token) });
    await expect(sdk.queryTask('depth_20260101_000000000000')).rejects.toMatchObject({ code: TASK_NOT_FOUND, status: 404 });
    expect(TASK_NOT_FOUND).toBe(40040000);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).not.toBe('a.stale.token');
    expect(await sdk.accessToken()).toBe(tokens[0]);

    const wrong = client({ clientSecret: 'not-the-secret' });
    await expect(wrong.createTask({ file: APPLE, format: 'png' })).rejects.toMatchObject({ code: 40010000, status: 401 });
  });

  it('signs in with the printed sign-in link, once, and says which depth model serves', async () => {
    const link = await printedWebUi(server);
    const tokens: string[] = [];
    const sdk = await DepthmillClient.fromSignInLink(link, { onToken: (token) => tokens.push(token) });
    expect(sdk.clientId).toMatch(/^dm_/);
    expect(tokens).toEqual([await sdk.accessToken()]);
    expect((await sdk.balance()).unlimited).toBe(true);
    expect(await sdk.depthModels()).toMatchObject({ base: 'fastdepth', pro: 'fastdepth' });
    await expect(DepthmillClient.fromSignInLink(link)).rejects.toMatchObject({ code: 40010000, status: 401 });
    await expect(DepthmillClient.fromSignInLink(server.url)).rejects.toThrow(/#signin=/);
  });

  it('stops waiting when the signal aborts', async () => {
    const sdk = client();
    const taskId = await sdk.createTask({ file: COFFEE, format: 'png', modelType: 'pro' });
    const controller = new AbortController();
    const seen: TaskState[] = [];
    const waiting = sdk.waitForTask(taskId, {
      signal: controller.signal,
      intervalMs: 50,
      onProgress: (progress) => {
        seen.push(progress.state);
        controller.abort();
      },
    });
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(1);
    expect(['created', 'queueing', 'processing']).toContain(seen[0]);
    // The task itself goes on: waiting again finds it done.
    expect((await sdk.waitForTask(taskId, { intervalMs: 100 })).state).toBe('success');
  });

  it('says where it failed when the server cannot be reached', async () => {
    const offline = new DepthmillClient({ baseUrl: 'http://127.0.0.1:9', clientId: 'dm_x', clientSecret: 'y' });
    await expect(offline.queryTask('depth_20260101_000000000000')).rejects.toThrow(
      /cannot reach the Depthmill server at http:\/\/127\.0\.0\.1:9/,
    );
  });
});
