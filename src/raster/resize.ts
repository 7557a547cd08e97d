// Resizing single-channel float planes (depth, saliency, alpha, guides): bilinear up, area down.
//
// sharp would be the natural tool, but it does not carry float data through: sharp 0.35 fed a
// Float32Array as raw input returns zeros for values in 0..1 and integer-rounded, rescaled values
// for larger ones, even with .raw({ depth: 'float' }) and without any resize (checked while writing
// this stage). So this is a plain bilinear resize in JavaScript, exact in float32.
import type { FloatPlane } from './plane.js';

/** Output size for a requested long side, aspect ratio kept (the short side is rounded, at least 1). */
export function outputSize(width: number, height: number, longSide: number): { width: number; height: number } {
  if (width >= height) return { width: longSide, height: Math.max(1, Math.round((longSide * height) / width)) };
  return { width: Math.max(1, Math.round((longSide * width) / height)), height: longSide };
}

/** Source coordinate of each destination column/row (pixel centres aligned, as sharp, PIL and OpenCV do). */
export function sampleGrid(srcSize: number, dstSize: number): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const lo = new Int32Array(dstSize);
  const hi = new Int32Array(dstSize);
  const frac = new Float32Array(dstSize);
  const ratio = srcSize / dstSize;
  for (let i = 0; i < dstSize; i++) {
    const x = Math.min(Math.max((i + 0.5) * ratio - 0.5, 0), srcSize - 1);
    const x0 = Math.floor(x);
    lo[i] = x0;
    hi[i] = Math.min(x0 + 1, srcSize - 1);
    frac[i] = x - x0;
  }
  return { lo, hi, frac };
}

/**
 * Bilinear resize. Never creates values outside the source's range, which keeps a normalised map
 * inside [0, 1] and a 0/1 mask inside [0, 1]. Meant for upsampling; downsampling by large factors
 * skips source pixels (fine for the masks it is used on, not for photos).
 */
export function resizeBilinear(src: FloatPlane, width: number, height: number): FloatPlane {
  const data = new Float32Array(width * height);
  const xs = sampleGrid(src.width, width);
  const ys = sampleGrid(src.height, height);
  const s = src.data;
  for (let y = 0; y < height; y++) {
    const row0 = ys.lo[y]! * src.width;
    const row1 = ys.hi[y]! * src.width;
    const fy = ys.frac[y]!;
    const out = y * width;
    for (let x = 0; x < width; x++) {
      const x0 = xs.lo[x]!;
      const x1 = xs.hi[x]!;
      const fx = xs.frac[x]!;
      const top = s[row0 + x0]! + (s[row0 + x1]! - s[row0 + x0]!) * fx;
      const bottom = s[row1 + x0]! + (s[row1 + x1]! - s[row1 + x0]!) * fx;
      data[out + x] = top + (bottom - top) * fy;
    }
  }
  return { width, height, data };
}

/**
 * Area-average resize (each destination pixel is the mean of the source area it covers, partial
 * pixels weighted by their overlap). The right way down: bilinear skips source pixels when
 * shrinking by more than 2. Works for any size; for upsampling it degrades to nearest-ish boxes,
 * so use resizeBilinear there.
 */
export function resizeArea(src: FloatPlane, width: number, height: number): FloatPlane {
  const xs = areaWeights(src.width, width);
  const ys = areaWeights(src.height, height);
  const rows = new Float64Array(width * src.height);
  const s = src.data;
  // Columns first: every source row reduced to the destination width.
  for (let y = 0; y < src.height; y++) {
    const inRow = y * src.width;
    const outRow = y * width;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = xs.start[x]!; k < xs.start[x + 1]!; k++) acc += s[inRow + xs.index[k]!]! * xs.weight[k]!;
      rows[outRow + x] = acc;
    }
  }
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const outRow = y * width;
    for (let k = ys.start[y]!; k < ys.start[y + 1]!; k++) {
      const w = ys.weight[k]!;
      const inRow = ys.index[k]! * width;
      for (let x = 0; x < width; x++) data[outRow + x] = data[outRow + x]! + rows[inRow + x]! * w;
    }
  }
  return { width, height, data };
}

/** Per destination pixel, the source pixels it overlaps and their normalised overlap weights. */
function areaWeights(srcSize: number, dstSize: number): { start: Int32Array; index: Int32Array; weight: Float64Array } {
  const ratio = srcSize / dstSize;
  const start = new Int32Array(dstSize + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < dstSize; i++) {
    start[i] = index.length;
    const a = i * ratio;
    const b = (i + 1) * ratio;
    for (let k = Math.floor(a); k < Math.min(Math.ceil(b), srcSize); k++) {
      const overlap = Math.min(b, k + 1) - Math.max(a, k);
      if (overlap > 0) {
        index.push(k);
        weight.push(overlap / ratio);
      }
    }
  }
  start[dstSize] = index.length;
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}
