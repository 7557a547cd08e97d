// create-task's depth_map (beyond Hitem3D): a depth map the client already has becomes a relief
// without the depth model, through the real server; and every refusal with its API.md code.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeExr } from '../../src/formats/exr.js';
import { DepthmillClient } from '@depthmill/client';
import { createTask, download, produce, waitForTask } from '../helpers/api.js';
import { signIn, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';
import { channelNames, craftExr } from '../formats/exr-craft.js';
import { admesh, writeTemp } from '../relief/helpers.js';

let server: TestServer;
let accessToken: string;
let sdk: DepthmillClient;

beforeAll(async () => {
  // Two workers, as on the 2-core host where two EXR bombs once held both for minutes.
  server = await startServer({ env: { DEPTHMILL_CONCURRENCY: '2' } });
  const credentials = await signIn(server);
  accessToken = credentials.accessToken;
  sdk = new DepthmillClient({ baseUrl: server.url, clientId: credentials.clientId, clientSecret: credentials.clientSecret });
});

afterAll(async () => {
  await server?.stop();
});

/** A dome (near = bright) inside a disc of alpha 1, transparent around it: a cut-out depth map. */
function dome(width: number, height: number): { depth: Float32Array; alpha: Float32Array } {
  const depth = new Float32Array(width * height);
  const alpha = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - width / 2, y - height / 2) / (Math.min(width, height) / 2.2);
      alpha[y * width + x] = r < 1 ? 1 : 0;
      depth[y * width + x] = r < 1 ? 1 - r * r : 0;
    }
  }
  return { depth, alpha };
}

async function domePng16(width: number, height: number): Promise<Buffer> {
  const { depth, alpha } = dome(width, height);
  const samples = new Uint16Array(width * height * 2);
  depth.forEach((v, i) => {
    samples[2 * i] = Math.round(v * 65535);
    samples[2 * i + 1] = alpha[i]! * 65535;
  });
  return sharp(samples, { raw: { width, height, channels: 2 } })
    .toColourspace('grey16')
    .png()
    .toBuffer();
}

/** A create-task form with depth_map files, and optionally image and mask files. */
function depthForm(
  fields: Record<string, string>,
  files: Partial<Record<'depth_map' | 'image' | 'mask', Buffer>> & { secondDepthMap?: Buffer },
): FormData {
  const body = new FormData();
  for (const [name, bytes] of Object.entries(files)) {
    body.append(name === 'secondDepthMap' ? 'depth_map' : name, new Blob([bytes]), `${name}.bin`);
  }
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return body;
}

/** issue 25's 18 KB bomb: 5000 x 10000, 40 half channels, every entry of the offset table at one zip chunk. */
function exrBomb(): Buffer {
  return craftExr({ width: 5000, height: 10000, channels: [...channelNames(39), 'Y'], compression: 'zip', sharedChunk: true });
}

