// The bas-relief engine: a depth map made to be seen at a few millimetres of height.
//
// Scaled linearly, a depth map spends its whole height on the few large steps (the subject against
// what is behind it, the silhouette's volume) and leaves hundredths of a millimetre to the shape a
// viewer reads (a nose, an eye socket, a petal's fold). Bas-relief sculptors and the literature that
// follows them (Weyrich et al. 2007, "Digital bas-relief from 3D scenes"; Kerber et al. 2009; Sun et
// al. 2009) work on the depth's gradients instead:
//   1. smooth the depth below `smooth` mm: what is finer is the photo's texture carried into the map
//      by the upsampling (whiskers, print on a label, a highlight), not shape;
//   2. attenuate the gradients, large ones most (Fattal et al. 2002's (|g| / a)^(beta - 1)): a depth
//      step keeps its sign but not its height;
//   3. boost what remains at small scales (unsharp masking of the gradient field);
//   4. integrate back: the heights whose differences are closest to those gradients (a Poisson
//      problem with free edges, solved coarse to fine by conjugate gradients);
//   5. raise the shape within a few millimetres against the larger forms (base / detail split).
// `detail` 0 skips all of it: the depth as it is, scaled.

export interface BasReliefOptions {
  /** 0: the depth map scaled as is; 1: the strongest compression of large steps and boost of small shape. */
  detail: number;
  /** Shape finer than this (mm) is smoothed away as texture; 0 keeps it. */
  smooth: number;
  /**
   * Whether the depth's small-scale shape is boosted (steps 3 and 5; default true). The detailed
   * style leaves it: the photo's own detail is carved there instead, and the depth's small shape
   * is mostly the upsampling's blur of it.
   */
  boost?: boolean;
}

/** Inputs on the relief's sample grid: depth 0..1 (near = 1) where `inside` is 1. */
export interface BasReliefGrid {
  cols: number;
  rows: number;
  depth: Float32Array;
  inside: Uint8Array;
  mmPerSample: number;
}

/** Boost of small gradients is capped: beyond it, noise the smoothing left would be amplified. */
const MAX_GAIN = 4;
/**
 * At detail 1: how far the attenuation exponent drops below 1 (Fattal's beta = 1 - COMPRESSION), the
 * unsharp gain on the gradients, and how much the shape within DETAIL_SCALE_MM is raised against
 * the rest. Chosen on the relief section of `npm run eval` (bench/eval/relief-section.ts) and its contact sheets (docs/reliefs.md "The bas-relief engine").
 */
const COMPRESSION = 0.7;
const GRADIENT_GAIN = 1.5;
const DETAIL_SPLIT = 3;
/** Scale (mm) below which the unsharp mask boosts shape. */
const DETAIL_SCALE_MM = 2;
/**
 * Conjugate-gradient rounds on the full grid, on each level between, and on the coarsest: each level
 * starts from the coarser one's answer, so only its own fine error is left to remove (measured: 10
 * rounds on the full grid give the same fine shape as 40, in a quarter of the time).
 */
const FINE_ROUNDS = 10;
const ROUNDS = 20;
const COARSE_ROUNDS = 400;
/** Long side (samples) of the coarsest level of the solve. */
const COARSEST = 48;

/**
 * The bas-relief of a depth grid: new heights 0..1 (near = 1) at the inside samples (0 outside).
 * Separate pieces keep their order of depth (each is anchored to its mean depth).
 */
