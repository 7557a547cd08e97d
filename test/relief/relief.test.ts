// Reliefs of real photos and of synthetic maps: closed, manifold, outward meshes of the asked size
// (checked here and by ADMesh), following the depth map within the error bound, right way round.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/eval/stats.js';
import { fineShapeRms } from '../../bench/eval/relief-quality.js';
import { readDepthMap } from '../../src/formats/depth-input.js';
import { encodeDepthMap } from '../../src/formats/index.js';
import { encodeStl } from '../../src/formats/stl.js';
import type { DepthMap } from '../../src/raster/depth-map.js';
import { DEFAULT_RELIEF_OPTIONS, heightField } from '../../src/relief/heightfield.js';
import { buildRelief, meshBounds, ReliefInputError, type ReliefParams } from '../../src/relief/index.js';
import { admesh, photoMap, PHOTOS, syntheticMap, topHeights, topology, writeTemp } from './helpers.js';

const HI3D: ReliefParams = { heightRelief: 1.3, width: 40, shapeBase: 'square', thicknessBase: 1, sculpmode: 'emboss' };

type Case = [string, keyof typeof PHOTOS, boolean, Partial<ReliefParams>];
const cases: Case[] = [
  ['apple, plate, hi3d defaults', 'apple', false, {}],
  ['apple, disk, engrave', 'apple', false, { shapeBase: 'circle', sculpmode: 'engrave' }],
  ['street, plate, engrave, largest sizes', 'street', false, { sculpmode: 'engrave', width: 600, heightRelief: 50, thicknessBase: 20 }],
  ['street, disk, smallest sizes', 'street', false, { shapeBase: 'circle', width: 20, heightRelief: 0.1, thicknessBase: 0.1 }],
  ['coffee, disk, tall relief', 'coffee', false, { shapeBase: 'circle', width: 120, heightRelief: 8 }],
  ['apple, cut-out, hi3d defaults', 'apple', true, {}],
  ['coffee, cut-out, engrave', 'coffee', true, { sculpmode: 'engrave', width: 80 }],
  ['smarties, cut-out, many blobs', 'smarties', true, {}],
  [
    'street, cut-out, largest sizes (shape_base has no say)',
    'street',
    true,
    { shapeBase: 'circle', width: 600, heightRelief: 50, thicknessBase: 20 },
  ],
];

describe('reliefs of real photos', () => {
  it.each(cases)('%s: closed, manifold, outward, the asked size; ADMesh finds nothing to fix', async (_label, photo, rmbg, overrides) => {
    const map = await photoMap(photo, rmbg);
    const params = { ...HI3D, ...overrides };
    const { mesh, stats } = buildRelief(map, params);

    const topo = topology(mesh);
    expect(topo.badEdges).toBe(0);
    expect(topo.degenerate).toBe(0);
    expect(topo.volume).toBeGreaterThan(0);
    if (!rmbg) {
      expect(topo.shells).toBe(1);
      expect(topo.euler).toBe(2); // one closed shell, no handles
    }
    // Adaptive: fewer triangles than samples (one per pixel would be two per sample): far fewer at
    // ordinary sizes; at 50 mm of relief held to 0.03 mm (0.06 %) the mesh must follow the map's
    // fine texture, and half a per-pixel mesh is what adaptivity can still save.
    const budget = params.heightRelief >= 50 ? 1 : 1 / 4;
    expect(topo.triangles).toBeLessThan(stats.cols * stats.rows * budget);
    expect(stats.error).toBeLessThanOrEqual(0.03);

    const report = admesh(writeTemp('relief.stl', encodeStl(mesh)));
    expect(report.facets).toBe(topo.triangles);
    expect(report.parts).toBe(topo.shells);
    expect(report.disconnectedFacets).toBe(0);
    expect(report.degenerateFacets).toBe(0);
    expect(report.edgesFixed).toBe(0);
    expect(report.facetsRemoved).toBe(0);
    expect(report.facetsAdded).toBe(0);
    expect(report.facetsReversed).toBe(0);
    expect(report.backwardsEdges).toBe(0);
    expect(report.normalsFixed).toBe(0);
    expect(Math.abs(report.volume - topo.volume)).toBeLessThanOrEqual(topo.volume * 1e-5); // admesh sums in float32

    const { min, max } = meshBounds(mesh);
    const size = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
    expect(min).toEqual([0, 0, 0]);
    expect(Math.abs(size[0]! - params.width)).toBeLessThanOrEqual(params.width * 0.005);
    // The top reaches thickness + height exactly (the highest sample is a vertex).
    expect(max[2]).toBeCloseTo(params.thicknessBase + params.heightRelief, 4);
    if (!rmbg) {
      const aspect = params.shapeBase === 'circle' ? 1 : map.height / map.width;
      expect(Math.abs(size[1]! / size[0]! - aspect)).toBeLessThanOrEqual(aspect * 0.005);
    }
  });

  it('keeps each sweet of a cut-out as its own closed shell', async () => {
    const { mesh } = buildRelief(await photoMap('smarties', true), HI3D);
    const topo = topology(mesh);
    expect(topo.shells).toBeGreaterThan(5);
    expect(topo.badEdges).toBe(0);
  });
});

