// Box filters by running sums: O(1) per pixel whatever the radius, no allocation per pixel.
// The building block of the guided filter (guided-filter.ts) and of the smoothing in fusion and
// inflation. Windows are clipped at the image border and the mean is taken over the pixels that
// are inside (not zero-padded), so a constant plane stays exactly constant up to the border.

/**
 * Mean over the (2r+1)x(2r+1) window clipped to the image, separable (rows, then columns).
 * `out` may be `src` (in place), never `scratch`. `scratch` (width*height) avoids an allocation.
 */
export function boxMean(
  src: Float32Array,
  width: number,
  height: number,
  radius: number,
  out: Float32Array = new Float32Array(src.length),
  scratch: Float32Array = new Float32Array(src.length),
): Float32Array {
  const r = Math.max(0, Math.floor(radius));
  if (r === 0) {
    if (out !== src) out.set(src);
    return out;
  }
  // Rows: src -> scratch. The clipped window's size depends on x only: its inverse is computed once.
  const invCols = clippedInverseCounts(width, r);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let sum = 0;
    const first = Math.min(r, width - 1);
    for (let x = 0; x <= first; x++) sum += src[row + x]!;
    for (let x = 0; x < width; x++) {
      scratch[row + x] = sum * invCols[x]!;
      if (x + r + 1 < width) sum += src[row + x + r + 1]!;
      if (x >= r) sum -= src[row + x - r]!;
    }
  }
  // Columns: scratch -> out, a whole row of running sums at a time (cache friendly); writing a row
  // and sliding the sums to the next one is a single pass over it.
  const invRows = clippedInverseCounts(height, r);
  const sums = new Float64Array(width);
  const firstRow = Math.min(r, height - 1);
  for (let y = 0; y <= firstRow; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) sums[x] = sums[x]! + scratch[row + x]!;
  }
  for (let y = 0; y < height; y++) {
    const inv = invRows[y]!;
    const row = y * width;
    const add = y + r + 1 < height ? (y + r + 1) * width : -1;
    const sub = y >= r ? (y - r) * width : -1;
    if (add >= 0 && sub >= 0) {
      for (let x = 0; x < width; x++) {
        const s = sums[x]!;
        out[row + x] = s * inv;
        sums[x] = s + scratch[add + x]! - scratch[sub + x]!;
      }
    } else {
      for (let x = 0; x < width; x++) out[row + x] = sums[x]! * inv;
      if (add >= 0) for (let x = 0; x < width; x++) sums[x] = sums[x]! + scratch[add + x]!;
      if (sub >= 0) for (let x = 0; x < width; x++) sums[x] = sums[x]! - scratch[sub + x]!;
    }
  }
  return out;
}

/** 1 / (number of positions of a (2r+1) window centred at i, clipped to 0..size-1), per i. */
function clippedInverseCounts(size: number, r: number): Float64Array {
  const inv = new Float64Array(size);
  for (let i = 0; i < size; i++) inv[i] = 1 / (Math.min(i + r, size - 1) - Math.max(i - r, 0) + 1);
  return inv;
}

/**
 * Mean of `src` over the window, counting only pixels whose weight is > 0, weighted by `weight`
 * (a mask). Pixels whose whole window has zero weight get `fallback`. Used to smooth inside an
 * object without pulling in the background across its outline.
 */
export function maskedBoxMean(
  src: Float32Array,
  weight: Float32Array,
  width: number,
  height: number,
  radius: number,
  fallback = 0,
): Float32Array {
  const n = src.length;
  const weighted = new Float32Array(n);
  for (let i = 0; i < n; i++) weighted[i] = src[i]! * weight[i]!;
  const scratch = new Float32Array(n);
  boxMean(weighted, width, height, radius, weighted, scratch);
  const norm = boxMean(weight, width, height, radius, new Float32Array(n), scratch);
  for (let i = 0; i < n; i++) {
    const w = norm[i]!;
    weighted[i] = w > 1e-6 ? weighted[i]! / w : fallback;
  }
  return weighted;
}

/** Three box passes approximate a Gaussian of standard deviation about sqrt(r(r+1)) (in place). */
export function gaussianish(src: Float32Array, width: number, height: number, radius: number): Float32Array {
  const scratch = new Float32Array(src.length);
  for (let pass = 0; pass < 3; pass++) boxMean(src, width, height, radius, src, scratch);
  return src;
}
