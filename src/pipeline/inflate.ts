// A smooth volume from a silhouette (rmbg=1): what a relief of a single object needs and what an
// indoor-trained depth model does not give (it sees an apple as a lumpy, often hollow, patch).
//
// The height is that of a membrane inflated through the outline (the Poisson equation -Δu = 1
// inside, u = 0 on the outline: Teddy's and Monster Mash's inflation), h = 2 sqrt(u). A disc
// becomes exactly a hemisphere (u = (R² - r²) / 4); elongated parts become rounded tubes; the
// height is 0 on the outline and smooth everywhere inside. A distance transform's sphere profile,
// used before, folds along the medial axis: a straight crease down a body, facets at its corners.
import { resizeArea, resizeBilinear } from '../raster/resize.js';

/** Over-relaxation of the Poisson solve's Gauss-Seidel sweeps (red-black). */
const OMEGA = 1.85;
/** Sweeps on each level of the solve, and on the coarsest (whose long side is at most COARSEST_SIDE). */
const SWEEPS = 40;
const COARSE_SWEEPS = 400;
const COARSEST_SIDE = 24;

/**
 * u with -Δu = 1 on the inside samples, u = 0 on the outside ones; the image's border is a mirror
 * (an object cut by the frame goes on beyond it), unless nothing is outside: then the frame is the
 * outline. Red-black SOR, started from the solution at half the resolution (itself solved so).
 */
function membrane(inside: Uint8Array, width: number, height: number, frameOutside: boolean): Float64Array {
  let start: Float64Array | undefined;
  if (Math.max(width, height) > COARSEST_SIDE) {
    const w = Math.ceil(width / 2);
    const h = Math.ceil(height / 2);
    // A coarse cell is inside when all its fine cells are: the coarse outline never leaves the fine one.
    const coarse = new Uint8Array(w * h).fill(1);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (!inside[y * width + x]) coarse[(y >> 1) * w + (x >> 1)] = 0;
    const u = membrane(coarse, w, h, frameOutside);
    // u grows with the square of the grid step: a coarse sample's u is a quarter of the fine one's.
    start = new Float64Array(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) if (inside[y * width + x]) start[y * width + x] = 4 * u[(y >> 1) * w + (x >> 1)]!;
  }
  const u = start ?? new Float64Array(width * height);
  const sweeps = start ? SWEEPS : COARSE_SWEEPS;
  for (let sweep = 0; sweep < sweeps; sweep++) {
    for (let colour = 0; colour < 2; colour++) {
      for (let y = 0; y < height; y++) {
        for (let x = (y + colour) & 1; x < width; x += 2) {
          const i = y * width + x;
          if (!inside[i]) continue;
          // A neighbour beyond the frame is the outline (frameOutside) or a mirror of this sample.
          const left = x > 0;
          const right = x + 1 < width;
          const up = y > 0;
          const down = y + 1 < height;
          const sum = 1 + (left ? u[i - 1]! : 0) + (right ? u[i + 1]! : 0) + (up ? u[i - width]! : 0) + (down ? u[i + width]! : 0);
          const count = frameOutside ? 4 : Number(left) + Number(right) + Number(up) + Number(down);
          if (count > 0) u[i] = u[i]! + OMEGA * (sum / count - u[i]!);
        }
      }
    }
  }
  return u;
}

/**
 * Heights (in pixels) of the inflated silhouette (mask > 0.5): 0 on the background and on the
 * outline, a disc of radius R becomes a hemisphere of height R, smooth inside.
 */
export function inflate(mask: Float32Array, width: number, height: number): Float32Array {
  const inside = new Uint8Array(mask.length);
  let outside = false;
  for (let i = 0; i < mask.length; i++) {
    inside[i] = mask[i]! > 0.5 ? 1 : 0;
    if (!inside[i]) outside = true;
  }
  const u = membrane(inside, width, height, !outside);
  const out = new Float32Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = inside[i] ? 2 * Math.sqrt(Math.max(0, u[i]!)) : 0;
  return out;
}

/** Long side at which the volume is computed: it is smooth, so a coarse grid loses nothing visible. */
const VOLUME_LONG_SIDE = 320;

