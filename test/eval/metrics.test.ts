// The evaluation's own parts that its numbers rest on: disparity ground truth decoded as disparity,
// the kinds of scene, the order scores (ordinal error, rank correlation), and the relief measures.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readGroundTruth, readPairs, type Pair } from '../../bench/eval/dataset.js';
import { ordinalError, orderCorrelation, score } from '../../bench/eval/metrics.js';
import { fineShapeRms, normalAngle, rakingShade, ssim, textureCorrelation } from '../../bench/eval/relief-quality.js';
import type { HeightField } from '../../src/relief/heightfield.js';
import { fixture } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/server.js';

/**
 * An evaluation folder laid out like the real one: its index (test/fixtures/eval/pairs.csv, a copy
 * of the set's) and, made here, the ground-truth files of two of its rows in their formats: an 8-bit
 * disparity PNG (Middlebury 2003 Cones, disparity = v / 4) and a PFM of disparity in pixels with
 * its calib.txt (Middlebury 2014 Motorcycle).
 */
const evalDir = tempDir('eval');
/** The made-up calibration: focal length 1000 px, baseline 193 mm, doffs 31.5 px. */
const CALIB = { f: 1000, baseline: 193, doffs: 31.5 };
/** Disparities (px) of the made-up PFM, row by row from the top; Infinity is unknown. */
const DISPARITY = [
  [9.18, 20, 30, 40],
  [45, 50, 55, 62.88],
  [Infinity, 35, 25, 15],
];