describe('accuracy against the depth map', () => {
  // 1024 x 683 at 60 mm: 0.059 mm pixels, coarser than minSpacing, so every pixel is a sample. The
  // mesh against the heights it was given: the depth as it is (no bas-relief engine, no smoothing).
  const params: ReliefParams = { ...HI3D, width: 60, heightRelief: 3, reliefStyle: 'smooth', reliefDetail: 0, reliefSmooth: 0 };
  const maxError = 0.05;

  /** Top heights at every pixel's position: pixel (x, row) sits at (x, height - 1 - row) steps. */
  function heightsAtPixels(map: DepthMap, sculpmode: 'emboss' | 'engrave') {
    const relief = buildRelief(map, { ...params, sculpmode }, { maxError });
    const step = params.width / (map.width - 1);
    const xs = Array.from({ length: map.width }, (_, i) => i * step);
    const ys = Array.from({ length: map.height }, (_, j) => j * step);
    const grid = topHeights(relief.mesh, xs, ys);
    const z = new Float64Array(map.width * map.height);
    for (let row = 0; row < map.height; row++) {
      for (let x = 0; x < map.width; x++) z[row * map.width + x] = grid[(map.height - 1 - row) * map.width + x]!;
    }
    return { relief, z };
  }

  it('follows every pixel within maxError, read right way round from above, with far fewer triangles', async () => {
    const map = await photoMap('street', false);
    expect([map.width, map.height]).toEqual([1024, 683]);
    const { relief, z } = heightsAtPixels(map, 'emboss');
    expect([relief.stats.cols, relief.stats.rows]).toEqual([1024, 683]);
    let worst = 0;
    for (let i = 0; i < z.length; i++) {
      const expected = params.thicknessBase + map.depth[i]! * params.heightRelief;
      if (Number.isNaN(z[i]!)) throw new Error(`pixel ${i} is not covered by the top surface`);
      worst = Math.max(worst, Math.abs(z[i]! - expected));
    }
    expect(worst).toBeLessThanOrEqual(maxError + 1e-4);
    expect(relief.stats.triangles.top).toBeLessThan((map.width * map.height) / 20);
  });

  it('raises near parts when embossing and sinks them when engraving', async () => {
    const map = await photoMap('street', false);
    const emboss = heightsAtPixels(map, 'emboss').z;
    const engrave = heightsAtPixels(map, 'engrave').z;
    const { thicknessBase: base, heightRelief: height } = params;
    let near = 0;
    let worstSum = 0;
    let nearTooLow = 0;
    let nearTooHigh = 0;
    for (let i = 0; i < map.depth.length; i++) {
      // Engraving is the mirror image of embossing within the plate's relief band.
      worstSum = Math.max(worstSum, Math.abs(emboss[i]! + engrave[i]! - (2 * base + height)));
      if (map.depth[i]! > 0.9) {
        near++;
        if (!(emboss[i]! > base + 0.85 * height)) nearTooLow++;
        if (!(engrave[i]! < base + 0.15 * height)) nearTooHigh++;
      }
    }
    expect(worstSum).toBeLessThanOrEqual(2 * maxError + 1e-4);
    expect([nearTooLow, nearTooHigh]).toEqual([0, 0]);
    expect(near).toBeGreaterThan(100);
  });

  it('trades triangles for error: a coarser bound gives fewer triangles, each bound is met', async () => {
    const map = await photoMap('apple', false, 'pro');
    let previous = Infinity;
    for (const maxError of [0.01, 0.03, 0.1]) {
      const { stats } = buildRelief(map, HI3D, { maxError });
      expect(stats.error).toBeLessThanOrEqual(maxError);
      expect(stats.triangles.total).toBeLessThan(previous);
      previous = stats.triangles.total;
    }
  });

  it('averages a 2K map down to minSpacing (0.05 mm at 40 mm: 800 samples; 0.1 mm, 400, in the detailed style), or keeps every pixel with 0', async () => {
    const map = await photoMap('apple', false, 'pro');
    expect(map.width).toBe(2048);
    const coarse = buildRelief(map, { ...HI3D, reliefStyle: 'smooth' });
    expect(coarse.stats.cols).toBe(800);
    expect(coarse.stats.mmPerSample).toBeGreaterThanOrEqual(0.05);
    const detailed = buildRelief(map, HI3D);
    expect(detailed.stats.cols).toBe(400);
    expect(detailed.stats.mmPerSample).toBeGreaterThanOrEqual(0.1);
    const full = buildRelief(map, { ...HI3D, reliefStyle: 'smooth' }, { minSpacing: 0 });
    expect(full.stats.cols).toBe(2048);
    expect(meshBounds(full.mesh).max[0]).toBeCloseTo(40, 4);
  });
});

