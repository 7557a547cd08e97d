// create-task's litho_shape and litho_angle (beyond Hitem3D): curved and cylinder lithophanes
// through the real server and the SDK, read back by ADMesh, and the refusals of combinations that
// make no sense, with their API.md code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepthmillClient } from '@depthmill/client';
import { createTask, download, form, waitForTask } from '../helpers/api.js';
import { signIn, startServer, type TestServer } from '../helpers/server.js';
import { admesh, PHOTOS, writeTemp } from '../relief/helpers.js';
import { readPhoto } from '../helpers/fixtures.js';

let server: TestServer;
let accessToken: string;
let sdk: DepthmillClient;
const photo = readPhoto(PHOTOS.coffee); // 600 x 400

beforeAll(async () => {
  server = await startServer();
  const credentials = await signIn(server);
  accessToken = credentials.accessToken;
  sdk = new DepthmillClient({ baseUrl: server.url, clientId: credentials.clientId, clientSecret: credentials.clientSecret });
});

afterAll(async () => {
  await server?.stop();
});

/** Each axis's extent of a binary STL's vertices, in mm. */
function extents(stl: Buffer): [number, number, number] {
  const low = [Infinity, Infinity, Infinity];
  const high = [-Infinity, -Infinity, -Infinity];
  for (let t = 0, count = stl.readUInt32LE(80); t < count; t++) {
    for (let v = 0; v < 3; v++) {
      for (let k = 0; k < 3; k++) {
        const value = stl.readFloatLE(84 + t * 50 + 12 + v * 12 + 4 * k);
        low[k] = Math.min(low[k]!, value);
        high[k] = Math.max(high[k]!, value);
      }
    }
  }
  return [high[0]! - low[0]!, high[1]! - low[1]!, high[2]! - low[2]!];
}

describe('litho_shape and litho_angle (beyond Hitem3D)', () => {
  it("makes a 100 mm cylinder: one closed part, a tube width / π across standing the photo's height", async () => {
    const fields = { format: '3', relief_mode: 'lithophane', litho_shape: 'cylinder', width: '100', litho_frame: '2' };
    const created = await createTask(server.url, accessToken, form(fields, [{ bytes: photo, name: 'coffee.png' }]));
    expect(created.body.code, created.body.msg).toBe(200);
    const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
    expect(done.body.code, done.body.msg).toBe(200);
    const file = await download(done.body.data.url!);
    const report = admesh(writeTemp('cylinder.stl', file.bytes));
    expect(report.parts).toBe(1);
    expect([report.disconnectedFacets, report.degenerateFacets, report.edgesFixed, report.facetsReversed, report.backwardsEdges]).toEqual([
      0, 0, 0, 0, 0,
    ]);
    const [x, y, z] = extents(file.bytes);
    expect(x).toBeCloseTo(100 / Math.PI, 2);
    expect(y).toBeCloseTo(100 / Math.PI, 2);
    expect(z).toBeCloseTo((100 * 400) / 600, 0);
  });

  it('goes through the SDK as createTask({ lithoShape: "arc", lithoAngle }): a 90° arc whose X extent is its chord', async () => {
    const taskId = await sdk.createTask({
      file: photo,
      filename: 'coffee.png',
      format: 'stl',
      width: 60,
      reliefMode: 'lithophane',
      lithoShape: 'arc',
      lithoAngle: 90,
    });
    const task = await sdk.waitForTask(taskId, { intervalMs: 100 });
    expect(task.mesh?.shells).toBe(1);
    const [x, y] = extents(Buffer.from(await sdk.download(task)));
    const radius = 60 / (Math.PI / 2);
    expect(x).toBeCloseTo(2 * radius * Math.sin(Math.PI / 4), 2);
    // The sagitta, and at the ends the wall's thickness (litho_min..litho_max, 0.8..3 by default) seen at 45°.
    expect(y).toBeGreaterThan(radius * (1 - Math.cos(Math.PI / 4)) + 0.8 * Math.cos(Math.PI / 4) - 0.01);
    expect(y).toBeLessThan(radius * (1 - Math.cos(Math.PI / 4)) + 3 * Math.cos(Math.PI / 4) + 0.01);
  });

  it('refuses combinations that make no sense, with 40020003 and the fields named', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ format: '3', litho_shape: 'arc' }, /litho_shape only applies with relief_mode=lithophane \(got "arc"\)/],
      [{ format: '3', relief_mode: 'relief', litho_shape: 'flat' }, /litho_shape only applies with relief_mode=lithophane/],
      [{ format: '3', relief_mode: 'lithophane', litho_angle: '90' }, /litho_angle only applies with litho_shape=arc \(got "90"\)/],
      [
        { format: '3', relief_mode: 'lithophane', litho_shape: 'cylinder', litho_angle: '120' },
        /litho_angle only applies with litho_shape=arc/,
      ],
      [{ format: '3', litho_shape: 'arc', litho_angle: '90' }, /litho_shape only applies with relief_mode=lithophane/],
      [{ format: '3', relief_mode: 'lithophane', litho_shape: 'tube' }, /litho_shape must be one of flat, arc, cylinder/],
      [{ format: '3', relief_mode: 'lithophane', litho_shape: 'arc', litho_angle: '360' }, /litho_angle must be a number from 10 to 350/],
      [
        { format: '3', relief_mode: 'lithophane', litho_shape: 'arc', shape_base: '1' },
        /litho_shape arc bends the rectangular plate: shape_base must be 0/,
      ],
      [
        { format: '3', relief_mode: 'lithophane', litho_shape: 'cylinder', width: '30' },
        /width gives a cylinder of radius 4.8 mm .*less than twice litho_max \(3\): make width at least 38/,
      ],
      [
        { format: '3', relief_mode: 'lithophane', litho_shape: 'arc', litho_angle: '350', width: '20', litho_max: '2' },
        /width gives an arc of radius 3.3 mm/,
      ],
    ];
    for (const [fields, message] of cases) {
      const answer = await createTask(server.url, accessToken, form(fields, [{ bytes: photo, name: 'coffee.png' }]));
      expect([JSON.stringify(fields), answer.status, answer.body.code]).toEqual([JSON.stringify(fields), 400, 40020003]);
      expect(answer.body.msg).toMatch(message);
    }
  });
});
