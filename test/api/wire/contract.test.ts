// The wire contract of API.md: envelope, codes, HTTP statuses, validation messages and defaults,
// checked against the real server the way an existing Hitem3D client talks to it.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTask, download, form, getWithHost, queryTask, requestToken, token, waitForTask } from '../../helpers/api.js';
import { cli, createClientCredentials, startServer, type Credentials, type TestServer } from '../../helpers/server.js';
import { readPhoto, twoSubjects } from '../../helpers/fixtures.js';

const PHOTO = readPhoto('opencv_apple.jpg');
const photo = () => [{ bytes: PHOTO, name: 'apple.jpg', type: 'image/jpeg' }];

/** When a download link stops working, in Unix seconds: our own links or S3 presigned ones. */
function linkExpiry(url: URL): number {
  if (url.searchParams.has('expires')) return Number(url.searchParams.get('expires'));
  const date = url.searchParams.get('X-Amz-Date')!; // 20261125T130501Z
  const signedAt = Date.UTC(
    +date.slice(0, 4),
    +date.slice(4, 6) - 1,
    +date.slice(6, 8),
    +date.slice(9, 11),
    +date.slice(11, 13),
    +date.slice(13, 15),
  );
  return signedAt / 1000 + Number(url.searchParams.get('X-Amz-Expires'));
}

let server: TestServer;
let alice: Credentials;
let bob: Credentials;
let aliceToken: string;

beforeAll(async () => {
  server = await startServer();
  alice = createClientCredentials(server.dataDir, 'alice');
  bob = createClientCredentials(server.dataDir, 'bob');
  aliceToken = await token(server.url, alice.clientId, alice.clientSecret);
});

afterAll(async () => {
  await server?.stop();
});

describe('POST /open-api/v1/auth/token', () => {
  it('issues a Bearer token for valid client credentials, with an empty body or {}', async () => {
    for (const init of [
      {},
      { body: '{}', headers: { 'content-type': 'application/json' } },
      { body: '', headers: { 'content-type': 'application/json' } },
    ]) {
      const result = await requestToken(server.url, basic(alice.clientId, alice.clientSecret), init);
      expect(result.status).toBe(200);
      expect(result.body.code).toBe(200);
      expect(result.body.msg).toBe('success');
      expect(result.body.data.tokenType).toBe('Bearer');
      expect(result.body.data.nonce).toMatch(/^[0-9a-f]{32}$/);
      // A JWT valid for 24 hours.
      const payload = JSON.parse(Buffer.from(result.body.data.accessToken.split('.')[1]!, 'base64url').toString()) as {
        exp: number;
        iat: number;
        sub: string;
      };
      expect(payload.exp - payload.iat).toBe(24 * 3600);
      expect(payload.sub).toBe(alice.clientId);
    }
  });

  it('answers 40010000 with HTTP 401 for missing, malformed, unknown or wrong credentials', async () => {
    const attempts = [
      undefined,
      'Bearer something',
      'Basic !!!',
      basic('dm_unknown', alice.clientSecret),
      basic(alice.clientId, 'wrong-secret'),
      basic(alice.clientId, ''),
    ];
    for (const authorization of attempts) {
      const result = await requestToken(server.url, authorization);
      expect(result.status, String(authorization)).toBe(401);
      expect(result.body).toEqual({ code: 40010000, data: {}, msg: 'client credentials are invalid' });
    }
  });
});

describe('authentication of the task routes', () => {
  it('answers 401 for a missing, malformed or forged Bearer token', async () => {
    const forged = aliceToken.slice(0, -4) + (aliceToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const accessToken of [undefined, 'not-a-jwt', forged]) {
      const created = await createTask(server.url, accessToken, form({ format: '1' }, photo()));
      expect(created.status).toBe(401);
      expect(created.body).toEqual({ code: 401, data: {}, msg: 'Unauthorized' });
      const queried = await queryTask(server.url, accessToken, 'depth_20260312_8f92ab3e1cde');
      expect(queried.status).toBe(401);
      expect(queried.body.code).toBe(401);
    }
  });

  it('refuses the credentials and every token of a revoked client at once', async () => {
    const carol = createClientCredentials(server.dataDir, 'carol');
    const carolToken = await token(server.url, carol.clientId, carol.clientSecret);
    expect((await queryTask(server.url, carolToken, 'depth_20260312_8f92ab3e1cde')).status).toBe(404);

    const revoked = cli(server.dataDir, ['clients', 'revoke', carol.clientId]);
    expect(revoked.status).toBe(0);

    expect((await queryTask(server.url, carolToken, 'depth_20260312_8f92ab3e1cde')).status).toBe(401);
    expect((await requestToken(server.url, basic(carol.clientId, carol.clientSecret))).body.code).toBe(40010000);
  });
});