describe('cut-outs', () => {
  // 300 x 200 px: a ring (a disk with a hole, so a shell with a handle), a square with a one-pixel
  // hole (filled), and a two-pixel speck (dropped). Depth rises to the right.
  const ring = (x: number, y: number) => {
    const r = Math.hypot(x - 80, y - 100);
    return r <= 50 && r >= 15;
  };
  const square = (x: number, y: number) => x >= 180 && x <= 260 && y >= 60 && y <= 140 && !(x === 220 && y === 100);
  const speck = (x: number, y: number) => y === 20 && (x === 150 || x === 151);
  const map = syntheticMap(
    300,
    200,
    (x, y) => 0.2 + (0.6 * x) / 300 + 0.1 * Math.sin(y / 10),
    (x, y) => (ring(x, y) || square(x, y) || speck(x, y) ? 1 : 0),
  );
  const params: ReliefParams = { ...HI3D, width: 60 };

  it('extrudes each blob from z = 0, keeps holes, drops specks and fills pinholes', () => {
    const { mesh } = buildRelief(map, params);
    const topo = topology(mesh);
    expect(topo.badEdges).toBe(0);
    expect(topo.degenerate).toBe(0);
    expect(topo.volume).toBeGreaterThan(0);
    expect(topo.shells).toBe(2);
    expect(topo.euler).toBe(2); // (2 shells) x 2 - (1 handle: the ring's hole) x 2

    const report = admesh(writeTemp('cutout.stl', encodeStl(mesh)));
    expect(report.parts).toBe(2);
    expect([report.edgesFixed, report.facetsRemoved, report.facetsAdded, report.facetsReversed, report.backwardsEdges]).toEqual([
      0, 0, 0, 0, 0,
    ]);

    // The foreground spans x = 30 .. 260 px: that is the 60 mm.
    const { min, max } = meshBounds(mesh);
    expect(min[2]).toBe(0);
    expect(max[0] - min[0]).toBeCloseTo(60, 1);
    // The outline crosses halfway between the last foreground pixel and the first background one,
    // so the mesh's X = 0 is x = 29.5 px, its Y = 0 the row y = 150.5 px, and 231 px make 60 mm.
    const mm = 60 / 231;
    const top = (x: number, y: number) => topHeights(mesh, [(x - 29.5) * mm], [(150.5 - y) * mm])[0]!;
    expect(top(80, 100)).toBeNaN(); // the ring's hole
    expect(top(150, 20)).toBeNaN(); // the speck is gone
    expect(top(220, 100)).toBeGreaterThanOrEqual(params.thicknessBase); // the pinhole is filled
    expect(top(100, 100)).toBeGreaterThanOrEqual(params.thicknessBase); // on the ring
    expect(top(10, 10)).toBeNaN(); // background
  });

  it('keeps thicknessBase of material under the lowest point of a cut-out', () => {
    const { mesh } = buildRelief(map, { ...params, thicknessBase: 2 });
    const { positions } = mesh;
    let lowestTop = Infinity;
    for (let i = 2; i < positions.length; i += 3) if (positions[i]! > 0) lowestTop = Math.min(lowestTop, positions[i]!);
    expect(lowestTop).toBeCloseTo(2, 4);
  });

  it('fails clearly when background removal left nothing', () => {
    const empty = syntheticMap(
      64,
      64,
      () => 0.5,
      () => 0,
    );
    expect(() => buildRelief(empty, params)).toThrow(ReliefInputError);
    expect(() => buildRelief(empty, params)).toThrow(/no object/);
  });
});

