// create-task's relief_bend (beyond Hitem3D): a bent relief through the real server, on the wire
// and through the SDK, read by ADMesh and PrusaSlicer; and the refusals with their API.md codes.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createTask, download, form, waitForTask } from '../helpers/api.js';
import { signedInServer } from '../helpers/server.js';
import { admesh, PHOTOS, slicerInfo, writeTemp } from '../relief/helpers.js';
import { readPhoto } from '../helpers/fixtures.js';

const live = signedInServer();
const photo = readPhoto(PHOTOS.coffee);

/** A 16-bit grey depth PNG, 3:2: ripples across a slope. */
function rippleDepthPng(): Promise<Buffer> {
  const [width, height] = [300, 200];
  const values = new Uint16Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) values[y * width + x] = Math.round((0.5 + 0.4 * Math.sin(x / 11) * Math.cos(y / 13)) * 65535);
  return sharp(values, { raw: { width, height, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toBuffer();
}

describe('relief_bend (beyond Hitem3D)', () => {
  it('makes a relief of a photo bent 90° outward: one closed part standing 2/3 of the width tall, as ADMesh and PrusaSlicer read it', async () => {
    const fields = { format: '3', rmbg: '0', width: '60', relief_bend: '90' };
    const created = await createTask(live.server.url, live.accessToken, form(fields, [{ bytes: photo, name: 'coffee.png' }]));
    expect(created.body.code, created.body.msg).toBe(200);
    const done = await waitForTask(live.server.url, live.accessToken, created.body.data.task_id);
    expect(done.body.code, done.body.msg).toBe(200);
    expect((done.body.data as { mesh?: unknown }).mesh).toMatchObject({ shells: 1 });
    const path = writeTemp('bent.stl', (await download(done.body.data.url!)).bytes);
    const report = admesh(path);
    expect(report.parts).toBe(1);
    expect([report.disconnectedFacets, report.edgesFixed, report.facetsReversed, report.backwardsEdges, report.normalsFixed]).toEqual([
      0, 0, 0, 0, 0,
    ]);
    // 60 mm of base on a quarter circle of radius 38.2 mm: a chord of 54 mm and more (the face is
    // outside it); the photo's 3:2 stands 40 mm tall.
    const info = slicerInfo(path);
    expect(info.manifold).toBe(true);
    expect(info.size[0]).toBeGreaterThan(54);
    expect(info.size[0]).toBeLessThan(58);
    expect(info.size[1]).toBeGreaterThan(11);
    expect(info.size[2]).toBeCloseTo(40, 0);
  });

  it('goes through the SDK as createTask({ reliefBend }): a depth map bent into a ring, a 3MF PrusaSlicer reads as one manifold part', async () => {
    const taskId = await live.sdk.createTask({
      depthMap: await rippleDepthPng(),
      depthMapFilename: 'ripple.png',
      format: '3mf',
      width: 50,
      reliefBend: -360,
      rmbg: false,
    });
    const task = await live.sdk.waitForTask(taskId, { intervalMs: 100 });
    expect(task.mesh).toMatchObject({ shells: 1 });
    const info = slicerInfo(writeTemp('ring.3mf', Buffer.from(await live.sdk.download(task))));
    expect([info.manifold, info.parts]).toEqual([true, 1]);
    // The ring's base is 50 mm around: 15.9 mm across, the face inside it.
    expect(info.size[0]).toBeCloseTo(50 / Math.PI, 1);
    expect(info.size[1]).toBeCloseTo(50 / Math.PI, 1);
  });

  it('refuses a bend with a depth-map format or a lithophane, out of range, and inward tighter than the relief is thick', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ format: '1', relief_bend: '90' }, /relief_bend bends a relief: format must be 3 \(stl\), 4 \(glb\) or 5 \(3mf\)/],
      [{ format: '2', relief_bend: '-30' }, /relief_bend bends a relief/],
      [{ format: '6', relief_bend: '10' }, /relief_bend bends a relief/],
      [{ format: '3', relief_mode: 'lithophane', relief_bend: '45' }, /relief_bend does not apply to a lithophane/],
      [{ format: '3', relief_bend: '361' }, /relief_bend must be a number from -360 to 360/],
      [{ format: '3', relief_bend: '-400' }, /relief_bend must be a number from -360 to 360/],
      [{ format: '3', relief_bend: '--90' }, /relief_bend must be a number from -360 to 360/],
      [{ format: '3', relief_bend: '9e1' }, /relief_bend must be a number/],
      [
        { format: '3', width: '20', thickness_base: '5', relief_bend: '-360' },
        /relief_bend bends inward tighter than the relief is thick: .* at most 156\.9 degrees/,
      ],
    ];
    for (const [fields, message] of cases) {
      const answer = await createTask(live.server.url, live.accessToken, form(fields, [{ bytes: photo, name: 'coffee.png' }]));
      expect([JSON.stringify(fields), answer.status, answer.body.code]).toEqual([JSON.stringify(fields), 400, 40020003]);
      expect(answer.body.msg).toMatch(message);
    }
    // 0 is no bend: accepted with any format and with a lithophane.
    const accepted: Record<string, string>[] = [
      { format: '2', relief_bend: '0' },
      { format: '3', relief_mode: 'lithophane', relief_bend: '0' },
    ];
    for (const fields of accepted) {
      const answer = await createTask(live.server.url, live.accessToken, form(fields, [{ bytes: photo, name: 'coffee.png' }]));
      expect([JSON.stringify(fields), answer.body.code]).toEqual([JSON.stringify(fields), 200]);
    }
  });
});
