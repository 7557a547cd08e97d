// The pure helpers, on hand-made data: resize, normalisation, tensor layout, model cache rules.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelCacheDir, modelPath, models } from '../../src/models/model-cache.js';
import { normalizeInverseDepth } from '../../src/pipeline/normalize.js';
import { ModelSessions } from '../../src/models/sessions.js';
import { hwcToNchw } from '../../src/models/tensor.js';
import { outputSize, resizeBilinear } from '../../src/raster/resize.js';

describe('outputSize', () => {
  it('puts the long side at the requested length and keeps the aspect ratio', () => {
    expect(outputSize(1500, 1000, 1024)).toEqual({ width: 1024, height: 683 });
    expect(outputSize(800, 1200, 2048)).toEqual({ width: 1365, height: 2048 });
    expect(outputSize(512, 512, 1024)).toEqual({ width: 1024, height: 1024 });
    expect(outputSize(1, 5000, 1024)).toEqual({ width: 1, height: 1024 });
  });
});

describe('resizeBilinear', () => {
  it('interpolates between pixel centres and clamps at the edges', () => {
    const out = resizeBilinear({ width: 2, height: 1, data: Float32Array.of(0, 1) }, 4, 1);
    expect(Array.from(out.data)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('keeps a constant plane constant and an identity resize exact', () => {
    const flat = resizeBilinear({ width: 3, height: 2, data: new Float32Array(6).fill(0.3) }, 7, 5);
    expect(flat.data.every((v) => Math.abs(v - 0.3) < 1e-7)).toBe(true);
    const src = Float32Array.from({ length: 12 }, (_, i) => i * 0.37);
    expect(resizeBilinear({ width: 4, height: 3, data: src }, 4, 3).data).toEqual(src);
  });

  it('never leaves the source range', () => {
    const src = Float32Array.from({ length: 64 }, (_, i) => ((i * 7919) % 13) / 12);
    const out = resizeBilinear({ width: 8, height: 8, data: src }, 37, 23).data;
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
  });
});

describe('normalizeInverseDepth', () => {
  const values = (inverse: Float32Array, mask?: Float32Array): number[] => Array.from(normalizeInverseDepth(inverse, mask).depth);

  it('maps the largest inverse depth (nearest) to 1 and the smallest to 0, linearly', () => {
    // 1 m, 2 m, 4 m and 4/3 m as inverse depth: 1, 0.5, 0.25, 0.75.
    expect(values(Float32Array.of(1, 0.5, 0.25, 0.75))).toEqual([1, 1 / 3, 0, 2 / 3].map(Math.fround));
  });

  it('reports the raw range, from which the raw values come back', () => {
    const raw = Float32Array.of(0.8, 0.2, 0.35, 0.5);
    const { depth, rawMin, rawMax } = normalizeInverseDepth(raw);
    expect([rawMin, rawMax]).toEqual([Math.fround(0.2), Math.fround(0.8)]);
    for (let i = 0; i < raw.length; i++) expect(rawMin + depth[i]! * (rawMax - rawMin)).toBeCloseTo(raw[i]!, 6);
  });

  it('normalises over the foreground only and zeroes the background', () => {
    const inverse = Float32Array.of(1, 0.1, 0.5, 0.75);
    const mask = Float32Array.of(1, 0, 1, 1);
    const { depth, rawMin, rawMax } = normalizeInverseDepth(inverse, mask);
    expect(Array.from(depth)).toEqual([1, 0, 0, 0.5]);
    expect([rawMin, rawMax]).toEqual([0.5, 1]);
  });

  it('does not let one stray value set the range (no black map from a spike)', () => {
    // 10,000 pixels between 0.3 and 0.8 (1/m) and a spike of 650 where a model predicted 1.5 mm.
    const inverse = Float32Array.from({ length: 10_001 }, (_, i) => (i === 5000 ? 650 : 0.3 + (0.5 * i) / 10_000));
    const { depth, rawMin, rawMax } = normalizeInverseDepth(inverse);
    expect(rawMax).toBeLessThan(0.9);
    expect(rawMin).toBeGreaterThan(0.25);
    expect(depth[5000]).toBe(1);
    const sorted = Array.from(depth).sort((a, b) => a - b);
    expect(sorted[9500]! - sorted[500]!).toBeGreaterThan(0.7);
    // Within the range the raw values still come back exactly.
    expect(rawMin + depth[2500]! * (rawMax - rawMin)).toBeCloseTo(inverse[2500]!, 5);
  });

  it('keeps the exact min-max range when nothing lies far out', () => {
    const inverse = Float32Array.from({ length: 10_000 }, (_, i) => 0.2 + Math.sqrt(i / 9999));
    const { rawMin, rawMax } = normalizeInverseDepth(inverse);
    expect([rawMin, rawMax]).toEqual([Math.fround(0.2), Math.fround(1.2)]);
  });

  it('handles an empty foreground, a constant map and non-finite values', () => {
    expect(normalizeInverseDepth(Float32Array.of(1, 2), Float32Array.of(0, 0))).toEqual({
      depth: Float32Array.of(0, 0),
      rawMin: 0,
      rawMax: 0,
    });
    expect(values(Float32Array.of(2, 2))).toEqual([1, 1]);
    expect(values(Float32Array.of(1, Number.NaN, 3))).toEqual([0, 0, 1]);
  });
});

describe('hwcToNchw', () => {
  it('reorders interleaved RGB into planes and applies scale, mean and std', () => {
    const hwc = Uint8Array.of(255, 0, 51, 0, 255, 102); // two pixels
    const out = hwcToNchw(hwc, 2, 1, { mean: [0.5, 0, 0], std: [0.5, 1, 0.2] }, 1 / 255);
    expect(Array.from(out).map((v) => Math.round(v * 1000) / 1000)).toEqual([1, -1, 0, 1, 1, 2]);
  });

  it('rejects data of the wrong length', () => {
    expect(() => hwcToNchw(new Float64Array(5), 1, 2, { mean: [0, 0, 0], std: [1, 1, 1] })).toThrow(RangeError);
  });
});

describe('model cache', () => {
  it('follows the install script: DEPTHMILL_MODELS, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(modelCacheDir({ DEPTHMILL_MODELS: '/m', XDG_CACHE_HOME: '/x' })).toBe('/m');
    expect(modelCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'depthmill', 'models'));
    expect(modelCacheDir({})).toMatch(/[/\\]\.cache[/\\]depthmill[/\\]models$/);
  });

  it('knows the two default models', () => {
    expect(models.fastdepth?.task).toBe('depth');
    expect(models.u2netp?.task).toBe('mask');
    expect(() => modelPath('no-such-model')).toThrow(/unknown model/);
  });

  it('says to run `npm run models:install` when a model file is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'depthmill-models-'));
    try {
      expect(() => modelPath('fastdepth', empty)).toThrow(/npm run models:install/);
      const sessions = new ModelSessions({ modelDir: empty });
      await expect(sessions.depth()).rejects.toThrow(/npm run models:install/);
      await expect(sessions.mask()).rejects.toThrow(/npm run models:install/);
      await sessions.release();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a damaged model file, saying how to fetch it again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'depthmill-models-'));
    try {
      writeFileSync(join(dir, models.fastdepth!.file), 'not an onnx model');
      const sessions = new ModelSessions({ modelDir: dir });
      await expect(sessions.depth()).rejects.toThrow(/damaged.*npm run models:install/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
