// Scores of a relative depth map against metric ground truth.
//
// Protocol (docs/models-and-quality.md "Depth quality"):
// 1. The prediction (normalised inverse depth at the output size) is brought to the ground truth's
//    size by area averaging.
// 2. Scale s and shift t are fitted by least squares in inverse-depth space over the valid GT
//    pixels: min sum (s * p + t - 1/gt)^2 (MiDaS, Ranftl et al. 2020).
// 3. The aligned inverse depth is clamped below at 1 / (the image's largest GT depth), so no point
//    lands behind the farthest measured one or at infinity, and inverted to depth.
// 4. AbsRel = mean |d - gt| / gt and delta1 = share of pixels with max(d/gt, gt/d) < 1.25.
// 5. Depth-boundary errors (iBims-1, Koch et al. 2018). Predicted edges as iBims-1 finds them:
//    Canny (sigma sqrt 2, thresholds 0.1 / 0.2) on the aligned depth scaled to 0..1. GT edges (iBims
//    annotates them by hand; here they are computed): Canny on log GT depth (holes filled with the
//    farther neighbour, sigma 1) keeping jumps of at least 10 % between neighbours, on measured
//    pixels only. eps_acc is the mean distance (px, truncated at 10) from predicted edges to the
//    nearest GT edge, eps_comp the mean distance from GT edges to the nearest predicted edge.
//    Lower is better for both.
// 6. Order (what a relief or a parallax effect shows first): the ordinal error is the share of
//    point pairs whose GT depths differ by more than 10 % that the prediction orders the wrong way
//    round (a tie counts as wrong: a flat or saturated map has no order); pairs are drawn at random
//    with a fixed seed. Spearman's rank correlation of predicted and GT inverse depth over the
//    valid pixels (1 = same order, -1 = inverted). Neither needs any alignment.
import { fitScaleShift } from '../../src/raster/align.js';
import { distanceToBackground } from '../../src/raster/distance.js';
import { resizeArea, resizeBilinear } from '../../src/raster/resize.js';
import type { FloatPlane } from '../../src/raster/plane.js';
import type { GroundTruth } from './dataset.js';
import { mulberry32, spearman } from './stats.js';

export interface Scores {
  absRel: number;
  delta1: number;
  /** iBims-1 depth boundary accuracy, px at GT resolution; NaN when GT is too sparse for edges. */
  dbeAcc: number;
  /** iBims-1 depth boundary completeness, px at GT resolution; NaN when GT is too sparse. */
  dbeComp: number;
  /** Share of clearly ordered point pairs (GT depths > 10 % apart) put the wrong way round; lower is better. */
  ordinal: number;
  /** Spearman's rank correlation of predicted and GT inverse depth; higher is better. */
  spearman: number;
  /** Pixels scored. */
  pixels: number;
}

/** Point pairs drawn for the ordinal error; the order of GT depths at least this ratio apart. */
const ORDINAL_PAIRS = 50_000;
const ORDINAL_RATIO = 1.1;
/** Pixels drawn for the rank correlation (ranking every pixel of a 741x497 map adds nothing). */
const RANK_SAMPLES = 40_000;

/** Indices of the valid pixels. */
function validIndices(valid: Uint8Array): Int32Array {
  let count = 0;
  for (const v of valid) count += v;
  const out = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < valid.length; i++) if (valid[i]) out[k++] = i;
  return out;
}

/** Ordinal error of inverse depth `p` (larger = nearer) against GT depth `g` over `indices`. */
export function ordinalError(p: Float32Array, g: Float32Array, indices: Int32Array): number {
  if (indices.length < 2) return Number.NaN;
  const random = mulberry32(12345);
  let pairs = 0;
  let wrong = 0;
  // Bounded tries: a scene of one depth has no clearly ordered pair at all.
  for (let tries = 0; pairs < ORDINAL_PAIRS && tries < ORDINAL_PAIRS * 20; tries++) {
    const a = indices[Math.floor(random() * indices.length)]!;
    const b = indices[Math.floor(random() * indices.length)]!;
    const ga = g[a]!;
    const gb = g[b]!;
    if (Math.max(ga, gb) < ORDINAL_RATIO * Math.min(ga, gb)) continue;
    pairs++;
    // a nearer than b (ga < gb) wants p[a] > p[b].
    if ((p[a]! - p[b]!) * (gb - ga) <= 0) wrong++;
  }
  return pairs > 0 ? wrong / pairs : Number.NaN;
}

