// Euclidean distance transform of a mask: how far inside its outline each pixel of an object is.
// The scene priors (the ring around a subject), the relief's opening of its outline by a disc and
// the evaluation's boundary scores all measure with it.

const INF = 1e20;

/** 1-D squared distance transform of f (Felzenszwalb & Huttenlocher 2012), into d. */
function dt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -INF;
  z[1] = INF;
  for (let q = 1; q < n; q++) {
    const fq = f[q]! + q * q;
    let p = v[k]!;
    let s = (fq - (f[p]! + p * p)) / (2 * (q - p));
    // z[0] is -INF, so k never drops below 0.
    while (s <= z[k]!) {
      k--;
      p = v[k]!;
      s = (fq - (f[p]! + p * p)) / (2 * (q - p));
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = INF;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1]! < q) k++;
    const p = v[k]!;
    d[q] = (q - p) * (q - p) + f[p]!;
  }
}

/**
 * Euclidean distance (pixels) from every pixel with mask > 0.5 to the nearest pixel with mask <=
 * 0.5; 0 on the background. The image border is not background: an object cut by the frame goes on
 * beyond it. A mask without background gives distances to the frame instead.
 */
export function distanceToBackground(mask: Float32Array, width: number, height: number): Float32Array {
  let hasBackground = false;
  for (let i = 0; i < mask.length; i++) {
    if (!(mask[i]! > 0.5)) {
      hasBackground = true;
      break;
    }
  }
  const n = Math.max(width, height);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  const grid = new Float64Array(width * height);
  for (let i = 0; i < grid.length; i++) grid[i] = mask[i]! > 0.5 ? INF : 0;
  if (!hasBackground) {
    // Distance to the frame: the pixels just outside the image are the background.
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const e = Math.min(x + 1, width - x, y + 1, height - y);
        grid[y * width + x] = e * e;
      }
    }
    const out = new Float32Array(grid.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(grid[i]!);
    return out;
  }
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = grid[y * width + x]!;
    dt1d(f, height, d, v, z);
    for (let y = 0; y < height; y++) grid[y * width + x] = d[y]!;
  }
  const out = new Float32Array(grid.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) f[x] = grid[row + x]!;
    dt1d(f, width, d, v, z);
    for (let x = 0; x < width; x++) out[row + x] = Math.sqrt(d[x]!);
  }
  return out;
}
