// Edge-aware upsampling: the fast guided filter (He & Sun, "Fast Guided Filter", 2015; He, Sun &
// Tang, "Guided Image Filtering", TPAMI 2013).
//
// Within each window the output is a linear function of the guide, q = a * I + b, fitted by least
// squares to the input p. The coefficients are computed on the low-resolution grid where p lives
// and applied to the full-resolution guide, so output edges land where the photo has edges, at
// the photo's resolution, while the cost at full resolution is one bilinear lookup of (a, b) and a
// multiply-add per pixel. eps decides what counts as an edge: guide variance well above eps (the
// guide is luma in 0..1) passes p's structure through the guide, variance well below it smooths.
//
// With a mask the statistics are taken over the masked pixels only (normalised box sums), so a
// background never bleeds into an object's depth across its outline, and the output is written
// only inside the full-resolution mask.
import { boxMean } from './box.js';
import { sampleGrid } from './resize.js';
import type { FloatPlane } from './plane.js';

export interface GuidedFilterOptions {
  /** Window radius, in pixels of the low-resolution grid. */
  radius: number;
  /** Regularisation, in units of guide variance (luma 0..1). */
  eps: number;
}

/** Coefficient planes (a, b) of the guided filter on the low-resolution grid, already box-averaged. */
function coefficients(
  p: Float32Array,
  guide: Float32Array,
  width: number,
  height: number,
  { radius, eps }: GuidedFilterOptions,
  mask?: Float32Array,
): { a: Float32Array; b: Float32Array } {
  const n = p.length;
  const ip = new Float32Array(n);
  const ii = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = guide[i]!;
    ip[i] = g * p[i]!;
    ii[i] = g * g;
  }
  const scratch = new Float32Array(n);
  let pFallback = 0;
  // Box means, over the masked pixels only when there is a mask: box(m * q) / box(m), with the
  // mask's own box sum computed once for all quantities.
  let norm: Float32Array | undefined;
  if (mask) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (mask[i]! > 0) {
        sum += p[i]!;
        count++;
      }
    }
    pFallback = count > 0 ? sum / count : 0;
    norm = boxMean(mask, width, height, radius, new Float32Array(n), scratch);
  }
  const mean = (q: Float32Array, fallback: number, out: Float32Array): Float32Array => {
    if (!mask || !norm) return boxMean(q, width, height, radius, out, scratch);
    for (let i = 0; i < n; i++) out[i] = q[i]! * mask[i]!;
    boxMean(out, width, height, radius, out, scratch);
    for (let i = 0; i < n; i++) {
      const w = norm[i]!;
      out[i] = w > 1e-6 ? out[i]! / w : fallback;
    }
    return out;
  };
  const meanP = mean(p, pFallback, new Float32Array(n));
  const meanI = mean(guide, 0, new Float32Array(n));
  const meanIp = mean(ip, 0, ip);
  const meanIi = mean(ii, 0, ii);
  // Reuse the buffers: a into meanIp, b into meanIi.
  const a = meanIp;
  const b = meanIi;
  for (let i = 0; i < n; i++) {
    const mi = meanI[i]!;
    const mp = meanP[i]!;
    const variance = Math.max(meanIi[i]! - mi * mi, 0);
    const ai = (meanIp[i]! - mi * mp) / (variance + eps);
    a[i] = ai;
    b[i] = mp - ai * mi;
  }
  // meanP and meanI are free again: the averaged coefficients go there.
  return { a: mean(a, 0, meanI), b: mean(b, pFallback, meanP) };
}

/**
 * p (low resolution) filtered with the guide and brought to the guide's full resolution.
 * `guideLow` is the same guide at p's size. `mask` (at p's size) restricts the statistics to the
 * object; `outMask` (at full size) zeroes the output outside the object. The result is clamped to
 * p's range (over the mask), so the filter never invents a nearer or farther point than p has.
 */
export function guidedUpsample(
  p: FloatPlane,
  guideLow: FloatPlane,
  guideHigh: FloatPlane,
  options: GuidedFilterOptions,
  mask?: Float32Array,
  outMask?: Float32Array,
): Float32Array {
  const { width: lw, height: lh } = p;
  if (guideLow.width !== lw || guideLow.height !== lh) throw new RangeError('guideLow must have the size of p');
  const { a, b } = coefficients(p.data, guideLow.data, lw, lh, options, mask);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < p.data.length; i++) {
    if (mask && !(mask[i]! > 0)) continue;
    const v = p.data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const { width, height, data: guide } = guideHigh;
  const out = new Float32Array(width * height);
  if (lo > hi) return out;
  const xs = sampleGrid(lw, width);
  const ys = sampleGrid(lh, height);
  const { lo: xLo, hi: xHi, frac: xFrac } = xs;
  // Bilinear lookup of (a, b), separably: each output row first blends its two low-resolution rows
  // (lw values), then each pixel blends two neighbours of that row: a quarter of the lookups.
  const aRow = new Float32Array(lw);
  const bRow = new Float32Array(lw);
  for (let y = 0; y < height; y++) {
    const r0 = ys.lo[y]! * lw;
    const r1 = ys.hi[y]! * lw;
    const fy = ys.frac[y]!;
    for (let k = 0; k < lw; k++) {
      aRow[k] = a[r0 + k]! + (a[r1 + k]! - a[r0 + k]!) * fy;
      bRow[k] = b[r0 + k]! + (b[r1 + k]! - b[r0 + k]!) * fy;
    }
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      // The mask test only when there is a mask: this loop runs once per output pixel.
      if (outMask !== undefined && !(outMask[i]! > 0)) continue;
      const x0 = xLo[x]!;
      const x1 = xHi[x]!;
      const fx = xFrac[x]!;
      const a0 = aRow[x0]!;
      const b0 = bRow[x0]!;
      const q = (a0 + (aRow[x1]! - a0) * fx) * guide[i]! + b0 + (bRow[x1]! - b0) * fx;
      out[i] = q < lo ? lo : q > hi ? hi : q;
    }
  }
  return out;
}
