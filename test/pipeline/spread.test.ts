// No photo may come out black or saturated: every photo of test/fixtures/photos, as a user gets it
// (base and pro, background kept; base with background removal), uses the range of values. One
// stray model value set the whole normalisation before (Middlebury Cones: 99 % black; the 62
// images of the evaluation set beside the repository passed this check when it was added).
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runPipeline, type PipelineParams } from '../../src/pipeline/run.js';
import { fixture, photo } from '../helpers/fixtures.js';
import { testSessions } from './helpers.js';

/** Objects, a portrait, a room, a landmark, a table-top scene. */
const images = readdirSync(fixture('photos')).filter((f) => /\.(png|jpe?g|webp)$/i.test(f));

/** The 5th and 95th percentiles and the shares at exactly 0 and 1, over the foreground. */
function spread(depth: Float32Array, alpha?: Float32Array): { p5: number; p95: number; zeros: number; ones: number } {
  const values: number[] = [];
  for (let i = 0; i < depth.length; i += 7) if (!alpha || alpha[i]! > 0) values.push(depth[i]!);
  values.sort((a, b) => a - b);
  const share = (v: number): number => values.filter((x) => x === v).length / values.length;
  return { p5: values[Math.floor(values.length * 0.05)]!, p95: values[Math.floor(values.length * 0.95)]!, zeros: share(0), ones: share(1) };
}

const base: PipelineParams = { modelType: 'base', rmbg: false, degreeRmbg: 0.02 };
const runs: [string, PipelineParams][] = [
  ['base', base],
  ['base+rmbg', { ...base, rmbg: true }],
  ['pro', { ...base, modelType: 'pro' }],
];

describe('every photo gets a depth map that uses its range', () => {
  afterAll(() => testSessions().release());

  it('finds the images', () => {
    expect(images.length).toBeGreaterThanOrEqual(8);
  });

  it.each(images)('%s', async (image) => {
    const bytes = readFileSync(photo(image));
    for (const [name, params] of runs) {
      const result = await runPipeline(bytes, params, testSessions());
      const s = spread(result.depth, result.alpha);
      const what = `${name}: p5 ${s.p5.toFixed(3)}, p95 ${s.p95.toFixed(3)}, at 0: ${s.zeros.toFixed(3)}, at 1: ${s.ones.toFixed(3)}`;
      // Black or white: most of the picture in a sliver of the range, or piled up at one end.
      expect(s.p95 - s.p5, what).toBeGreaterThan(0.25);
      expect(s.ones, what).toBeLessThan(0.05);
      expect(s.zeros, what).toBeLessThan(0.6);
    }
  });
});
