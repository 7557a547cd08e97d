// The numeric building blocks of the depth stages, on hand-made data: box filters, least-squares
// alignment, the guided filter, the distance transform and the silhouette volume.
import { describe, expect, it } from 'vitest';
import { fitScaleShift } from '../../src/raster/align.js';
import { boxMean, maskedBoxMean } from '../../src/raster/box.js';
import { guidedUpsample } from '../../src/raster/guided-filter.js';
import { distanceToBackground } from '../../src/raster/distance.js';
import { inflate, objectDepth } from '../../src/pipeline/inflate.js';
import { resizeArea, resizeBilinear } from '../../src/raster/resize.js';

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('boxMean', () => {
  it('equals the brute-force mean over the window clipped to the image', () => {
    const next = random(1);
    const [w, h, r] = [13, 9, 3];
    const src = Float32Array.from({ length: w * h }, () => next());
    const out = boxMean(src, w, h, r);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let sum = 0;
        let n = 0;
        for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
          for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
            sum += src[yy * w + xx]!;
            n++;
          }
        }
        expect(out[y * w + x]).toBeCloseTo(sum / n, 5);
      }
    }
  });

  it('a masked mean ignores the masked-out pixels entirely', () => {
    // Left half 1 (inside), right half 100 (outside): the inside never sees 100.
    const [w, h] = [10, 4];
    const src = Float32Array.from({ length: w * h }, (_, i) => (i % w < 5 ? 1 : 100));
    const mask = Float32Array.from({ length: w * h }, (_, i) => (i % w < 5 ? 1 : 0));
    const out = maskedBoxMean(src, mask, w, h, 3);
    for (let i = 0; i < out.length; i++) if (mask[i]) expect(out[i]).toBeCloseTo(1, 6);
  });
});

describe('fitScaleShift', () => {
  it('recovers scale and shift, over the weighted pixels only', () => {
    const source = Float32Array.of(0, 1, 2, 3, 4, 5);
    const target = source.map((v, i) => (i < 5 ? 2.5 * v - 1 : 1000));
    const weight = Float32Array.of(1, 1, 1, 1, 1, 0);
    const { scale, shift } = fitScaleShift(source, target, weight);
    expect(scale).toBeCloseTo(2.5, 6);
    expect(shift).toBeCloseTo(-1, 6);
  });

  it('a flat source gets scale 0 and the mean as shift; no pixel gives the identity', () => {
    expect(fitScaleShift(Float32Array.of(2, 2, 2), Float32Array.of(1, 2, 3))).toEqual({ scale: 0, shift: 2 });
    expect(fitScaleShift(Float32Array.of(1), Float32Array.of(5), Float32Array.of(0))).toEqual({ scale: 1, shift: 0 });
  });
});

describe('resizeArea', () => {
  it('averages the covered source pixels, keeping the mean', () => {
    const src = { width: 4, height: 2, data: Float32Array.of(0, 2, 4, 6, 8, 10, 12, 14) };
    expect(Array.from(resizeArea(src, 2, 1).data)).toEqual([5, 9]);
    const odd = resizeArea({ width: 7, height: 5, data: Float32Array.from({ length: 35 }, (_, i) => i) }, 3, 2);
    expect(odd.data.reduce((a, b) => a + b, 0) / 6).toBeCloseTo(17, 4);
  });
});

describe('guidedUpsample', () => {
  // A vertical edge at x = 37 of 80 in the full-resolution guide; the low-resolution depth (1/4
  // size) only knows it blurred.
  const [W, H, w, h] = [80, 40, 20, 10];
  const guideHigh = { width: W, height: H, data: Float32Array.from({ length: W * H }, (_, i) => (i % W < 37 ? 0.2 : 0.8)) };
  const guideLow = resizeArea(guideHigh, w, h);
  const depthLow = { width: w, height: h, data: Float32Array.from(guideLow.data, (g) => (g - 0.2) / 0.6) };

  it('puts the depth step where the guide has its edge, sharper than bilinear', () => {
    const out = guidedUpsample(depthLow, guideLow, guideHigh, { radius: 2, eps: 1e-4 });
    const bilinear = resizeBilinear(depthLow, W, H).data;
    const row = 20 * W;
    // Just either side of the edge: near 0 left, near 1 right.
    expect(out[row + 35]!).toBeLessThan(0.1);
    expect(out[row + 38]!).toBeGreaterThan(0.9);
    // Bilinear spreads the step over several pixels there.
    expect(bilinear[row + 35]!).toBeGreaterThan(0.2);
    expect(bilinear[row + 38]!).toBeLessThan(0.8);
  });

  it('keeps a constant map constant and never leaves its range', () => {
    const flat = { width: w, height: h, data: new Float32Array(w * h).fill(0.3) };
    const out = guidedUpsample(flat, guideLow, guideHigh, { radius: 3, eps: 1e-3 });
    for (const v of out) expect(v).toBeCloseTo(0.3, 5);
    const stepped = guidedUpsample(depthLow, guideLow, guideHigh, { radius: 1, eps: 1e-6 });
    expect(Math.min(...stepped)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...stepped)).toBeLessThanOrEqual(1);
  });

  it('with a mask, background depth does not bleed into the object and the outside is 0', () => {
    // Object on the left (depth 0.5), background on the right with depth 100.
    const data = Float32Array.from(depthLow.data, (_, i) => (i % w < 9 ? 0.5 : 100));
    const maskLow = Float32Array.from(data, (v) => (v < 1 ? 1 : 0));
    const maskHigh = Float32Array.from(guideHigh.data, (_, i) => (i % W < 36 ? 1 : 0));
    const out = guidedUpsample({ width: w, height: h, data }, guideLow, guideHigh, { radius: 3, eps: 1e-3 }, maskLow, maskHigh);
    for (let i = 0; i < out.length; i++) {
      if (maskHigh[i]) expect(out[i]).toBeCloseTo(0.5, 4);
      else expect(out[i]).toBe(0);
    }
  });
});