describe('POST /open-api/v1/depth/create-task validation', () => {
  const invalid: [string, Record<string, string>, RegExp][] = [
    ['model_type', { model_type: 'ultra' }, /model_type must be one of pro, base \(got "ultra"\)/],
    ['rmbg', { rmbg: '2' }, /rmbg must be one of 0, 1/],
    ['degree_rmbg above 1', { degree_rmbg: '1.5' }, /degree_rmbg must be a number from 0 to 1/],
    ['degree_rmbg not a number', { degree_rmbg: 'abc' }, /degree_rmbg must be a number from 0 to 1/],
    ['response_format', { response_format: 'base64' }, /response_format must be one of url/],
    ['format out of range', { format: '9' }, /format must be one of 1 \(exr\), 2 \(png\)/],
    ['callback_url scheme', { callback_url: 'ftp://example.com/hook' }, /callback_url must be an http\(s\) URL/],
    ['image_url not a URL', { image_url: 'not a url' }, /image_url must be an http\(s\) URL/],
    ['height_relief', { height_relief: '0' }, /height_relief must be a number from 0.1 to 50/],
    ['width', { width: '601' }, /width must be a number from 20 to 600/],
    ['shape_base', { shape_base: '2' }, /shape_base must be one of 0, 1/],
    ['thickness_base', { thickness_base: '25' }, /thickness_base must be a number from 0.1 to 20/],
    ['sculpmode', { sculpmode: '3' }, /sculpmode must be one of 0, 1/],
    ['relief_style', { relief_style: 'bumpy' }, /relief_style must be one of detailed, smooth \(got "bumpy"\)/],
    ['detail_height', { detail_height: '3' }, /detail_height must be a number from 0 to 2/],
    [
      'subject_box not four numbers',
      { subject_box: '0.1,0.2,0.8' },
      /subject_box must be four numbers "x0,y0,x1,y1" .* \(got "0.1,0.2,0.8"\)/,
    ],
    ['subject_box not numbers', { subject_box: 'left,top,right,bottom' }, /subject_box must be four numbers "x0,y0,x1,y1"/],
    [
      'subject_box in pixels',
      { subject_box: '10,20,300,400' },
      /subject_box must be four numbers from 0 to 1 \(shares of the width and height, not pixels\)/,
    ],
    ['subject_box reversed', { subject_box: '0.8,0.1,0.2,0.9' }, /subject_box must have x0 < x1 and y0 < y1/],
    ['subject_box empty', { subject_box: '0.2,0.5,0.6,0.5' }, /subject_box must have x0 < x1 and y0 < y1/],
    [
      'subject_box with rmbg=0',
      { rmbg: '0', subject_box: '0,0,1,1' },
      /subject_box only applies when the background is removed \(rmbg=1\)/,
    ],
  ];

  it.each(invalid)('names the field and its allowed values: %s', async (_label, fields, message) => {
    const result = await createTask(server.url, aliceToken, form({ format: '1', ...fields }, photo()));
    expect(result.status).toBe(400);
    expect(result.body.code).toBe(40020003);
    expect(result.body.data).toEqual({});
    expect(result.body.msg).toMatch(/^invalid parameter: /);
    expect(result.body.msg).toMatch(message);
  });

  it('requires format', async () => {
    const result = await createTask(server.url, aliceToken, form({}, photo()));
    expect(result.status).toBe(400);
    expect(result.body.code).toBe(40020003);
    expect(result.body.msg).toMatch(/format is required: 1 exr, 2 png, 3 stl, 4 glb, 5 3mf, 6 bmp/);
  });

  it('accepts the relief formats 3, 4 and 5 and answers each with its file: STL, GLB, 3MF', async () => {
    const expected = {
      '3': { type: 'model/stl', extension: 'stl' },
      '4': { type: 'model/gltf-binary', extension: 'glb' },
      '5': { type: 'model/3mf', extension: '3mf' },
    } as const;
    for (const format of ['3', '4', '5'] as const) {
      const created = await createTask(server.url, aliceToken, form({ format, model_type: 'base', rmbg: '0' }, photo()));
      expect(created.status).toBe(200);
      expect(created.body.code, created.body.msg).toBe(200);
      const done = await waitForTask(server.url, aliceToken, created.body.data.task_id);
      expect(done.body.code, done.body.msg).toBe(200);
      const file = await download(done.body.data.url!);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe(expected[format].type);
      expect(file.headers.get('content-disposition')).toMatch(new RegExp(`_0\\.${expected[format].extension}"$`));
      const bytes = file.bytes;
      if (format === '3') {
        expect(bytes.subarray(0, 5).toString('latin1')).not.toBe('solid'); // binary, not ASCII STL
        expect(bytes.length).toBe(84 + 50 * bytes.readUInt32LE(80));
      } else if (format === '4') {
        expect(bytes.subarray(0, 4).toString('latin1')).toBe('glTF');
        expect(bytes.readUInt32LE(4)).toBe(2);
        expect(bytes.readUInt32LE(8)).toBe(bytes.length);
      } else {
        expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04])); // a zip
        expect(bytes.includes('3D/3dmodel.model')).toBe(true);
        expect(bytes.includes('[Content_Types].xml')).toBe(true);
      }
    }
  });

  it('wants exactly one of image and image_url', async () => {
    const neither = await createTask(server.url, aliceToken, form({ format: '1' }));
    expect(neither.status).toBe(400);
    expect(neither.body.code).toBe(40020001);
    const both = await createTask(server.url, aliceToken, form({ format: '1', image_url: 'http://127.0.0.1:9/a.jpg' }, photo()));
    expect(both.status).toBe(400);
    expect(both.body.code).toBe(40020002);
    const two = await createTask(server.url, aliceToken, form({ format: '1' }, [...photo(), ...photo()]));
    expect(two.status).toBe(400);
    expect(two.body.code).toBe(40020009);
  });

  it('decides the image type by content, not by name or declared type', async () => {
    const text = await createTask(
      server.url,
      aliceToken,
      form({ format: '1' }, [{ bytes: Buffer.from('hello, not an image'), name: 'photo.png', type: 'image/png' }]),
    );
    expect(text.status).toBe(400);
    expect(text.body.code).toBe(40020004);
    expect(text.body.msg).toMatch(/png, jpeg or webp/);

    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    expect(
      (await createTask(server.url, aliceToken, form({ format: '1' }, [{ bytes: gif, name: 'a.jpg', type: 'image/jpeg' }]))).body.code,
    ).toBe(40020004);

    const jpegNamedTxt = await createTask(
      server.url,
      aliceToken,
      form({ format: '2', model_type: 'base' }, [{ bytes: PHOTO, name: 'notes.txt', type: 'text/plain' }]),
    );
    expect(jpegNamedTxt.body.code).toBe(200);

    const webp = await sharp(PHOTO).webp().toBuffer();
    expect(
      (await createTask(server.url, aliceToken, form({ format: '2', model_type: 'base' }, [{ bytes: webp, name: 'x.bin' }]))).body.code,
    ).toBe(200);
  });

  it('refuses an image over 20 MB with 413', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024 + 1);
    PHOTO.copy(big);
    const result = await createTask(server.url, aliceToken, form({ format: '1' }, [{ bytes: big }]));
    expect(result.status).toBe(413);
    expect(result.body.code).toBe(40020005);
    expect(result.body.msg).toMatch(/larger than 20 MB/);
  });

  it('refuses a body that is not multipart', async () => {
    const result = await createTask(server.url, aliceToken, JSON.stringify({ format: '1' }));
    expect(result.status).toBe(400);
    expect(result.body.code).toBe(40020008);
  });

  it('ignores unknown fields', async () => {
    const result = await createTask(server.url, aliceToken, form({ format: '2', model_type: 'base', colour: 'blue', seed: '7' }, photo()));
    expect(result.status).toBe(200);
    expect(result.body.code).toBe(200);
  });
});

