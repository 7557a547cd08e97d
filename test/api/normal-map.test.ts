// create-task's format 7 (beyond Hitem3D): the depth map's tangent-space normal map, through the
// real server, raw and by the SDK (`normal`), read back by sharp and checked against the PNG depth
// map (format 2) of the same photo: the same size and alpha, unit normals facing the viewer, tilted
// against the depth's slope (OpenGL: +X right, +Y up). And the refusals it shares with formats 1, 2, 6.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createTask, form, produce } from '../helpers/api.js';
import { signedInServer } from '../helpers/server.js';
import { PHOTOS } from '../relief/helpers.js';
import { readPhoto } from '../helpers/fixtures.js';

const live = signedInServer();
const photo = readPhoto(PHOTOS.apple);

/** A 16-bit PNG's samples as 0..1, with its size and channel count. */
async function samples(png: Buffer, space: 'rgb16' | 'grey16') {
  const { data, info } = await sharp(png).toColourspace(space).raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const values = Float64Array.from(new Uint16Array(data.buffer, data.byteOffset, data.length / 2), (v) => v / 65535);
  return { values, width: info.width, height: info.height, channels: info.channels };
}

describe('format 7: normal map (beyond Hitem3D)', () => {
  it("is a 16-bit RGBA PNG at the depth map's size with its alpha; normals unit, facing the viewer, against the depth's slope", async () => {
    const fields = { model_type: 'base', rmbg: '1', height_relief: '9' }; // a mesh field is accepted and ignored, as with formats 1, 2, 6
    const normalFile = await produce(live.server.url, live.accessToken, photo, { ...fields, format: '7' });
    const depthFile = await produce(live.server.url, live.accessToken, photo, { ...fields, format: '2' });
    expect(normalFile.headers.get('content-type')).toBe('image/png');
    expect(normalFile.headers.get('content-disposition')).toMatch(/_0\.png"$/);
    expect(await sharp(normalFile.bytes).metadata()).toMatchObject({ format: 'png', depth: 'ushort', channels: 4 });

    const normal = await samples(normalFile.bytes, 'rgb16');
    const depth = await samples(depthFile.bytes, 'grey16');
    expect([normal.width, normal.height, normal.channels]).toEqual([depth.width, depth.height, 4]);
    expect(depth.channels).toBe(2);
    const { width, height } = depth;
    const d = (x: number, y: number) => depth.values[(y * width + x) * 2]!;
    const inside = (x: number, y: number) => depth.values[(y * width + x) * 2 + 1]! >= 0.5;
    let alphaDiff = 0;
    let notUnit = 0;
    let sloped = 0;
    let against = 0;
    for (let y = 1; y < height - 1; y++) {
      for (let x = 1; x < width - 1; x++) {
        const i = y * width + x;
        const n = [0, 1, 2].map((c) => normal.values[i * 4 + c]! * 2 - 1) as [number, number, number];
        alphaDiff = Math.max(alphaDiff, Math.abs(normal.values[i * 4 + 3]! - depth.values[i * 2 + 1]!));
        if (Math.abs(Math.hypot(...n) - 1) > 1e-3 || !(n[2] > 0)) notUnit++;
        if (![inside(x, y), inside(x - 1, y), inside(x + 1, y), inside(x, y - 1), inside(x, y + 1)].every(Boolean)) continue;
        // The depth's slope from its own PNG, y up: the normal's (x, y) must point the other way.
        const gx = d(x + 1, y) - d(x - 1, y);
        const gyUp = d(x, y - 1) - d(x, y + 1);
        if (Math.hypot(gx, gyUp) < 0.002) continue; // flat: the direction is noise
        sloped++;
        const cos = -(n[0] * gx + n[1] * gyUp) / (Math.hypot(n[0], n[1]) * Math.hypot(gx, gyUp));
        if (cos > 0.99) against++;
      }
    }
    expect(alphaDiff).toBe(0);
    expect(notUnit).toBe(0);
    expect(sloped).toBeGreaterThan(10_000);
    expect(against / sloped).toBeGreaterThan(0.999);
  });

  it("goes through the SDK as format 'normal': RGB without the background removed", async () => {
    const taskId = await live.sdk.createTask({ file: photo, filename: 'apple.jpg', format: 'normal', modelType: 'base', rmbg: false });
    const task = await live.sdk.waitForTask(taskId, { intervalMs: 100 });
    const meta = await sharp(Buffer.from(await live.sdk.download(task))).metadata();
    expect({ format: meta.format, depth: meta.depth, channels: meta.channels, width: meta.width, height: meta.height }).toEqual({
      format: 'png',
      depth: 'ushort',
      channels: 3,
      width: 1024,
      height: 1024,
    });
  });

  it('is refused where formats 1, 2 and 6 are: a lithophane, a depth_map upload', async () => {
    const lithophane = await createTask(
      live.server.url,
      live.accessToken,
      form({ format: '7', relief_mode: 'lithophane' }, [{ bytes: photo, name: 'apple.jpg' }]),
    );
    expect([lithophane.status, lithophane.body.code]).toEqual([400, 40020003]);
    expect(lithophane.body.msg).toMatch(/relief_mode lithophane makes a mesh: format must be 3 \(stl\), 4 \(glb\) or 5 \(3mf\)/);
    const body = new FormData();
    body.append(
      'depth_map',
      new Blob([
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
          .png()
          .toBuffer(),
      ]),
      'depth.png',
    );
    body.append('format', '7');
    const depthMap = await createTask(live.server.url, live.accessToken, body);
    expect([depthMap.status, depthMap.body.code]).toEqual([400, 40020003]);
    expect(depthMap.body.msg).toMatch(/format must be 3 \(stl\), 4 \(glb\) or 5 \(3mf\) with depth_map/);
  });
});
