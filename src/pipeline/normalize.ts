// Stage 5: relative inverse depth -> the output convention of every format (API.md, Outputs):
// normalised inverse depth, nearest pixel 1.0, farthest 0.0.
import { sortedSample } from '../raster/quantiles.js';

/** A normalised map and the range of the raw values it was normalised over. */
export interface NormalizedDepth {
  /** (raw - rawMin) / (rawMax - rawMin) over the foreground, clamped to [0, 1]; 0 on the background. */
  depth: Float32Array;
  /** Raw inverse depth mapped to 0 (the farthest point, or the robust range's floor); 0 when there is no foreground. */
  rawMin: number;
  /** Raw inverse depth mapped to 1 (the nearest point, or the robust range's top); 0 when there is no foreground. */
  rawMax: number;
}

/** Share of the foreground taken as each tail of the robust range (0.5 % at either end). */
export const TAIL = 0.005;
/**
 * How far beyond the robust range (as a share of it) the extremes may reach before they are clipped:
 * a small near object a little above the rest keeps its shape; a stray spike sets nothing.
 */
export const REACH = 0.1;
/** Foreground pixels sampled for the quantiles: enough for 0.5 % tails, cheap at 2K. */
const SAMPLES = 65_536;

/**
 * The range the map is normalised over: the true min and max, unless they lie far out. One model
 * pixel predicting 1.5 mm (1/d = 650 against 0.3..0.8 elsewhere) would otherwise set the top of
 * the range, and the whole photo would come out black. So the range is the 0.5 % and 99.5 %
 * quantiles of the foreground, widened towards the true extremes by at most 10 % of its span:
 * a map without outliers keeps its exact min-max range.
 */
export function robustRange(inverse: Float32Array, mask?: Float32Array): { lo: number; hi: number; count: number } {
  const n = inverse.length;
  let lo = Infinity;
  let hi = -Infinity;
  let count = 0;
  const inside = (i: number): boolean => {
    const v = inverse[i]!;
    // v - v is 0 for finite numbers only (NaN for NaN and for the infinities).
    return v - v === 0 && (mask === undefined || mask[i]! > 0);
  };
  for (let i = 0; i < n; i++) {
    if (!inside(i)) continue;
    const v = inverse[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    count++;
  }
  if (count < 2 / TAIL) return { lo, hi, count };
  const sorted = sortedSample(inverse, inside, Math.max(1, Math.floor(count / SAMPLES)));
  const taken = sorted.length;
  const qLo = sorted[Math.floor(TAIL * (taken - 1))]!;
  const qHi = sorted[Math.ceil((1 - TAIL) * (taken - 1))]!;
  const reach = REACH * (qHi - qLo);
  return { lo: Math.max(lo, qLo - reach), hi: Math.min(hi, qHi + reach), count };
}

/**
 * Maps inverse depth (larger = nearer, the model's own scale and shift) linearly onto [0, 1]:
 * nearest 1, farthest 0, over the robust range (robustRange: outliers are clipped, not allowed to
 * flatten the rest). The map stays linear in inverse depth, which is what every relative depth
 * model actually determines (up to scale and shift): a user recovers the raw values as
 * raw = rawMin + value * (rawMax - rawMin), and for a metric model depth = 1 / raw.
 *
 * With a mask, the range is taken over the foreground only: the background is about to be set to 0
 * anyway, and a far wall behind the object would otherwise squeeze the object into a thin band near
 * 1 (and a cut-out would lose most of its relief height). Background pixels get 0.
 * Without a mask, all pixels count.
 *
 * Values end clamped to [0, 1]. A foreground of constant depth maps to 1 (a flat plate at full
 * height); an empty foreground gives all zeros. Non-finite values count as far (0).
 */
export function normalizeInverseDepth(inverse: Float32Array, mask?: Float32Array): NormalizedDepth {
  if (mask && mask.length !== inverse.length) throw new RangeError('mask and depth differ in size');
  const n = inverse.length;
  const { lo, hi, count } = robustRange(inverse, mask);
  const depth = new Float32Array(n);
  if (count === 0) return { depth, rawMin: 0, rawMax: 0 }; // no foreground pixel (or no finite value)
  const span = hi - lo;
  if (!(span > 0)) {
    for (let i = 0; i < n; i++) if (mask === undefined || mask[i]! > 0) depth[i] = 1;
    return { depth, rawMin: lo, rawMax: hi };
  }
  const scale = 1 / span;
  // Separate loops with and without a mask: these run once per output pixel (4 million for pro).
  if (mask === undefined) {
    for (let i = 0; i < n; i++) {
      const v = (inverse[i]! - lo) * scale;
      // NaN fails both comparisons and lands on 0, i.e. far.
      depth[i] = v > 0 ? (v < 1 ? v : 1) : 0;
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (!(mask[i]! > 0)) continue;
      const v = (inverse[i]! - lo) * scale;
      depth[i] = v > 0 ? (v < 1 ? v : 1) : 0;
    }
  }
  return { depth, rawMin: lo, rawMax: hi };
}