describe('tasks', () => {
  it('creates a task with an id like depth_YYYYMMDD_<12 hex> and applies the defaults (pro, rmbg=1)', async () => {
    const created = await createTask(server.url, aliceToken, form({ format: '2' }, photo()));
    expect(created.status).toBe(200);
    expect(created.body.code).toBe(200);
    expect(created.body.msg).toBe('success');
    const taskId = created.body.data.task_id;
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    expect(taskId).toMatch(new RegExp(`^depth_${today}_[0-9a-f]{12}$`));

    const done = await waitForTask(server.url, aliceToken, taskId);
    expect(done.body.code).toBe(200);
    // Beyond Hitem3D: the depth model that made the map (the suite pins fastdepth), stored with the task.
    expect(done.body.data).toMatchObject({ task_id: taskId, state: 'success', id: `${taskId}_0`, depth_model: 'fastdepth' });
    // States move forward only, in the documented order.
    const order = ['created', 'queueing', 'processing', 'success'];
    expect(done.seen.map((state) => order.indexOf(state))).toEqual([...done.seen.map((state) => order.indexOf(state))].sort());

    const file = await download(done.body.data.url!);
    expect(file.status).toBe(200);
    const meta = await sharp(file.bytes).metadata();
    // pro: long side 2048, aspect kept (the photo is square); rmbg=1: grey + alpha, 16-bit.
    expect([meta.format, meta.width, meta.height, meta.channels, meta.depth]).toEqual(['png', 2048, 2048, 2, 'ushort']);
  });

  it("answers 40020010 without task_id and 404 for an unknown task or another client's task", async () => {
    const missing = await queryTask(server.url, aliceToken);
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe(40020010);

    const unknown = await queryTask(server.url, aliceToken, 'depth_20260312_8f92ab3e1cde');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ code: 40040000, data: {}, msg: 'task not found' });

    const created = await createTask(server.url, aliceToken, form({ format: '6', model_type: 'base', rmbg: '0' }, photo()));
    const bobToken = await token(server.url, bob.clientId, bob.clientSecret);
    const foreign = await queryTask(server.url, bobToken, created.body.data.task_id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe(40040000);
  });

  it("answers the family's generic query-task exactly like the depth route, and other kinds of task with 404", async () => {
    const created = await createTask(server.url, aliceToken, form({ format: '2', model_type: 'base', rmbg: '0' }, photo()));
    const taskId = created.body.data.task_id;
    const generic = (id?: string, accessToken: string | null = aliceToken) =>
      fetch(`${server.url}/open-api/v1/query-task${id === undefined ? '' : `?task_id=${id}`}`, {
        headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
      });
    const done = await waitForTask(server.url, aliceToken, taskId);
    const answer = await generic(taskId);
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as typeof done.body;
    // The same answer but for the link, which is signed afresh on every query.
    expect({ ...body, data: { ...body.data, url: undefined } }).toEqual({ ...done.body, data: { ...done.body.data, url: undefined } });
    expect((await download(body.data.url!)).bytes).toEqual((await download(done.body.data.url!)).bytes);

    const otherKind = await generic('mesh_20260312_8f92ab3e1cde');
    expect(otherKind.status).toBe(404);
    expect(await otherKind.json()).toEqual({
      code: 40040000,
      data: {},
      msg: 'task not found: this server makes depth tasks only (their ids start with depth_)',
    });
    expect((await generic(taskId, null)).status).toBe(401);
    expect((await generic('mesh_20260312_8f92ab3e1cde', null)).status).toBe(401);
    expect(await (await generic()).json()).toMatchObject({ code: 40020010 });
  });

  it('signs download links: a fresh link on each query, and a tampered link is refused', async () => {
    const created = await createTask(server.url, aliceToken, form({ format: '6', model_type: 'base', rmbg: '0' }, photo()));
    const first = await waitForTask(server.url, aliceToken, created.body.data.task_id);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await queryTask(server.url, aliceToken, created.body.data.task_id);
    const [a, b] = [new URL(first.body.data.url!), new URL(second.body.data.url!)];
    expect(a.pathname).toBe(b.pathname);
    expect(b.toString()).not.toBe(a.toString());
    expect(linkExpiry(b)).toBeGreaterThan(linkExpiry(a));
    // Valid for one hour.
    expect(linkExpiry(b) - Date.now() / 1000).toBeGreaterThan(3590);
    expect(linkExpiry(b) - Date.now() / 1000).toBeLessThanOrEqual(3600);

    const good = await download(b.toString());
    expect(good.status).toBe(200);
    expect(good.headers.get('content-type')).toBe('image/bmp');
    expect(good.headers.get('content-disposition')).toBe(`attachment; filename="${created.body.data.task_id}_0.bmp"`);
    expect(good.bytes.subarray(0, 2).toString()).toBe('BM');

    if (!b.searchParams.has('expires')) {
      // An S3 presigned link: S3 (or MinIO) checks it, not us. s3rver, the test store, does not
      // verify V4 signatures, so check the link says what AWS needs to refuse a tampered one.
      expect(b.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
      expect(b.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      return;
    }
    // A longer validity or another file, under the same signature, is refused.
    const tampered = new URL(b);
    tampered.searchParams.set('expires', String(Number(tampered.searchParams.get('expires')) + 3600));
    expect((await download(tampered.toString())).status).toBe(403);
    const otherFile = new URL(b);
    otherFile.pathname = otherFile.pathname.replace(/\.bmp$/, '.exr');
    expect((await download(otherFile.toString())).status).toBe(403);
  });

  it("puts download links on the address the client reached when its Host header names another host (a client pinned to Hitem3D's)", async () => {
    const created = await createTask(server.url, aliceToken, form({ format: '6', model_type: 'base', rmbg: '0' }, photo()));
    const taskId = created.body.data.task_id;
    await waitForTask(server.url, aliceToken, taskId);
    const queryWithHost = async (host: string) =>
      JSON.parse(
        await getWithHost(`${server.url}/open-api/v1/depth/query-task?task_id=${taskId}`, host, { authorization: `Bearer ${aliceToken}` }),
      ) as { data: { url?: string } };
    const pinned = new URL((await queryWithHost('api.hitem3d.ai')).data.url!);
    if (!pinned.searchParams.has('expires')) return; // S3 presigned links name the store, not this server
    expect(pinned.origin).toBe(new URL(server.url).origin);
    expect((await download(pinned.toString())).status).toBe(200);
    // A Host that names this machine is kept as the client wrote it.
    const port = new URL(server.url).port;
    expect(new URL((await queryWithHost(`localhost:${port}`)).data.url!).host).toBe(`localhost:${port}`);
  });

  it('answers unknown routes with the envelope', async () => {
    const response = await fetch(`${server.url}/open-api/v1/depth/nothing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 404, data: {} });
  });
});

describe('concurrency quota', () => {
  it('answers 429 with Retry-After beyond 10 unfinished tasks per client', async () => {
    const slow = await startServer({ env: { DEPTHMILL_CONCURRENCY: '1' } });
    try {
      const dave = createClientCredentials(slow.dataDir, 'dave');
      const daveToken = await token(slow.url, dave.clientId, dave.clientSecret);
      const answers = [];
      for (let i = 0; i < 11; i++) answers.push(await createTask(slow.url, daveToken, form({ format: '1' }, photo())));
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
      const last = answers[10]!;
      expect(last.status).toBe(429);
      expect(last.body.code).toBe(429);
      expect(last.body.msg).toMatch(/concurrency limit/);
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await slow.stop();
    }
  });
});

describe('concurrency quota under concurrent requests', () => {
  it('never accepts more than the quota, however many create-tasks arrive at once', async () => {
    const slow = await startServer({ env: { DEPTHMILL_CONCURRENCY: '1' } });
    try {
      const fay = createClientCredentials(slow.dataDir, 'fay');
      const fayToken = await token(slow.url, fay.clientId, fay.clientSecret);
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => createTask(slow.url, fayToken, form({ format: '2', model_type: 'pro' }, photo()))),
      );
      const accepted = answers.filter((answer) => answer.status === 200).map((answer) => answer.body.data.task_id);
      expect(answers.every((answer) => answer.status === 200 || answer.status === 429)).toBe(true);
      // A task that ended during the burst frees its place; none may be taken twice.
      const states = await Promise.all(accepted.map(async (taskId) => (await queryTask(slow.url, fayToken, taskId)).body.data.state));
      const ended = states.filter((state) => state === 'success' || state === 'failed').length;
      expect(accepted.length).toBeGreaterThanOrEqual(10);
      expect(accepted.length).toBeLessThanOrEqual(10 + ended);
    } finally {
      await slow.stop();
    }
  });
});

describe('correcting the background removal (beyond Hitem3D): mask and subject_box', () => {
  let erinToken: string;
  // A photo with its true matte: an apple on the left, a cup on the right (800 × 560).
  let MATTED: Buffer;
  let MATTE: Buffer;
  // base: 1024 × 717 for the 800 × 560 photo.
  const size = { width: 1024, height: Math.round((1024 * 560) / 800) };

  beforeAll(async () => {
    ({ image: MATTED, matte: MATTE } = await twoSubjects());
    const erin = createClientCredentials(server.dataDir, 'erin');
    erinToken = await token(server.url, erin.clientId, erin.clientSecret);
  });

  /** The ground-truth matte cut at one half, at the output size: a black and white mask. */
  const cutMatte = () =>
    sharp(MATTE).extractChannel(0).resize(size.width, size.height, { fit: 'fill' }).threshold(128).toColourspace('b-w').png().toBuffer();

  /** A finished PNG task's alpha as 0..255 levels. */
  async function alphaOf(
    fields: Record<string, string>,
    masks: { bytes: Buffer }[] = [],
  ): Promise<{ levels: Buffer; width: number; height: number }> {
    const created = await createTask(
      server.url,
      erinToken,
      form({ format: '2', model_type: 'base', ...fields }, [{ bytes: MATTED, name: 'two.png' }], masks),
    );
    expect(created.body.code, created.body.msg).toBe(200);
    const done = await waitForTask(server.url, erinToken, created.body.data.task_id);
    expect(done.body.code, done.body.msg).toBe(200);
    const file = await download(done.body.data.url!);
    // 'grey16': sharp would otherwise bring the 16-bit samples down to 8 bits first.
    const { data, info } = await sharp(file.bytes)
      .extractChannel('alpha')
      .toColourspace('grey16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    const ushorts = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    return { levels: Buffer.from(ushorts.map((value) => Math.round(value / 257))), width: info.width, height: info.height };
  }

  it("makes the mask file the result's alpha, exactly", async () => {
    const mask = await cutMatte();
    const result = await alphaOf({}, [{ bytes: mask }]);
    expect([result.width, result.height]).toEqual([size.width, size.height]);
    const expected = await sharp(mask).extractChannel(0).raw().toBuffer();
    expect(result.levels.equals(expected)).toBe(true);
  });

  it('keeps the cut inside subject_box, which changes the result', async () => {
    const free = await alphaOf({});
    const boxed = await alphaOf({ subject_box: '0,0,0.5,1' });
    const rightHalf = (levels: Buffer) => {
      let kept = 0;
      for (let y = 0; y < size.height; y++)
        for (let x = Math.ceil(size.width * 0.51); x < size.width; x++) kept += levels[y * size.width + x]! > 127 ? 1 : 0;
      return kept;
    };
    expect(rightHalf(free.levels)).toBeGreaterThan(0.02 * size.width * size.height); // the cup, without the box
    expect(rightHalf(boxed.levels)).toBe(0);
    expect(boxed.levels.filter((level) => level > 127).length).toBeGreaterThan(0.05 * size.width * size.height); // the apple stays
  });

  it('checks the mask file like the image, and refuses it without background removal', async () => {
    const send = (fields: Record<string, string>, masks: { bytes: Buffer; name?: string }[]) =>
      createTask(server.url, erinToken, form({ format: '2', model_type: 'base', ...fields }, [{ bytes: MATTED }], masks));
    const text = await send({}, [{ bytes: Buffer.from('not a mask'), name: 'mask.png' }]);
    expect([text.status, text.body.code]).toEqual([400, 40020004]);
    expect(text.body.msg).toBe('invalid parameter: mask must be a png, jpeg or webp image (its content is none of these)');
    const empty = await send({}, [{ bytes: Buffer.alloc(0) }]);
    expect([empty.status, empty.body.code, empty.body.msg]).toEqual([400, 40020004, 'invalid parameter: mask is empty']);

    const mask = await cutMatte();
    const kept = await send({ rmbg: '0' }, [{ bytes: mask }]);
    expect([kept.status, kept.body.code]).toEqual([400, 40020003]);
    expect(kept.body.msg).toBe('invalid parameter: mask only applies when the background is removed (rmbg=1)');
    const two = await send({}, [{ bytes: mask }, { bytes: mask }]);
    expect([two.status, two.body.code, two.body.msg]).toEqual([400, 40020009, 'invalid parameter: send one mask file only']);

    const big = Buffer.alloc(20 * 1024 * 1024 + 1);
    mask.copy(big);
    const tooBig = await send({}, [{ bytes: big }]);
    expect([tooBig.status, tooBig.body.code, tooBig.body.msg]).toEqual([413, 40020005, 'invalid parameter: mask is larger than 20 MB']);
  });

  it("fails the task, saying why, when the mask is not of the photo's proportions", async () => {
    const square = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const created = await createTask(
      server.url,
      erinToken,
      form({ format: '2', model_type: 'base' }, [{ bytes: MATTED }], [{ bytes: square }]),
    );
    expect(created.body.code).toBe(200);
    const done = await waitForTask(server.url, erinToken, created.body.data.task_id);
    expect(done.status).toBe(200);
    expect(done.body.code).toBe(5001001);
    expect(done.body.data).toEqual({ task_id: created.body.data.task_id, state: 'failed' });
    expect(done.body.msg).toMatch(/^generate failed: the mask is 300x300, not the photo's proportions/);
  });
});