describe('distanceToBackground and inflate', () => {
  it('the distance transform is exact (brute force on a random mask)', () => {
    const next = random(7);
    const [w, h] = [23, 17];
    const mask = Float32Array.from({ length: w * h }, () => (next() < 0.85 ? 1 : 0));
    const d = distanceToBackground(mask, w, h);
    for (let i = 0; i < mask.length; i++) {
      let best = Infinity;
      for (let j = 0; j < mask.length; j++) {
        if (mask[j]) continue;
        best = Math.min(best, Math.hypot((i % w) - (j % w), Math.floor(i / w) - Math.floor(j / w)));
      }
      expect(d[i]).toBeCloseTo(mask[i] ? best : 0, 4);
    }
  });

  it('a disc inflates to about a hemisphere: height R at the centre, 0 outside', () => {
    const [size, R] = [101, 40];
    const mask = Float32Array.from({ length: size * size }, (_, i) =>
      Math.hypot((i % size) - 50, Math.floor(i / size) - 50) <= R ? 1 : 0,
    );
    const height = inflate(mask, size, size);
    const at = (x: number, y: number): number => height[y * size + x]!;
    expect(at(50, 50)).toBeGreaterThan(0.85 * R);
    expect(at(50, 50)).toBeLessThanOrEqual(R + 1);
    // Half-way out, a sphere is at sqrt(1 - 0.25) = 0.87 of its height.
    expect(at(70, 50) / at(50, 50)).toBeGreaterThan(0.75);
    expect(at(70, 50) / at(50, 50)).toBeLessThan(0.95);
    expect(at(0, 0)).toBe(0);
    // Monotone from the rim to the centre along a radius.
    for (let x = 11; x < 50; x++) expect(at(x + 1, 50)).toBeGreaterThanOrEqual(at(x, 50) - 1e-4);
  });

  it('inflates an arm of a body into a round tube with no crease down its middle', () => {
    // A disc (radius 50) with a bar 21 px wide reaching out of it: a sphere profile over the
    // distance transform folds along the bar's middle row (there its curvature was 10x that beside
    // it) and stands the arm up to the body's radius.
    const [w, h] = [260, 121];
    const mask = Float32Array.from({ length: w * h }, (_, i) => {
      const [x, y] = [i % w, Math.floor(i / w)];
      return Math.hypot(x - 60, y - 60) <= 50 || (x >= 60 && x < 240 && Math.abs(y - 60) <= 10) ? 1 : 0;
    });
    const height = inflate(mask, w, h);
    const at = (y: number) => height[y * w + 170]!;
    // Across the arm: highest in the middle, and its curvature there no sharper than beside it.
    expect(at(60)).toBeGreaterThan(at(55));
    const bend = (y: number) => Math.abs(at(y - 1) - 2 * at(y) + at(y + 1));
    expect(bend(60)).toBeLessThan(1.5 * Math.max(bend(56), bend(64)));
    // A tube about as high as the arm is wide (half-width 10 px), not as high as the body.
    expect(at(60)).toBeGreaterThan(8);
    expect(at(60)).toBeLessThan(20);
  });

  it('objectDepth turns a hollow model prediction of a round object into a dome', () => {
    // The model sees the disc as a bowl: its centre farther (smaller inverse depth) than its rim.
    const [size, R] = [81, 30];
    const r = (i: number): number => Math.hypot((i % size) - 40, Math.floor(i / size) - 40);
    const mask = Float32Array.from({ length: size * size }, (_, i) => (r(i) <= R ? 1 : 0));
    const bowl = Float32Array.from(mask, (_, i) => 0.5 - 0.05 * Math.max(0, 1 - r(i) / R));
    const shaped = objectDepth(bowl, mask, size, size, { volume: 2, model: 0.3 });
    const centre = shaped[40 * size + 40]!;
    const rim = shaped[40 * size + 40 + R - 2]!;
    expect(centre).toBeGreaterThan(rim);
    // Outside the object nothing changes.
    expect(shaped[0]).toBe(bowl[0]);
  });
});