/** Spearman's rank correlation of inverse depth `p` and GT inverse depth (1 / g) over `indices`. */
export function orderCorrelation(p: Float32Array, g: Float32Array, indices: Int32Array): number {
  const n = Math.min(indices.length, RANK_SAMPLES);
  if (n < 3) return Number.NaN;
  const step = indices.length / n;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[Math.floor(k * step)]!;
    a[k] = p[i]!;
    b[k] = 1 / g[i]!;
  }
  const rho = spearman(a, b);
  // A constant map (all black) has no order at all.
  return Number.isFinite(rho) ? rho : 0;
}

/** Truncation of the chamfer distances (iBims-1 uses 10 px). */
export const DBE_TRUNCATION = 10;
/** Below this share of valid GT pixels (KITTI's LiDAR) no edge map can be made. */
const EDGE_MIN_COVERAGE = 0.5;
/** A depth discontinuity: a jump of at least 10 % between neighbours (log depth 0.095). */
const EDGE_STEP = Math.log(1.1);

/** Any plane brought to (width, height): area average down, bilinear up. */
export function toSize(plane: FloatPlane, width: number, height: number): Float32Array {
  if (plane.width === width && plane.height === height) return plane.data;
  return plane.width >= width ? resizeArea(plane, width, height).data : resizeBilinear(plane, width, height).data;
}

/**
 * Scores `prediction` (inverse depth, any scale and shift, any size) against `gt`. `region`
 * (at GT size, optional) restricts scoring, e.g. to an object mask.
 */
export function score(prediction: FloatPlane, gt: GroundTruth, region?: Float32Array): Scores {
  const { width, height } = gt;
  const p = toSize(prediction, width, height);
  const n = width * height;
  const valid = new Uint8Array(n);
  let maxDepth = 0;
  for (let i = 0; i < n; i++) {
    const g = gt.depth[i]!;
    if (g > 0 && Number.isFinite(p[i]!) && (!region || region[i]! >= 0.5)) {
      valid[i] = 1;
      if (g > maxDepth) maxDepth = g;
    }
  }
  const target = new Float32Array(n);
  for (let i = 0; i < n; i++) target[i] = valid[i] ? 1 / gt.depth[i]! : 0;
  const { scale, shift } = fitScaleShift(p, target, valid);
  const floor = 1 / maxDepth;
  const aligned = new Float32Array(n);
  let absRel = 0;
  let good = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const d = 1 / Math.max(scale * p[i]! + shift, floor);
    aligned[i] = d;
    if (!valid[i]) continue;
    const g = gt.depth[i]!;
    absRel += Math.abs(d - g) / g;
    if (Math.max(d / g, g / d) < 1.25) good++;
    count++;
  }
  const edges = gt.coverage >= EDGE_MIN_COVERAGE ? boundaryErrors(aligned, gt, region) : { acc: Number.NaN, comp: Number.NaN };
  const indices = validIndices(valid);
  return {
    absRel: absRel / count,
    delta1: good / count,
    dbeAcc: edges.acc,
    dbeComp: edges.comp,
    ordinal: ordinalError(p, gt.depth, indices),
    spearman: orderCorrelation(p, gt.depth, indices),
    pixels: count,
  };
}

/** Metric RMSE and delta1 without any alignment (FastDepth paper protocol), over valid GT. */
export function metricScores(metres: Float32Array, gt: Float32Array): { rmse: number; delta1: number; pixels: number } {
  let se = 0;
  let good = 0;
  let count = 0;
  for (let i = 0; i < gt.length; i++) {
    const g = gt[i]!;
    if (!(g > 0)) continue;
    const d = metres[i]!;
    se += (d - g) * (d - g);
    if (Math.max(d / g, g / d) < 1.25) good++;
    count++;
  }
  return { rmse: Math.sqrt(se / count), delta1: good / count, pixels: count };
}

