// The photo's own detail in a relief (relief_style=detailed, the default for photos).
//
// What makes a subject recognisable (eyes, nostrils, a mouth, fur and whisker pads, a wing's
// pattern, window frames, lettering) is in the photo's lightness, not in a 224-pixel depth model's
// output. Carvers and the bas-relief-from-photograph literature (Weyrich et al. 2007, Kerber et
// al., Ji et al. 2014, Wu et al. 2013 for faces) take it from the image's gradients: an edge stays
// a crisp step, compressed, instead of the overshooting rims a high-pass of the photo draws:
//   1. the lightness, freed of grain, sensor noise and JPEG blocks by a blur of DENOISE_MM (or of
//      one of the photo's own pixels, when a small photo makes a large relief);
//   2. its gradients, with the faint ones (what is left of noise) cored away and the strong ones
//      compressed (a dark eye and a fur stripe both read; neither swamps the other);
//   3. turned the depth's way where the relief's own shape has a real step: there the depth wins
//      over the paint, and the step stays crisp;
//   4. integrated back into heights (the bas-relief engine's Poisson solve), its slow drift
//      (shading, vignetting: shape the depth already gives) taken out beyond LOW_CUT_MM;
//   5. scaled so most of it (2nd to 98th percentile) spans the detail height asked for (less where
//      the photo has little contrast), what lies beyond saturating softly at that height.
// Lighter is higher: dark eyes, nostrils and mouths sink, as they do on a face.
import { integrate, maskedBlur } from './bas-relief.js';

export interface PhotoDetailGrid {
  cols: number;
  rows: number;
  inside: Uint8Array;
  mmPerSample: number;
  /** The photo's lightness 0..1 on the relief's grid. */
  lightness: Float32Array;
  /** The relief's own shape 0..1 (near = 1) after the bas-relief engine. */
  shape: Float32Array;
  /** Millimetres that shape spans: its slopes in mm per mm say where a step is. */
  heightRelief: number;
  /** Millimetres one of the photo's own pixels spans on the relief (a small photo made large: more than a sample). */
  photoPixelMm: number;
}

/**
 * Blur (mm, Gaussian sigma) that takes grain, noise and JPEG blocks out of the lightness: half an
 * FDM nozzle, finer than anything it prints. At 0.1 mm the grain of a face's skin, magnified in a
 * 100 mm relief, came through as bumps; at 0.2 mm it did not, and recognisability did not move.
 */
const DENOISE_MM = 0.2;
/** Gradients below this share of the median gradient are noise: cored away (at least NOISE_GRADIENT). */
const CORING = 0.5;
/** Lightness steps between neighbouring samples below this are noise whatever the photo (a quarter of an 8-bit level). */
const NOISE_GRADIENT = 0.001;
/** The detail's range (lightness) that gets the whole detail height: less contrast is carved in proportion. */
const MIN_CONTRAST = 0.1;
/** Gradients beyond this many median gradients are compressed (logarithmically). */
const KNEE = 4;
/** A relief slope (mm per mm) of this much is a step of the depth; steeper damps the photo's edges more. */
const STEP_SLOPE = 0.3;
/** Detail broader than this (mm) is the depth's business: taken out of the photo's (the eval's fine shape is what is finer than 2 mm, too). */
const LOW_CUT_MM = 2;

/**
 * Height offsets in mm (0 outside, about 0 on average inside) carrying the photo's detail: its
 * 2nd-98th percentile range spans `heightMm`.
 */
