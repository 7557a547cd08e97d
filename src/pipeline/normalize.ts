// Stage 5: relative inverse depth -> the output convention of every format (API.md, Outputs):
// normalised inverse depth, nearest pixel 1.0, farthest 0.0.

/** A normalised map and the range of the raw values it was normalised over. */
export interface NormalizedDepth {
  /** (raw - rawMin) / (rawMax - rawMin) over the foreground, clamped to [0, 1]; 0 on the background. */
  depth: Float32Array;
  /** Smallest raw inverse depth over the foreground (the farthest point); 0 when there is none. */
  rawMin: number;
  /** Largest raw inverse depth over the foreground (the nearest point); 0 when there is none. */
  rawMax: number;
}

/**
 * Maps inverse depth (larger = nearer, the model's own scale and shift) linearly onto [0, 1]:
 * nearest pixel 1, farthest 0. The map stays linear in inverse depth, which is what every relative
 * depth model actually determines (up to scale and shift): a user recovers the raw values as
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
  let lo = Infinity;
  let hi = -Infinity;
  // Separate loops with and without a mask: these run once per output pixel (3 million for pro).
  if (mask === undefined) {
    for (let i = 0; i < n; i++) {
      const v = inverse[i]!;
      // v - v is 0 for finite numbers only (NaN for NaN and for the infinities).
      if (v - v !== 0) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = inverse[i]!;
      if (!(mask[i]! > 0) || v - v !== 0) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const depth = new Float32Array(n);
  if (lo > hi) return { depth, rawMin: 0, rawMax: 0 }; // no foreground pixel (or no finite value)
  const span = hi - lo;
  if (!(span > 0)) {
    for (let i = 0; i < n; i++) if (mask === undefined || mask[i]! > 0) depth[i] = 1;
    return { depth, rawMin: lo, rawMax: hi };
  }
  const scale = 1 / span;
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && !(mask[i]! > 0)) continue;
    const v = (inverse[i]! - lo) * scale;
    // NaN fails both comparisons and lands on 0, i.e. far.
    depth[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return { depth, rawMin: lo, rawMax: hi };
}