describe('printable by default', () => {
  // A 20 mm disc (centre 100, 100; radius 50 px at 0.2 mm/px) with a 0.4 mm antenna (2 px wide,
  // 60 px long) and a 1.2 mm leg (6 px wide).
  const disc = (x: number, y: number) => Math.hypot(x - 100, y - 100) < 50;
  const antenna = (x: number, y: number) => x >= 150 && x < 210 && y >= 99 && y < 101;
  const leg = (x: number, y: number) => y >= 150 && y < 200 && x >= 97 && x < 103;
  const map = syntheticMap(
    260,
    220,
    () => 0.5,
    (x, y) => (disc(x, y) || antenna(x, y) || leg(x, y) ? 1 : 0),
  );
  const params: ReliefParams = { ...HI3D, width: 32 }; // the 160 px box: 0.2 mm per pixel

  /** Y extent over X extent of the mesh (X is always `width` mm): which parts are left. */
  const aspect = (minFeature?: number) => {
    const { min, max } = meshBounds(buildRelief(map, { ...params, ...(minFeature === undefined ? {} : { minFeature }) }).mesh);
    return (max[1] - min[1]) / (max[0] - min[0]);
  };

  it('drops parts narrower than min_feature (0.8 mm by default) and keeps wider ones', () => {
    // Everything: the box of disc and antenna, 160 x 150 px.
    expect(aspect(0)).toBeCloseTo(150 / 160, 1);
    // min_feature 0.8 (the default): the 0.4 mm antenna is gone, the 1.2 mm leg stays: 100 x 150 px.
    expect(aspect()).toBeCloseTo(150 / 100, 1);
    expect(aspect(0.8)).toBe(aspect());
    // 1.5 mm: the leg goes too, the disc is left.
    expect(aspect(1.5)).toBeCloseTo(1, 1);
    expect(topology(buildRelief(map, params).mesh).badEdges).toBe(0);
  });
});