export function basRelief(grid: BasReliefGrid, options: BasReliefOptions): Float32Array {
  const { cols, rows, inside } = grid;
  const n = cols * rows;
  const detail = Math.min(1, Math.max(0, options.detail));
  const sigma = options.smooth / grid.mmPerSample;
  const depth = sigma > 0.5 ? maskedBlur(grid.depth, inside, cols, rows, sigma) : Float32Array.from(grid.depth);
  if (detail === 0) return normalise(depth, inside);

  // Gradients between inside neighbours (x: to the right, y: down); none across the outline.
  const gx = new Float32Array(n);
  const gy = new Float32Array(n);
  let sum = 0;
  let count = 0;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const i = y * cols + x;
      if (!inside[i]) continue;
      if (x + 1 < cols && inside[i + 1]) {
        gx[i] = depth[i + 1]! - depth[i]!;
        sum += Math.abs(gx[i]!);
        count++;
      }
      if (y + 1 < rows && inside[i + cols]) {
        gy[i] = depth[i + cols]! - depth[i]!;
        sum += Math.abs(gy[i]!);
        count++;
      }
    }
  }
  if (count === 0 || sum === 0) return normalise(depth, inside);

  // Attenuation: gradients above a tenth of the mean shrink, the ones below grow (up to MAX_GAIN).
  // The factor follows the gradient's length, not each component's: scaled apart, the component
  // near zero along a dome's axes was raised up to MAX_GAIN and drew a cross on every dome.
  const a = (0.1 * sum) / count;
  const beta = 1 - COMPRESSION * detail;
  for (let i = 0; i < n; i++) {
    const m = Math.hypot(gx[i]!, gy[i]!);
    if (m === 0) continue;
    const factor = Math.min(MAX_GAIN, Math.pow(m / a, beta - 1));
    gx[i] = gx[i]! * factor;
    gy[i] = gy[i]! * factor;
  }

  // Unsharp masking of the gradients: what varies within DETAIL_SCALE_MM is strengthened.
  const boost = options.boost ?? true;
  const gain = boost ? GRADIENT_GAIN * detail : 0;
  const scale = DETAIL_SCALE_MM / grid.mmPerSample;
  if (gain > 0) {
    for (const g of [gx, gy]) {
      const coarse = maskedBlur(g, inside, cols, rows, scale);
      for (let i = 0; i < n; i++) if (inside[i]) g[i] = g[i]! + gain * (g[i]! - coarse[i]!);
    }
  }

  // Each piece's level comes from the depth, scaled by how much the gradients were scaled overall.
  let after = 0;
  for (let i = 0; i < n; i++) after += Math.abs(gx[i]!) + Math.abs(gy[i]!);
  const anchor = new Float32Array(n);
  for (let i = 0; i < n; i++) anchor[i] = (depth[i]! * after) / sum;
  const heights = integrate(gx, gy, inside, cols, rows, anchor);
  // Then the shape within DETAIL_SCALE_MM is raised against what is larger (Kerber et al. 2009's
  // base / detail split): at a few millimetres of height, that is what a viewer reads.
  const split = boost ? DETAIL_SPLIT * detail : 0;
  if (split > 0) {
    const base = maskedBlur(heights, inside, cols, rows, scale);
    for (let i = 0; i < n; i++) if (inside[i]) heights[i] = base[i]! + (1 + split) * (heights[i]! - base[i]!);
  }
  return normalise(heights, inside);
}

/** Stretches the inside values to 0..1 (0 outside). */
function normalise(values: Float32Array, inside: Uint8Array): Float32Array {
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (!inside[i]) continue;
    low = Math.min(low, values[i]!);
    high = Math.max(high, values[i]!);
  }
  const out = new Float32Array(values.length);
  const span = high - low;
  for (let i = 0; i < values.length; i++)
    if (inside[i]) out[i] = span > 0 ? (values[i]! - low) / span : Math.min(1, Math.max(0, values[i]!));
  return out;
}

/** Gaussian blur (three box passes per axis) over the inside samples only, normalised by coverage. */
export function maskedBlur(values: Float32Array, inside: Uint8Array, cols: number, rows: number, sigma: number): Float32Array {
  const n = cols * rows;
  const weighted = new Float32Array(n);
  const weight = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (!inside[i]) continue;
    weighted[i] = values[i]!;
    weight[i] = 1;
  }
  // Three boxes of this radius approximate a Gaussian of sigma (Wells 1986).
  const radius = Math.max(1, Math.round(Math.sqrt(sigma * sigma + 1) - 0.5));
  for (let pass = 0; pass < 3; pass++) {
    for (const plane of [weighted, weight]) {
      boxRows(plane, cols, rows, radius);
      boxColumns(plane, cols, rows, radius);
    }
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) if (inside[i]) out[i] = weight[i]! > 1e-6 ? weighted[i]! / weight[i]! : values[i]!;
  return out;
}

function boxRows(plane: Float32Array, cols: number, rows: number, radius: number): void {
  const line = new Float64Array(cols + 1);
  for (let y = 0; y < rows; y++) {
    const o = y * cols;
    for (let x = 0; x < cols; x++) line[x + 1] = line[x]! + plane[o + x]!;
    for (let x = 0; x < cols; x++) {
      const from = Math.max(0, x - radius);
      const to = Math.min(cols, x + radius + 1);
      plane[o + x] = (line[to]! - line[from]!) / (2 * radius + 1);
    }
  }
}

function boxColumns(plane: Float32Array, cols: number, rows: number, radius: number): void {
  const line = new Float64Array(rows + 1);
  for (let x = 0; x < cols; x++) {
    for (let y = 0; y < rows; y++) line[y + 1] = line[y]! + plane[y * cols + x]!;
    for (let y = 0; y < rows; y++) {
      const from = Math.max(0, y - radius);
      const to = Math.min(rows, y + radius + 1);
      plane[y * cols + x] = (line[to]! - line[from]!) / (2 * radius + 1);
    }
  }
}

/** One level of the solve: the grid, its gradients, and the weak anchor that fixes each piece's level. */
interface Level {
  cols: number;
  rows: number;
  inside: Uint8Array;
  gx: Float32Array;
  gy: Float32Array;
  anchor: Float32Array;
}

/** Anchor weight: small enough not to pull the shape, large enough to fix each piece's level. */
const ANCHOR = 1e-4;

/**
 * The heights h minimising sum over inside neighbour pairs of (h[j] - h[i] - g)^2 + ANCHOR (h - anchor)^2:
 * coarse to fine, each level starting from the one below, upsampled.
 */