/** inflate() on a coarser copy of the mask when it is large, brought back (heights in full-size pixels). */
function smoothVolume(inside: Float32Array, width: number, height: number): Float32Array {
  const scale = VOLUME_LONG_SIDE / Math.max(width, height);
  if (scale >= 1) return inflate(inside, width, height);
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const small = resizeArea({ width, height, data: inside }, w, h).data;
  for (let i = 0; i < small.length; i++) small[i] = small[i]! > 0.5 ? 1 : 0;
  const volume = resizeBilinear({ width: w, height: h, data: inflate(small, w, h) }, width, height).data;
  const toFull = width / w;
  for (let i = 0; i < volume.length; i++) volume[i] = inside[i] ? volume[i]! * toFull : 0;
  return volume;
}

export interface ObjectWeights {
  /** Weight of the silhouette volume (1: a dome of about physical proportions, see objectDepth). */
  volume: number;
  /** Weight of the model's own shape within the object, above its best-fitting plane (0..1). */
  model: number;
  /**
   * How much of the plane's tilt is kept (default 1). 0 stands the object upright, facing the
   * camera: an indoor model tilts everything like a floor, nearer at the bottom.
   */
  tilt?: number;
}

/** Least-squares plane v = a x + b y + c over the masked pixels (x, y in pixels). */
function fitPlane(values: Float32Array, inside: Float32Array, width: number, height: number): [number, number, number] {
  // Normal equations, centred for conditioning.
  let n = 0;
  let mx = 0;
  let my = 0;
  let mv = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!inside[i]) continue;
      n++;
      mx += x;
      my += y;
      mv += values[i]!;
    }
  }
  mx /= n;
  my /= n;
  mv /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let sxv = 0;
  let syv = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!inside[i]) continue;
      const dx = x - mx;
      const dy = y - my;
      const dv = values[i]! - mv;
      sxx += dx * dx;
      sxy += dx * dy;
      syy += dy * dy;
      sxv += dx * dv;
      syv += dy * dv;
    }
  }
  const det = sxx * syy - sxy * sxy;
  if (!(Math.abs(det) > 1e-9)) return [0, 0, mv];
  const a = (sxv * syy - syv * sxy) / det;
  const b = (syv * sxx - sxv * sxy) / det;
  return [a, b, mv - a * mx - b * my];
}

/**
 * The depth of a single object (mask > 0.5) made from three parts, in the model's inverse-depth
 * units: the plane that best fits the model's depth over the object (where it stands and how it
 * tilts), the inflated silhouette, and the model's shape above that plane weighted by `model`.
 * The volume's height is converted from pixels to inverse depth for a camera of about 64 degrees
 * field of view on the long side (focal length f = 0.8 x the long side): an object bulging by h
 * pixels at inverse depth v comes nearer by about h * v / f. Outside the mask `inverse` is
 * returned unchanged.
 */
export function objectDepth(
  inverse: Float32Array,
  mask: Float32Array,
  width: number,
  height: number,
  weights: ObjectWeights,
): Float32Array {
  const n = inverse.length;
  const inside = new Float32Array(n);
  let count = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (mask[i]! > 0.5) {
      inside[i] = 1;
      count++;
      sum += inverse[i]!;
    }
  }
  if (count === 0) return inverse;
  const volume = smoothVolume(inside, width, height);
  const [a, b, c] = fitPlane(inverse, inside, width, height);
  // Untilting turns the plane about the object's centroid, so the object keeps its mean depth.
  const tilt = weights.tilt ?? 1;
  let cx = 0;
  let cy = 0;
  if (tilt !== 1) {
    for (let i = 0; i < n; i++) {
      if (!inside[i]) continue;
      cx += i % width;
      cy += Math.floor(i / width);
    }
    cx /= count;
    cy /= count;
  }
  const focal = 0.8 * Math.max(width, height);
  const toInverse = (weights.volume * Math.max(sum / count, 0)) / focal;
  const out = Float32Array.from(inverse);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!inside[i]) continue;
      const plane = a * x + b * y + c;
      const upright = plane + (tilt - 1) * (a * (x - cx) + b * (y - cy));
      out[i] = upright + weights.model * (inverse[i]! - plane) + toInverse * volume[i]!;
    }
  }
  return out;
}