describe('a bound on the mesh', () => {
  // Noise as depth and as the cut: every pixel its own speck or hole, the outline everywhere.
  const noise = mulberry32(7);
  const map = syntheticMap(
    400,
    300,
    () => noise(),
    () => (noise() < 0.5 ? 1 : 0),
  );
  const params: ReliefParams = { ...HI3D, width: 600, heightRelief: 50, minFeature: 0 };

  it('refuses a relief over the triangle limit before building it, saying what to change', () => {
    const attempt = () => buildRelief(map, params, { maxMeshTriangles: 200_000 });
    expect(attempt).toThrow(ReliefInputError);
    expect(attempt).toThrow(
      /would be a mesh of about [\d,]+ triangles, more than the 200,000 a relief may have; make it smaller \(width\)/,
    );
  });

  it('builds a plate of the same noise within the limit: the top gives up detail, not the bound', () => {
    const plate = syntheticMap(400, 300, () => noise());
    const relief = buildRelief(plate, params, { maxMeshTriangles: 200_000 });
    expect(relief.stats.triangles.total).toBeLessThanOrEqual(200_000);
    expect(relief.stats.triangles.top).toBeGreaterThan(150_000);
  });
});

describe('the bas-relief engine on photos', () => {
  /** RMS (mm) of the top height minus its 2 mm blur inside the footprint: the fine shape the issue measures. */
  async function fineShape(photo: keyof typeof PHOTOS, extra: Partial<ReliefParams>): Promise<number> {
    const map = await photoMap(photo, true, 'pro');
    return fineShapeRms(heightField(map, { ...HI3D, reliefStyle: 'smooth', ...extra }, DEFAULT_RELIEF_OPTIONS));
  }

  it('gives cut-outs at the API defaults more fine shape than the same depth scaled as it is', { timeout: 300_000 }, async () => {
    let linear = 0;
    let shaped = 0;
    for (const photo of Object.keys(PHOTOS) as (keyof typeof PHOTOS)[]) {
      const a = await fineShape(photo, { reliefDetail: 0 });
      const b = await fineShape(photo, {});
      console.log(`fine shape of ${photo}: ${a.toFixed(3)} mm scaled as is, ${b.toFixed(3)} mm at the defaults`);
      linear += a;
      shaped += b;
    }
    expect(shaped).toBeGreaterThan(1.2 * linear);
  });
});

describe('a relief from the depth PNG of a task', () => {
  // The web UI makes its smooth-style preview and mesh downloads from the depth PNG on screen
  // (create-task's depth_map), not from the photo again: that must be the mesh the photo gives.
  it.each([
    { kind: 'cut-out', rmbg: true },
    { kind: 'plate', rmbg: false },
  ])('$kind: the same size, triangles within 3 %, the top surface within twice the error bound', async ({ rmbg }) => {
    const map = await photoMap('apple', rmbg);
    const png = await encodeDepthMap('png', map);
    const reread = await readDepthMap(png.bytes, { ignoreAlpha: !rmbg });
    const fromPhoto = buildRelief(map, { ...HI3D, reliefStyle: 'smooth' });
    const fromPng = buildRelief(reread, HI3D);
    expect(meshBounds(fromPng.mesh)).toEqual(meshBounds(fromPhoto.mesh));
    expect(Math.abs(fromPng.stats.triangles.total - fromPhoto.stats.triangles.total)).toBeLessThanOrEqual(
      0.03 * fromPhoto.stats.triangles.total,
    );
    const { min, max } = meshBounds(fromPhoto.mesh);
    const axis = (lo: number, hi: number) => Array.from({ length: 100 }, (_, i) => lo + ((i + 0.5) * (hi - lo)) / 100);
    const [xs, ys] = [axis(min[0], max[0]), axis(min[1], max[1])];
    const a = topHeights(fromPhoto.mesh, xs, ys);
    const b = topHeights(fromPng.mesh, xs, ys);
    let worst = 0;
    let compared = 0;
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(a[i]!) || Number.isNaN(b[i]!)) continue;
      worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      compared++;
    }
    expect(compared).toBeGreaterThan((rmbg ? 0.2 : 0.95) * a.length);
    // Each mesh is within the error bound of its samples, which differ by 16-bit rounding only.
    expect(worst).toBeLessThan(2 * fromPhoto.stats.error + 0.001);
  });
});