/** GT with holes filled, row by row, with the farther of the two valid ends of each hole. */
function fillHoles(gt: GroundTruth): Float32Array {
  const { width, height } = gt;
  const out = Float32Array.from(gt.depth);
  for (let pass = 0; pass < 2; pass++) {
    // Pass 0 fills along rows, pass 1 along columns whatever rows could not (all-invalid rows).
    const lines = pass === 0 ? height : width;
    const length = pass === 0 ? width : height;
    const at = (line: number, k: number): number => (pass === 0 ? line * width + k : k * width + line);
    for (let line = 0; line < lines; line++) {
      let k = 0;
      while (k < length) {
        if (out[at(line, k)]! > 0) {
          k++;
          continue;
        }
        let end = k;
        while (end < length && !(out[at(line, end)]! > 0)) end++;
        const left = k > 0 ? out[at(line, k - 1)]! : Number.NaN;
        const right = end < length ? out[at(line, end)]! : Number.NaN;
        const fill = Number.isNaN(left) ? right : Number.isNaN(right) ? left : Math.max(left, right);
        if (!Number.isNaN(fill)) for (let j = k; j < end; j++) out[at(line, j)] = fill;
        k = end;
      }
    }
  }
  return out;
}

/** Separable Gaussian blur (sigma in px), clamped borders. */
function gaussian(src: Float32Array, width: number, height: number, sigma: number): Float32Array {
  const r = Math.ceil(3 * sigma);
  const kernel = Float64Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= total;
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -r; k <= r; k++) acc += kernel[k + r]! * src[y * width + Math.min(Math.max(x + k, 0), width - 1)]!;
      tmp[y * width + x] = acc;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -r; k <= r; k++) acc += kernel[k + r]! * tmp[Math.min(Math.max(y + k, 0), height - 1) * width + x]!;
      out[y * width + x] = acc;
    }
  }
  return out;
}

export interface CannyOptions {
  sigma: number;
  /** Hysteresis thresholds on the Sobel magnitude (unnormalised 3x3 Sobel, as scikit-image's canny). */
  low: number;
  high: number;
}

/** Ground truth: a jump of at least 10 % in depth between neighbours (log depth 0.095), sigma 1. */
const GT_CANNY: CannyOptions = (() => {
  // A step of height s blurred by a Gaussian of sigma 1 peaks at slope s / sqrt(2 pi); the
  // unnormalised Sobel reads 8 x the slope.
  const high = (8 * EDGE_STEP) / Math.sqrt(2 * Math.PI);
  return { sigma: 1, low: high / 2, high };
})();

/** Predictions: iBims-1's own rule, Canny (sigma sqrt 2, thresholds 0.1 / 0.2) on depth scaled to 0..1. */
const PRED_CANNY: CannyOptions = { sigma: Math.SQRT2, low: 0.1, high: 0.2 };

/** Canny edges: Gaussian, Sobel, non-maximum suppression, hysteresis. */
export function cannyEdges(values: Float32Array, width: number, height: number, { sigma, low, high }: CannyOptions): Uint8Array {
  const s = gaussian(values, width, height, sigma);
  const mag = new Float32Array(values.length);
  const dir = new Uint8Array(values.length);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const a = s[i - width - 1]!;
      const b = s[i - width]!;
      const c = s[i - width + 1]!;
      const d = s[i - 1]!;
      const f = s[i + 1]!;
      const g = s[i + width - 1]!;
      const h = s[i + width]!;
      const k = s[i + width + 1]!;
      const gx = c + 2 * f + k - a - 2 * d - g;
      const gy = g + 2 * h + k - a - 2 * b - c;
      mag[i] = Math.hypot(gx, gy);
      const angle = ((Math.atan2(gy, gx) * 180) / Math.PI + 180) % 180;
      dir[i] = angle < 22.5 || angle >= 157.5 ? 0 : angle < 67.5 ? 1 : angle < 112.5 ? 2 : 3;
    }
  }
  const offsets = [1, width + 1, width, width - 1];
  const strong = new Uint8Array(values.length);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const m = mag[i]!;
      if (m < low) continue;
      const o = offsets[dir[i]!]!;
      if (m < mag[i + o]! || m < mag[i - o]!) continue;
      strong[i] = m >= high ? 2 : 1;
    }
  }
  const edges = new Uint8Array(values.length);
  const stack: number[] = [];
  for (let i = 0; i < strong.length; i++) {
    if (strong[i] !== 2 || edges[i]) continue;
    edges[i] = 1;
    stack.push(i);
    while (stack.length > 0) {
      const j = stack.pop()!;
      for (const o of [-width - 1, -width, -width + 1, -1, 1, width - 1, width, width + 1]) {
        const k = j + o;
        if (k >= 0 && k < strong.length && strong[k]! > 0 && !edges[k]) {
          edges[k] = 1;
          stack.push(k);
        }
      }
    }
  }
  return edges;
}