describe('depth_map (beyond Hitem3D)', () => {
  it('makes an STL from a 16-bit grey + alpha PNG without the depth model', async () => {
    const created = await createTask(
      server.url,
      accessToken,
      depthForm({ format: '3', width: '50', height_relief: '3' }, { depth_map: await domePng16(200, 150) }),
    );
    expect(created.body.code, created.body.msg).toBe(200);
    const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
    expect(done.body.code, done.body.msg).toBe(200);
    expect(done.body.data.depth_model).toBe('depth-map');
    const file = await download(done.body.data.url!);
    expect(file.headers.get('content-type')).toBe('model/stl');
    // The disc only (rmbg=1, the default, keeps to the map's alpha): one closed part, nothing to fix.
    const report = admesh(writeTemp('dome.stl', file.bytes));
    expect(report.parts).toBe(1);
    expect([report.disconnectedFacets, report.edgesFixed, report.facetsReversed, report.backwardsEdges]).toEqual([0, 0, 0, 0]);
  });

  it('makes a GLB plate from our own EXR with rmbg=0 (the alpha ignored)', async () => {
    const { depth, alpha } = dome(64, 48);
    const exr = encodeExr({ width: 64, height: 48, depth, alpha });
    const created = await createTask(server.url, accessToken, depthForm({ format: '4', rmbg: '0' }, { depth_map: exr }));
    expect(created.body.code, created.body.msg).toBe(200);
    const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
    expect(done.body.code, done.body.msg).toBe(200);
    const file = await download(done.body.data.url!);
    expect(file.bytes.subarray(0, 4).toString('latin1')).toBe('glTF');
  });

  it('refuses depth_map with a photo, for a depth-map format, with mask or subject_box, and what is not PNG or EXR', async () => {
    const png = await domePng16(40, 30);
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#777' } })
      .jpeg()
      .toBuffer();
    const dir = tempDir('depth-map-api');
    const plain = join(dir, 'plain.exr');
    writeFileSync(plain, encodeExr({ width: 40, height: 30, ...dome(40, 30) }));
    execFileSync('oiiotool', [plain, '--tile', '16', '16', '-o', join(dir, 'tiled.exr')]);
    const cases: [Record<string, string>, Parameters<typeof depthForm>[1], number, number, RegExp][] = [
      [{ format: '3' }, { depth_map: png, image: jpeg }, 400, 40020002, /exactly one of image, image_url and depth_map/],
      [{ format: '3', image_url: 'http://example.com/a.png' }, { depth_map: png }, 400, 40020002, /exactly one/],
      [{ format: '2' }, { depth_map: png }, 400, 40020003, /format must be 3 \(stl\), 4 \(glb\) or 5 \(3mf\) with depth_map/],
      [{ format: '6' }, { depth_map: png }, 400, 40020003, /format must be 3/],
      [{ format: '3' }, { depth_map: png, mask: png }, 400, 40020003, /mask does not apply to depth_map/],
      [{ format: '3', subject_box: '0,0,1,1' }, { depth_map: png }, 400, 40020003, /subject_box does not apply/],
      [{ format: '3' }, { depth_map: jpeg }, 400, 40020004, /PNG .*or OpenEXR/],
      [{ format: '3' }, { depth_map: Buffer.alloc(0) }, 400, 40020004, /depth_map is empty/],
      [{ format: '3' }, { depth_map: readFileSync(join(dir, 'tiled.exr')) }, 400, 40020004, /tiled/],
      [{ format: '3' }, { depth_map: exrBomb() }, 400, 40020004, /too large: its 40 channels decode to 4000 MB/],
      [
        { format: '3' },
        { depth_map: craftExr({ width: 8, height: 8, channels: ['Y', ...channelNames(64)], compression: 'zip' }) },
        400,
        40020004,
        /more than 64 channels/,
      ],
      // A header of 600,000 channels (12 MB) took half a second of the event loop to walk.
      [
        { format: '3' },
        { depth_map: craftExr({ width: 1, height: 1, channels: channelNames(600_000), compression: 'none' }) },
        400,
        40020004,
        /header is larger than 1024 KiB/,
      ],
      [{ format: '3' }, { depth_map: png, secondDepthMap: png }, 400, 40020009, /one depth_map file/],
    ];
    for (const [fields, files, status, code, message] of cases) {
      const answer = await createTask(server.url, accessToken, depthForm(fields, files));
      expect([JSON.stringify(fields), answer.status, answer.body.code]).toEqual([JSON.stringify(fields), status, code]);
      expect(answer.body.msg).toMatch(message);
    }
  });

  it('goes through the SDK as createTask({ depthMap })', async () => {
    const taskId = await sdk.createTask({ depthMap: await domePng16(120, 90), depthMapFilename: 'dome.png', format: '3mf', width: 30 });
    const task = await sdk.waitForTask(taskId, { intervalMs: 100 });
    expect(task.depthModel).toBe('depth-map');
    expect(
      Buffer.from(await sdk.download(task))
        .subarray(0, 2)
        .toString('latin1'),
    ).toBe('PK');
    const both = { depthMap: new Uint8Array(1), file: new Uint8Array(1), format: 'stl' } as unknown as Parameters<
      DepthmillClient['createTask']
    >[0];
    await expect(sdk.createTask(both)).rejects.toThrow(/exactly one of file, url or depthMap/);
  });

  it('fails the task, saying why, for a PNG whose pixels cannot be read', async () => {
    const png = await domePng16(200, 150);
    const created = await createTask(server.url, accessToken, depthForm({ format: '3' }, { depth_map: png.subarray(0, 300) }));
    expect(created.body.code, created.body.msg).toBe(200);
    const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
    expect(done.body.code).toBe(5001001);
    expect(done.body.msg).toMatch(/depth map could not be decoded/);
  });

  it("answers two EXR bombs at once, and another client's base task keeps its time beside them", async () => {
    const photo = readPhoto('opencv_apple.jpg');
    const other = await signIn(server, 'other-client');
    const baseTask = async () => {
      const started = performance.now();
      await produce(server.url, other.accessToken, photo, { format: '2', model_type: 'base' });
      return performance.now() - started;
    };
    await baseTask(); // the models loaded
    const unloaded = await baseTask();
    const started = performance.now();
    const bombs = await Promise.all(
      [exrBomb(), exrBomb()].map((bomb) => createTask(server.url, accessToken, depthForm({ format: '3' }, { depth_map: bomb }))),
    );
    // Refused from the header, in the request: no worker ever sees them.
    expect(bombs.map((answer) => answer.body.code)).toEqual([40020004, 40020004]);
    expect(performance.now() - started).toBeLessThan(5_000);
    // Accepted, each held a worker for minutes, and the base task waited for one of them.
    expect(await baseTask()).toBeLessThan(3 * unloaded + 2_000);
  }, 240_000);

  it('fails, within seconds, a task whose EXR passes the header checks but whose offset table repeats a chunk', async () => {
    const shared = craftExr({ width: 5000, height: 10000, channels: ['Y'], compression: 'zip', sharedChunk: true });
    const created = await createTask(server.url, accessToken, depthForm({ format: '3' }, { depth_map: shared }));
    expect(created.body.code, created.body.msg).toBe(200);
    const done = await waitForTask(server.url, accessToken, created.body.data.task_id, 30_000);
    expect(done.body.code).toBe(5001001);
    expect(done.body.msg).toMatch(/chunk 1 does not hold the rows its entry of the offset table is for/);
  });
});