beforeAll(async () => {
  copyFileSync(fixture('eval/pairs.csv'), join(evalDir, 'pairs.csv'));
  mkdirSync(join(evalDir, 'middlebury'));
  // 40 x 30: an unknown (0) left column, then stored values rising to the right.
  const cones = Buffer.alloc(40 * 30);
  for (let y = 0; y < 30; y++) for (let x = 1; x < 40; x++) cones[y * 40 + x] = 20 + 4 * x + y;
  await sharp(cones, { raw: { width: 40, height: 30, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(join(evalDir, 'middlebury/mb2003_cones.disp_x4.png'));
  // PFM: a negative scale means little-endian, and rows are stored bottom to top.
  const [width, height] = [DISPARITY[0]!.length, DISPARITY.length];
  const header = Buffer.from(`Pf\n${width} ${height}\n-1.0\n`, 'latin1');
  const body = Buffer.alloc(width * height * 4);
  DISPARITY.toReversed().forEach((row, y) => row.forEach((d, x) => body.writeFloatLE(d, (y * width + x) * 4)));
  writeFileSync(join(evalDir, 'middlebury/mb2014Q_Motorcycle.disp0GT.pfm'), Buffer.concat([header, body]));
  const { f, baseline, doffs } = CALIB;
  writeFileSync(
    join(evalDir, 'middlebury/mb2014Q_Motorcycle.calib.txt'),
    `cam0=[${f} 0 300; 0 ${f} 200; 0 0 1]\ncam1=[${f} 0 331.5; 0 ${f} 200; 0 0 1]\ndoffs=${doffs}\nbaseline=${baseline}\nwidth=${width}\nheight=${height}\n`,
  );
});

describe('ground truth', () => {
  let pairs: Pair[];
  beforeAll(() => {
    pairs = readPairs(evalDir);
  });

  it('sorts the pairs into indoor, outdoor and object scenes', () => {
    const kinds = Object.fromEntries(pairs.map((p) => [p.id, p.kind]));
    expect(kinds['nyu_m3d_00000']).toBe('indoor');
    expect(kinds['tum_open3d']).toBe('indoor');
    expect(kinds['kitti_m3d_0005']).toBe('outdoor');
    expect(kinds['mb2003_cones']).toBe('object');
    expect(kinds['mb2014Q_Motorcycle']).toBe('object');
  });

  it('reads an 8-bit disparity PNG as disparity: larger stored values are nearer, not farther', async () => {
    const pair = pairs.find((p) => p.id === 'mb2003_cones')!;
    const gt = await readGroundTruth(pair);
    const stored = await sharp(readFileSync(pair.gtPath)).extractChannel(0).raw().toBuffer();
    let nearest = 0;
    let farthest = 0;
    for (let i = 0; i < stored.length; i++) {
      if (stored[i]! > stored[nearest]!) nearest = i;
      if (stored[i]! > 0 && (stored[farthest] === 0 || stored[i]! < stored[farthest]!)) farthest = i;
    }
    expect(gt.depth[nearest]!).toBeLessThan(gt.depth[farthest]!);
    // disparity px = v / 4, depth known up to scale as its inverse; 0 is unknown.
    expect(1 / gt.depth[nearest]!).toBeCloseTo(stored[nearest]! / 4, 4);
    expect(gt.metric).toBe(false);
    expect(Number.isNaN(gt.depth[stored.indexOf(0)]!)).toBe(true);
  });

  it('turns calibrated disparity (Middlebury 2014) into metres, rows the right way up', async () => {
    const gt = await readGroundTruth(pairs.find((p) => p.id === 'mb2014Q_Motorcycle')!);
    expect(gt.metric).toBe(true);
    expect([gt.width, gt.height]).toEqual([4, 3]);
    // depth = baseline * f / (d + doffs), in mm: 9.18 px at the top left is 4.74 m, 62.88 px 2.04 m.
    const metres = (d: number) => (CALIB.baseline * CALIB.f) / (d + CALIB.doffs) / 1000;
    DISPARITY.flat().forEach((d, i) => {
      if (Number.isFinite(d)) expect(gt.depth[i]).toBeCloseTo(metres(d), 5);
      else expect(Number.isNaN(gt.depth[i]!)).toBe(true);
    });
    expect(gt.depth[0]).toBeCloseTo(4.744, 3);
  });
});

describe('order scores', () => {
  // Depth 1..10 m over 100 pixels.
  const depth = Float32Array.from({ length: 100 }, (_, i) => 1 + (9 * i) / 99);
  const all = Int32Array.from({ length: 100 }, (_, i) => i);
  const inverse = depth.map((d) => 1 / d);

  it('is 0 wrong and correlation 1 for the true order, all wrong and -1 inverted', () => {
    expect(ordinalError(inverse, depth, all)).toBe(0);
    expect(orderCorrelation(inverse, depth, all)).toBeCloseTo(1, 6);
    expect(ordinalError(depth, depth, all)).toBe(1);
    expect(orderCorrelation(depth, depth, all)).toBeCloseTo(-1, 6);
  });

  it('counts a flat (black) map as wrong on every clearly ordered pair', () => {
    expect(ordinalError(new Float32Array(100), depth, all)).toBe(1);
    expect(orderCorrelation(new Float32Array(100), depth, all)).toBe(0);
  });

  it('scores a map against ground truth of another size', () => {
    const gt = { width: 10, height: 10, depth, metric: true, coverage: 1 };
    const s = score(
      {
        width: 20,
        height: 20,
        data: new Float32Array(400).map((_, i) => inverse[Math.floor(Math.floor(i / 20) / 2) * 10 + Math.floor((i % 20) / 2)]!),
      },
      gt,
    );
    expect(s.ordinal).toBe(0);
    expect(s.absRel).toBeLessThan(0.01);
  });
});

describe('relief measures', () => {
  /** A height field over a cols x rows grid, 0.1 mm per sample, all inside. */
  function field(cols: number, rows: number, z: (x: number, y: number) => number): HeightField {
    const values = new Float32Array(cols * rows);
    for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) values[y * cols + x] = z(x, y);
    const inside = new Uint8Array(cols * rows).fill(1);
    return {
      cols,
      rows,
      z: values,
      field: new Float32Array(cols * rows).fill(1),
      inside,
      peak: 0,
      mmPerSample: 0.1,
      region: { x: 0, y: 0, w: cols, h: rows },
    };
  }
  const bumps = field(120, 80, (x, y) => 1 + 0.2 * Math.sin(x / 4) * Math.cos(y / 5));
  const all = new Uint8Array(120 * 80).fill(1);

  it("lights a flat top by the light's elevation, and a slope facing the light (upper left) brighter", () => {
    expect(rakingShade(field(10, 10, () => 1))[55]).toBeCloseTo(Math.sin((25 * Math.PI) / 180), 5);
    // Rising to the right: its face looks left, towards the light.
    const towards = rakingShade(field(10, 10, (x) => 0.05 * x))[55]!;
    const away = rakingShade(field(10, 10, (x) => -0.05 * x))[55]!;
    expect(towards).toBeGreaterThan(away);
  });

  it('scores a relief against itself as identical, and a different one lower', () => {
    const shade = rakingShade(bumps);
    expect(ssim(shade, shade, all, 120, 80)).toBeCloseTo(1, 6);
    expect(normalAngle(bumps, bumps, all)).toBeCloseTo(0, 6);
    const other = field(120, 80, (x, y) => 1 + 0.2 * Math.cos(x / 3) * Math.sin(y / 7));
    expect(ssim(rakingShade(other), shade, all, 120, 80)).toBeLessThan(0.8);
    expect(normalAngle(other, bumps, all)).toBeGreaterThan(1);
  });

  it('finds no fine shape on a flat top, next to none on a relief-like tilt, and some in bumps a millimetre apart', () => {
    expect(fineShapeRms(field(60, 60, () => 2))).toBeLessThan(1e-6);
    // 1.3 mm over 40 mm: only the edges, where the blur is one-sided, see anything (0.015 mm RMS:
    // the measure, the issue's, counts that much of a tilted cut-out's rim as fine shape).
    expect(fineShapeRms(field(400, 400, (x) => (1.3 * x) / 400))).toBeLessThan(0.02);
    expect(fineShapeRms(bumps)).toBeGreaterThan(0.05);
  });

  it("calls fine shape that copies the photo's fine luminance texture (|r| near 1) and shape that does not ~0", () => {
    const luma = Float32Array.from(bumps.z, (z) => z - 1);
    expect(textureCorrelation(bumps, luma, 120, 80, 120, 80)).toBeGreaterThan(0.95);
    const unrelated = Float32Array.from({ length: 120 * 80 }, (_, i) => Math.sin(i * 12.9898) * 0.5);
    expect(Math.abs(textureCorrelation(bumps, unrelated, 120, 80, 120, 80))).toBeLessThan(0.2);
  });
});
