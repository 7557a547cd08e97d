// create-task's relief_mode=lithophane (beyond Hitem3D): a photo becomes a back-lit plate without
// any model, through the real server and the SDK; and the refusals with their API.md codes.
import { describe, expect, it } from 'vitest';
import { createTask, download, form, waitForTask } from '../helpers/api.js';
import { signedInServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';
import { admesh, PHOTOS, writeTemp } from '../relief/helpers.js';

const live = signedInServer();
const photo = readPhoto(PHOTOS.coffee);

/** Vertex Z range of a binary STL. */
function zRange(stl: Buffer): [number, number] {
  const count = stl.readUInt32LE(80);
  let low = Infinity;
  let high = -Infinity;
  for (let t = 0; t < count; t++) {
    for (let v = 0; v < 3; v++) {
      const z = stl.readFloatLE(84 + t * 50 + 12 + v * 12 + 8);
      if (z < low) low = z;
      if (z > high) high = z;
    }
  }
  return [low, high];
}

describe('relief_mode=lithophane (beyond Hitem3D)', () => {
  it('makes a lithophane STL of a photo without a model (rmbg and the relief fields ignored)', async () => {
    const fields = {
      format: '3',
      relief_mode: 'lithophane',
      width: '50',
      litho_min: '0.6',
      litho_max: '2.5',
      litho_frame: '2',
      rmbg: '1',
      height_relief: '9',
    };
    const created = await createTask(live.server.url, live.accessToken, form(fields, [{ bytes: photo, name: 'coffee.png' }]));
    expect(created.body.code, created.body.msg).toBe(200);
    const done = await waitForTask(live.server.url, live.accessToken, created.body.data.task_id);
    expect(done.body.code, done.body.msg).toBe(200);
    expect(done.body.data.depth_model).toBe('lithophane');
    const file = await download(done.body.data.url!);
    expect(file.headers.get('content-type')).toBe('model/stl');
    const report = admesh(writeTemp('lithophane.stl', file.bytes));
    expect(report.parts).toBe(1);
    expect([report.disconnectedFacets, report.edgesFixed, report.facetsReversed, report.backwardsEdges]).toEqual([0, 0, 0, 0]);
    const [low, high] = zRange(file.bytes);
    expect(low).toBeCloseTo(0, 5);
    expect(high).toBeCloseTo(2.5, 4);
  });

  it('refuses lithophane for a depth-map format, litho_max <= litho_min, out-of-range fields, and with mask or subject_box', async () => {
    const cases: [Record<string, string>, boolean, RegExp][] = [
      [
        { format: '1', relief_mode: 'lithophane' },
        false,
        /relief_mode lithophane makes a mesh: format must be 3 \(stl\), 4 \(glb\) or 5 \(3mf\)/,
      ],
      [{ format: '2', relief_mode: 'lithophane' }, false, /relief_mode lithophane makes a mesh/],
      [{ format: '6', relief_mode: 'lithophane' }, false, /relief_mode lithophane makes a mesh/],
      [{ format: '3', relief_mode: 'lithophane', litho_min: '2', litho_max: '2' }, false, /litho_max must be more than litho_min \(2\)/],
      [{ format: '3', relief_mode: 'lithophane', litho_min: '3', litho_max: '1' }, false, /litho_max must be more than litho_min/],
      [{ format: '3', relief_mode: 'lithophane', litho_min: '0.1' }, false, /litho_min must be a number from 0.3 to 5/],
      [{ format: '3', relief_mode: 'lithophane', litho_frame: '25' }, false, /litho_frame must be a number from 0 to 20/],
      [{ format: '3', relief_mode: 'litho' }, false, /relief_mode must be one of relief, lithophane/],
      [{ format: '3', relief_mode: 'lithophane', subject_box: '0,0,1,1' }, false, /subject_box does not apply to a lithophane/],
      [{ format: '3', relief_mode: 'lithophane' }, true, /mask does not apply to a lithophane/],
    ];
    for (const [fields, mask, message] of cases) {
      const body = form(fields, [{ bytes: photo, name: 'coffee.png' }], mask ? [{ bytes: photo, name: 'mask.png' }] : []);
      const answer = await createTask(live.server.url, live.accessToken, body);
      expect([JSON.stringify(fields), answer.status, answer.body.code]).toEqual([JSON.stringify(fields), 400, 40020003]);
      expect(answer.body.msg).toMatch(message);
    }
    // A lithophane is made from a photo: not from a depth map the client brings.
    const body = new FormData();
    body.append('depth_map', new Blob([photo]), 'depth.png');
    body.append('format', '3');
    body.append('relief_mode', 'lithophane');
    const answer = await createTask(live.server.url, live.accessToken, body);
    expect([answer.status, answer.body.code]).toEqual([400, 40020003]);
    expect(answer.body.msg).toMatch(/relief_mode lithophane is made from a photo, not a depth_map/);
  });

  it('goes through the SDK as createTask({ reliefMode, lithoMin, lithoMax, lithoFrame }), a circle in GLB', async () => {
    const taskId = await live.sdk.createTask({
      file: photo,
      filename: 'coffee.png',
      format: 'glb',
      width: 30,
      shapeBase: 'circle',
      reliefMode: 'lithophane',
      lithoMin: 0.8,
      lithoMax: 3,
      lithoFrame: 1.5,
    });
    const task = await live.sdk.waitForTask(taskId, { intervalMs: 100 });
    expect(task.depthModel).toBe('lithophane');
    expect(
      Buffer.from(await live.sdk.download(task))
        .subarray(0, 4)
        .toString('latin1'),
    ).toBe('glTF');
  });
});
