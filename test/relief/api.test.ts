// Reliefs through the real server, as a Hitem3D client asks for them: the hi3d defaults sent as
// form fields, the 3MF downloaded and handed to PrusaSlicer as is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, download, form, produce, waitForTask } from '../helpers/api.js';
import { signIn, startServer, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';
import { admesh, slice, slicerInfo, writeTemp } from './helpers.js';

const APPLE = readPhoto('opencv_apple.jpg');
// 1500 x 1000: the plate's aspect ratio shows.
const STREET = readPhoto('metric3d_randy-fath-G1yhU1Ej-9A-unsplash.jpg');
// Many sweets: the cut leaves many separate pieces.
const SMARTIES = readPhoto('opencv_smarties.png');
// A face: what the detailed style is for.
const FACE = readPhoto('facerec_obama.jpg');

let server: TestServer;
let accessToken: string;

function relief(image: Buffer, fields: Record<string, string>) {
  return produce(server.url, accessToken, image, fields);
}

beforeAll(async () => {
  server = await startServer();
  ({ accessToken } = await signIn(server));
});

afterAll(async () => {
  await server?.stop();
});

describe('reliefs through the API', () => {
  it('format 5 with the hi3d defaults gives a 3MF that PrusaSlicer slices as is', async () => {
    // What a Hitem3D client sends: pro, background removed, height 1.3 mm, width 40 mm, base 1 mm.
    const fields = {
      format: '5',
      model_type: 'pro',
      rmbg: '1',
      height_relief: '1.3',
      width: '40',
      thickness_base: '1',
      shape_base: '0',
      sculpmode: '0',
    };
    const file = await relief(APPLE, fields);
    expect(file.headers.get('content-type')).toBe('model/3mf');
    const path = writeTemp('apple.3mf', file.bytes);

    const info = slicerInfo(path);
    expect(info.manifold).toBe(true);
    expect(info.parts).toBe(1); // the apple
    expect(info.size[0]).toBeCloseTo(40, 2);
    expect(info.size[2]).toBeCloseTo(2.3, 3); // 1 mm under the lowest point + 1.3 mm of relief

    const gcode = slice(path);
    expect(gcode.length).toBeGreaterThan(10_000);
    expect(gcode).toMatch(/^;LAYER_CHANGE$/m);
    expect(gcode).toMatch(/^G1 X[\d.]+ Y[\d.]+ E[\d.]+/m);
  });

  it('a 100 mm relief of a face in the detailed style (the default) is under 10 MB, clean in ADMesh and sliced by PrusaSlicer; smooth is another mesh', async () => {
    const fields = { format: '3', model_type: 'pro', width: '100' };
    const detailed = await relief(FACE, fields);
    expect(detailed.bytes.length).toBeLessThan(10_000_000);
    const path = writeTemp('face-detailed.stl', detailed.bytes);
    const report = admesh(path);
    expect([
      report.edgesFixed,
      report.facetsRemoved,
      report.facetsAdded,
      report.facetsReversed,
      report.backwardsEdges,
      report.normalsFixed,
    ]).toEqual([0, 0, 0, 0, 0, 0]);
    const info = slicerInfo(path);
    expect(info.manifold).toBe(true);
    expect(info.size[0]).toBeCloseTo(100, 1);
    expect(info.size[2]).toBeCloseTo(2.3, 3);
    expect(slice(path)).toMatch(/^;LAYER_CHANGE$/m);
    const smooth = await relief(FACE, { ...fields, relief_style: 'smooth' });
    // The photo's detail takes triangles the depth alone does not need.
    expect(detailed.bytes.readUInt32LE(80)).toBeGreaterThan(smooth.bytes.readUInt32LE(80));
  });

  it('format 3 follows the mesh fields: an engraved disk plate, 60 mm across, 2 + 5 mm high', async () => {
    const fields = {
      format: '3',
      model_type: 'base',
      rmbg: '0',
      height_relief: '5',
      width: '60',
      thickness_base: '2',
      shape_base: '1',
      sculpmode: '1',
    };
    const file = await relief(STREET, fields);
    expect(file.headers.get('content-type')).toBe('model/stl');
    const path = writeTemp('street.stl', file.bytes);
    const info = slicerInfo(path);
    expect(info.manifold).toBe(true);
    expect(info.size[0]).toBeCloseTo(60, 2);
    expect(info.size[1]).toBeCloseTo(60, 0); // a disk
    expect(info.size[2]).toBeCloseTo(7, 3);
    // A disk of 60 mm and 2..7 mm high holds between pi 30² 2 and pi 30² 7 mm³.
    expect(info.volume).toBeGreaterThan(Math.PI * 900 * 2);
    expect(info.volume).toBeLessThan(Math.PI * 900 * 7);
    const report = admesh(path);
    expect([
      report.parts,
      report.edgesFixed,
      report.facetsRemoved,
      report.facetsAdded,
      report.facetsReversed,
      report.backwardsEdges,
    ]).toEqual([1, 0, 0, 0, 0, 0]);
  });

  it('says in query-task how many triangles and separate parts (shells) a relief has, as ADMesh counts them', async () => {
    const shellsOf = async (image: Buffer, rmbg: string) => {
      const created = await createTask(server.url, accessToken, form({ format: '3', model_type: 'base', rmbg }, [{ bytes: image }]));
      const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
      expect(done.body.code).toBe(200);
      const file = await download(done.body.data.url!);
      const report = admesh(writeTemp(`shells-${rmbg}.stl`, file.bytes));
      return {
        mesh: (done.body.data as { mesh?: { triangles: number; shells: number } }).mesh,
        facets: file.bytes.readUInt32LE(80),
        parts: report.parts,
      };
    };
    const sweets = await shellsOf(SMARTIES, '1');
    expect(sweets.mesh).toEqual({ triangles: sweets.facets, shells: sweets.parts });
    expect(sweets.parts).toBeGreaterThan(3);
    const plate = await shellsOf(SMARTIES, '0');
    expect(plate.mesh).toEqual({ triangles: plate.facets, shells: 1 });
  });

  it("format 4 with a square plate: a GLB in metres, 40 mm wide, with the photo's aspect ratio", async () => {
    const file = await relief(STREET, { format: '4', model_type: 'base', rmbg: '0' });
    expect(file.headers.get('content-type')).toBe('model/gltf-binary');
    const json = JSON.parse(file.bytes.subarray(20, 20 + file.bytes.readUInt32LE(12)).toString('utf8')) as {
      accessors: Array<{ min?: number[]; max?: number[] }>;
      meshes: Array<{ primitives: Array<{ attributes: { POSITION: number } }> }>;
    };
    const position = json.accessors[json.meshes[0]!.primitives[0]!.attributes.POSITION]!;
    expect(position.max![0]! - position.min![0]!).toBeCloseTo(0.04, 5);
    expect(position.max![1]!).toBeCloseTo(0.0023, 6); // up: 1 + 1.3 mm
    expect((position.max![2]! - position.min![2]!) / 0.04).toBeCloseTo(1000 / 1500, 2);
  });
});

describe('the mesh limit (DEPTHMILL_MAX_TRIANGLES)', () => {
  it("reaches the worker: a plate that has more triangles by default keeps within the operator's limit", async () => {
    const plateTriangles = async (url: string, token: string) => {
      const created = await createTask(url, token, form({ format: '3', model_type: 'base', rmbg: '0' }, [{ bytes: APPLE }]));
      const done = await waitForTask(url, token, created.body.data.task_id);
      expect(done.body.code, done.body.msg).toBe(200);
      return (done.body.data as { mesh?: { triangles: number } }).mesh!.triangles;
    };
    expect(await plateTriangles(server.url, accessToken)).toBeGreaterThan(3000);
    const small = await startServer({ env: { DEPTHMILL_MAX_TRIANGLES: '3000' } });
    try {
      const { accessToken: token } = await signIn(small);
      expect(await plateTriangles(small.url, token)).toBeLessThanOrEqual(3000);
    } finally {
      await small.stop();
    }
  });
});