/** Edges of ground-truth depth (metres, holes filled): log depth, >= 10 % jumps. */
export function gtDepthEdges(depth: Float32Array, width: number, height: number): Uint8Array {
  const log = new Float32Array(depth.length);
  for (let i = 0; i < depth.length; i++) log[i] = Math.log(Math.max(depth[i]!, 1e-6));
  return cannyEdges(log, width, height, GT_CANNY);
}

/** Edges of predicted depth the iBims-1 way: depth min-max scaled to 0..1 over `region` (0/1). */
export function predDepthEdges(depth: Float32Array, width: number, height: number, region: Float32Array): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < depth.length; i++) {
    if (!region[i]) continue;
    lo = Math.min(lo, depth[i]!);
    hi = Math.max(hi, depth[i]!);
  }
  const span = hi > lo ? hi - lo : 1;
  const scaled = new Float32Array(depth.length);
  for (let i = 0; i < depth.length; i++) scaled[i] = Math.min(1, Math.max(0, (depth[i]! - lo) / span));
  return cannyEdges(scaled, width, height, PRED_CANNY);
}

/** Distance (px) from every pixel to the nearest edge pixel; Infinity when there is none. */
function edgeDistance(edges: Uint8Array, width: number, height: number): Float32Array {
  let any = false;
  const notEdge = new Float32Array(edges.length);
  for (let i = 0; i < edges.length; i++) {
    notEdge[i] = edges[i] ? 0 : 1;
    if (edges[i]) any = true;
  }
  if (!any) return new Float32Array(edges.length).fill(Number.POSITIVE_INFINITY);
  return distanceToBackground(notEdge, width, height);
}

/** iBims-1 depth boundary errors of aligned depth against GT. */
export function boundaryErrors(aligned: Float32Array, gt: GroundTruth, region?: Float32Array): { acc: number; comp: number } {
  const { width, height } = gt;
  // Score only where the GT was measured (and inside the region): edges inside holes are unknown.
  const near = new Float32Array(width * height);
  for (let i = 0; i < near.length; i++) near[i] = gt.depth[i]! > 0 && (!region || region[i]! >= 0.5) ? 1 : 0;
  const gtEdges = gtDepthEdges(fillHoles(gt), width, height);
  const predEdges = predDepthEdges(aligned, width, height, near);
  for (let i = 0; i < near.length; i++) {
    if (!near[i]) {
      gtEdges[i] = 0;
      predEdges[i] = 0;
    }
  }
  const toGt = edgeDistance(gtEdges, width, height);
  const toPred = edgeDistance(predEdges, width, height);
  const mean = (edges: Uint8Array, distance: Float32Array, none: number): number => {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < edges.length; i++) {
      if (!edges[i]) continue;
      sum += Math.min(distance[i]!, DBE_TRUNCATION);
      count++;
    }
    return count > 0 ? sum / count : none;
  };
  // No predicted edge at all counts as the worst accuracy; no GT edge leaves completeness undefined.
  return { acc: mean(predEdges, toGt, DBE_TRUNCATION), comp: mean(gtEdges, toPred, Number.NaN) };
}

/** The GT edges, for pictures. */
export function gtEdgeMap(gt: GroundTruth): Uint8Array {
  const edges = gtDepthEdges(fillHoles(gt), gt.width, gt.height);
  for (let i = 0; i < edges.length; i++) if (!(gt.depth[i]! > 0)) edges[i] = 0;
  return edges;
}
