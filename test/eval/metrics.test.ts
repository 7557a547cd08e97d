// The evaluation's own parts that its numbers rest on: disparity ground truth decoded as disparity,
// the kinds of scene, and the order scores (ordinal error, rank correlation).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readGroundTruth, readPairs } from '../../bench/eval/dataset.js';
import { ordinalError, orderCorrelation, score } from '../../bench/eval/metrics.js';
import { sharedDir } from '../pipeline/helpers.js';

const evalDir = resolve(sharedDir, 'eval');

describe('ground truth', () => {
  const pairs = readPairs(evalDir);

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

  it('turns calibrated disparity (Middlebury 2014) into metres', async () => {
    const gt = await readGroundTruth(pairs.find((p) => p.id === 'mb2014Q_Motorcycle')!);
    expect(gt.metric).toBe(true);
    const valid = Array.from(gt.depth).filter((d) => d > 0);
    // MANIFEST.md: disparities 9.18..62.88 px with this calibration put the scene about 2 to 4.6 m away.
    expect(valid.reduce((a, b) => Math.min(a, b))).toBeGreaterThan(1.5);
    expect(valid.reduce((a, b) => Math.max(a, b))).toBeLessThan(5);
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
    const s = score({ width: 20, height: 20, data: new Float32Array(400).map((_, i) => inverse[Math.floor(Math.floor(i / 20) / 2) * 10 + Math.floor((i % 20) / 2)]!) }, gt);
    expect(s.ordinal).toBe(0);
    expect(s.absRel).toBeLessThan(0.01);
  });
});