export function integrate(
  gx: Float32Array,
  gy: Float32Array,
  inside: Uint8Array,
  cols: number,
  rows: number,
  anchor: Float32Array,
): Float32Array {
  const levels: Level[] = [{ cols, rows, inside, gx, gy, anchor }];
  while (Math.max(levels.at(-1)!.cols, levels.at(-1)!.rows) > COARSEST) levels.push(coarser(levels.at(-1)!));
  let h: Float32Array = Float32Array.from(levels.at(-1)!.anchor);
  for (let k = levels.length - 1; k >= 0; k--) {
    const level = levels[k]!;
    if (k < levels.length - 1) h = finer(h, levels[k + 1]!, level);
    solve(level, h, k === levels.length - 1 ? COARSE_ROUNDS : k === 0 ? FINE_ROUNDS : ROUNDS);
  }
  return h;
}

/** Half the resolution: a coarse sample is inside when any of its four is; gradients over two steps. */
function coarser(level: Level): Level {
  const cols = Math.ceil(level.cols / 2);
  const rows = Math.ceil(level.rows / 2);
  const n = cols * rows;
  const inside = new Uint8Array(n);
  const gx = new Float32Array(n);
  const gy = new Float32Array(n);
  const anchor = new Float32Array(n);
  const count = new Float32Array(n);
  for (let y = 0; y < level.rows; y++) {
    for (let x = 0; x < level.cols; x++) {
      const i = y * level.cols + x;
      if (!level.inside[i]) continue;
      const c = (y >> 1) * cols + (x >> 1);
      inside[c] = 1;
      anchor[c] = anchor[c]! + level.anchor[i]!;
      // A coarse step is two fine steps: the mean over the block of each fine step, doubled.
      gx[c] = gx[c]! + level.gx[i]!;
      gy[c] = gy[c]! + level.gy[i]!;
      count[c] = count[c]! + 1;
    }
  }
  for (let c = 0; c < n; c++) {
    if (!count[c]) continue;
    anchor[c] = anchor[c]! / count[c]!;
    gx[c] = (2 * gx[c]!) / count[c]!;
    gy[c] = (2 * gy[c]!) / count[c]!;
  }
  return { cols, rows, inside, gx, gy, anchor };
}

/** Nearest-neighbour upsampling of a coarse solution to the finer level (the solve smooths it). */
function finer(h: Float32Array, coarse: Level, fine: Level): Float32Array {
  const out = new Float32Array(fine.cols * fine.rows);
  for (let y = 0; y < fine.rows; y++) {
    for (let x = 0; x < fine.cols; x++) {
      const i = y * fine.cols + x;
      out[i] = fine.inside[i] ? h[(y >> 1) * coarse.cols + (x >> 1)]! : 0;
    }
  }
  return out;
}

/** A h = b, the normal equations of the least-squares problem, by conjugate gradients from h. */
function solve(level: Level, h: Float32Array, rounds: number): void {
  const { cols, rows, inside, gx, gy, anchor } = level;
  const n = cols * rows;
  // b = ANCHOR anchor - div g (the sum over a sample's pairs of the gradient leaving it, signed).
  const b = new Float64Array(n);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const i = y * cols + x;
      if (!inside[i]) continue;
      b[i] = b[i]! + ANCHOR * anchor[i]!;
      if (x + 1 < cols && inside[i + 1]) {
        b[i] = b[i]! - gx[i]!;
        b[i + 1] = b[i + 1]! + gx[i]!;
      }
      if (y + 1 < rows && inside[i + cols]) {
        b[i] = b[i]! - gy[i]!;
        b[i + cols] = b[i + cols]! + gy[i]!;
      }
    }
  }
  const apply = (v: Float64Array | Float32Array, out: Float64Array) => {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const i = y * cols + x;
        if (!inside[i]) {
          out[i] = 0;
          continue;
        }
        let s = ANCHOR * v[i]!;
        if (x > 0 && inside[i - 1]) s += v[i]! - v[i - 1]!;
        if (x + 1 < cols && inside[i + 1]) s += v[i]! - v[i + 1]!;
        if (y > 0 && inside[i - cols]) s += v[i]! - v[i - cols]!;
        if (y + 1 < rows && inside[i + cols]) s += v[i]! - v[i + cols]!;
        out[i] = s;
      }
    }
  };
  const r = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  apply(h, q);
  let rr = 0;
  for (let i = 0; i < n; i++) {
    r[i] = b[i]! - q[i]!;
    p[i] = r[i]!;
    rr += r[i]! * r[i]!;
  }
  for (let round = 0; round < rounds && rr > 1e-20; round++) {
    apply(p, q);
    let pq = 0;
    for (let i = 0; i < n; i++) pq += p[i]! * q[i]!;
    if (!(pq > 0)) break;
    const alpha = rr / pq;
    let next = 0;
    for (let i = 0; i < n; i++) {
      h[i] = h[i]! + alpha * p[i]!;
      r[i] = r[i]! - alpha * q[i]!;
      next += r[i]! * r[i]!;
    }
    const beta = next / rr;
    rr = next;
    for (let i = 0; i < n; i++) p[i] = r[i]! + beta * p[i]!;
  }
}