export function photoDetail(grid: PhotoDetailGrid, heightMm: number): Float32Array {
  const { cols, rows, inside, mmPerSample } = grid;
  const n = cols * rows;
  const out = new Float32Array(n);
  if (!(heightMm > 0)) return out;
  // A photo's own pixel holds no detail finer than itself, only its JPEG blocks and noise magnified.
  const light = maskedBlur(grid.lightness, inside, cols, rows, Math.max(DENOISE_MM, grid.photoPixelMm) / mmPerSample);
  const gx = new Float32Array(n);
  const gy = new Float32Array(n);
  forEachPair(inside, cols, rows, (i, j, g) => (g[i] = light[j]! - light[i]!), gx, gy);
  // The typical gradient is that of the photo's texture: the median over the samples where the
  // lightness changes by more than noise (an evenly lit plain area would make it zero).
  const lengths = new Float32Array(n);
  let moving = 0;
  for (let i = 0; i < n; i++) {
    const m = Math.hypot(gx[i]!, gy[i]!);
    if (m > NOISE_GRADIENT) lengths[moving++] = m;
  }
  if (moving === 0) return out;
  const typical = quantile(lengths.subarray(0, moving), 0.5);
  const core = Math.max(CORING * typical, NOISE_GRADIENT);
  const knee = KNEE * typical;
  // Cored and compressed by the gradient's length (scaled by component, an edge along an axis
  // would be treated unlike a diagonal one).
  for (let i = 0; i < n; i++) {
    const m = Math.hypot(gx[i]!, gy[i]!);
    if (m === 0) continue;
    const cored = (m * m) / (m * m + core * core);
    const compressed = m <= knee ? m : knee * (1 + Math.log(m / knee));
    const factor = (cored * compressed) / m;
    gx[i] = gx[i]! * factor;
    gy[i] = gy[i]! * factor;
  }
  // Across a step of the depth the edge is kept, turned the depth's way: the step wins, and stays crisp.
  const toSlope = grid.heightRelief / mmPerSample;
  const shape = grid.shape;
  forEachPair(
    inside,
    cols,
    rows,
    (i, j, g) => {
      const step = (shape[j]! - shape[i]!) * toSlope;
      const w = (step * step) / (step * step + STEP_SLOPE * STEP_SLOPE);
      g[i] = g[i]! * (1 - w) + Math.abs(g[i]!) * Math.sign(step) * w;
    },
    gx,
    gy,
  );
  const heights = integrate(gx, gy, inside, cols, rows, new Float32Array(n));
  const drift = maskedBlur(heights, inside, cols, rows, LOW_CUT_MM / mmPerSample);
  const sorted = new Float32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (!inside[i]) continue;
    out[i] = heights[i]! - drift[i]!;
    sorted[count++] = out[i]!;
  }
  sorted.subarray(0, count).sort();
  const inner = sorted.subarray(0, count);
  const low = quantile(inner, 0.02, true);
  const high = quantile(inner, 0.98, true);
  const middle = quantile(inner, 0.5, true);
  // A photo with little contrast (a plain wall, a blurred background) is carved as little as it has:
  // its grain is not stretched to the full detail height.
  const scale = heightMm / Math.max(high - low, MIN_CONTRAST);
  // What lies beyond the range (a small dark pupil on an even face) saturates softly at the detail
  // height either way: no feature is carved deeper than detail_height asks.
  for (let i = 0; i < n; i++) if (inside[i]) out[i] = heightMm * Math.tanh(((out[i]! - middle) * scale) / heightMm);
  return out;
}

/**
 * Calls visit(i, j, g) for each pair of inside neighbours: j the right one with g = gx, then j the
 * one below with g = gy.
 */
function forEachPair(
  inside: Uint8Array,
  cols: number,
  rows: number,
  visit: (i: number, j: number, g: Float32Array) => void,
  gx: Float32Array,
  gy: Float32Array,
): void {
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const i = y * cols + x;
      if (!inside[i]) continue;
      if (x + 1 < cols && inside[i + 1]) visit(i, i + 1, gx);
      if (y + 1 < rows && inside[i + cols]) visit(i, i + cols, gy);
    }
  }
}

/** The q-quantile of the values (sorted in place unless `sorted`). */
function quantile(values: Float32Array, q: number, sorted = false): number {
  if (!sorted) values.sort();
  return values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))] ?? 0;
}
