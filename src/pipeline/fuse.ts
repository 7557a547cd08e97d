// Multi-scale depth, in the spirit of BoostingMonocularDepth (Miangoleh et al., CVPR 2021): one
// global pass gives the structure of the scene; passes over overlapping tiles, each seen by the
// model at a higher scale, give detail. Each tile is aligned to the estimate so far by least-
// squares scale and shift (in inverse depth, the model's relative convention), then blended with
// feathered weights, so no seam shows where tiles meet. Optionally only the tiles' high frequencies
// are kept and the low frequencies come from the coarser estimate (`lowpass`).
//
// The model sees everything through predictInverseDepth, which squashes whatever it is given to
// its square input. FastDepth was trained on 304x228 crops squashed to 224x224 (its data loader),
// so windows of that 4:3 shape are what it knows; the evaluation (bench/eval.ts,
// docs/models-and-quality.md "Depth quality") decides how a whole image of another shape is fed:
// squashed, padded or cropped.
import { fitScaleShift } from '../raster/align.js';
import { gaussianish } from '../raster/box.js';
import type { DecodedImage } from '../raster/decode.js';
import { cropRgb, mirrorRgb, padRgb } from '../raster/image-ops.js';
import { resizeBilinear } from '../raster/resize.js';
import type { FloatPlane } from '../raster/plane.js';

/**
 * Relative inverse depth (larger = nearer, any scale and shift) for a whole image, at the model's
 * output resolution: predictInverseDepth(model, image) in the pipeline, a stand-in in tests.
 */
export type InverseDepthPredictor = (image: DecodedImage) => Promise<FloatPlane>;

/** Aspect ratio (width / height) of the windows the bundled model was trained on. */
export const TRAINING_ASPECT = 4 / 3;

/**
 * How the global pass sees an image whose shape is not the training window's:
 * - squash: the whole image, stretched to the model's input (every pixel seen once);
 * - pad: the image inside a 4:3 canvas, margins repeating the edge pixels;
 * - crop: 4:3 windows of the full short side covering the image, merged like tiles.
 */
export type Feed = 'squash' | 'pad' | 'crop';

export interface FuseOptions {
  feed: Feed;
  /** Tile levels: zoom factors relative to the largest 4:3 window, finest last; [] = global only. */
  zooms: number[];
  /** Overlap of neighbouring tiles, as a fraction of a tile's side (0..0.9). */
  overlap: number;
  /**
   * 0: a level replaces the estimate by its aligned, blended tiles. r > 0: it keeps the estimate's
   * low frequencies (a Gaussian of about r grid pixels) and takes only the finer part from tiles.
   */
  lowpass: number;
  /**
   * Every window is also seen mirrored and the two predictions averaged (test-time augmentation):
   * a model's errors are not mirror-symmetric, the scene is, so half of them cancel.
   */
  flip?: boolean;
}

/** The predictor averaged with itself on the mirrored image (mirrored back). */
export function withMirror(predict: InverseDepthPredictor): InverseDepthPredictor {
  return async (image) => {
    const direct = await predict(image);
    const mirrored = await predict(mirrorRgb(image));
    const { width, height } = direct;
    const data = new Float32Array(width * height);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) data[row + x] = 0.5 * (direct.data[row + x]! + mirrored.data[row + width - 1 - x]!);
    }
    return { width, height, data };
  };
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The largest window of the training aspect that fits inside w x h. */
function baseWindow(width: number, height: number): { w: number; h: number } {
  return width / height >= TRAINING_ASPECT ? { w: height * TRAINING_ASPECT, h: height } : { w: width, h: width / TRAINING_ASPECT };
}

/** Evenly spaced starts of `count` windows of `size` covering `extent` (integers, first 0, last flush). */
function starts(extent: number, size: number, overlap: number): number[] {
  if (size >= extent) return [0];
  const count = Math.ceil((extent - size) / (size * (1 - overlap))) + 1;
  return Array.from({ length: count }, (_, i) => Math.round(((extent - size) * i) / (count - 1)));
}

/** Windows of size (w, h) covering the image with at least `overlap` between neighbours. */
function layout(width: number, height: number, w: number, h: number, overlap: number): Rect[] {
  const tw = Math.min(width, Math.round(w));
  const th = Math.min(height, Math.round(h));
  const rects: Rect[] = [];
  for (const y of starts(height, th, overlap)) for (const x of starts(width, tw, overlap)) rects.push({ x, y, w: tw, h: th });
  return rects;
}

/**
 * A prediction of window `rect` (possibly reaching outside the image, for padding) resampled onto
 * the image's pixels inside it: `into[i]` for every image pixel i covered, NaN elsewhere.
 */
function project(pred: FloatPlane, rect: Rect, width: number, height: number, into: Float32Array): void {
  into.fill(Number.NaN);
  const sx = pred.width / rect.w;
  const sy = pred.height / rect.h;
  const y0 = Math.max(0, rect.y);
  const y1 = Math.min(height, rect.y + rect.h);
  const x0 = Math.max(0, rect.x);
  const x1 = Math.min(width, rect.x + rect.w);
  const p = pred.data;
  const pw = pred.width;
  for (let y = y0; y < y1; y++) {
    const v = Math.min(Math.max((y + 0.5 - rect.y) * sy - 0.5, 0), pred.height - 1);
    const v0 = Math.floor(v);
    const v1 = Math.min(v0 + 1, pred.height - 1);
    const fv = v - v0;
    for (let x = x0; x < x1; x++) {
      const u = Math.min(Math.max((x + 0.5 - rect.x) * sx - 0.5, 0), pw - 1);
      const u0 = Math.floor(u);
      const u1 = Math.min(u0 + 1, pw - 1);
      const fu = u - u0;
      const top = p[v0 * pw + u0]! + (p[v0 * pw + u1]! - p[v0 * pw + u0]!) * fu;
      const bottom = p[v1 * pw + u0]! + (p[v1 * pw + u1]! - p[v1 * pw + u0]!) * fu;
      into[y * width + x] = top + (bottom - top) * fv;
    }
  }
}

/** Feather weight along one axis: 1 inside, ramping to 0 over `ramp` pixels at inner edges only. */
function ramp(pos: number, start: number, size: number, extent: number, ramp: number): number {
  let w = 1;
  if (start > 0) w = Math.min(w, (pos + 0.5 - start) / ramp);
  if (start + size < extent) w = Math.min(w, (start + size - pos - 0.5) / ramp);
  if (w <= 0) return 0;
  if (w >= 1) return 1;
  return w * w * (3 - 2 * w); // smoothstep: no kink where the ramp starts
}

/**
 * Tiles predicted, aligned to `estimate` (when given; else to each other, first one as anchor)
 * and blended with feathered weights. Returns the blend over the covered pixels.
 */
async function blendWindows(
  predict: InverseDepthPredictor,
  image: DecodedImage,
  rects: Rect[],
  overlap: number,
  estimate: Float32Array | undefined,
): Promise<Float32Array> {
  const { width, height } = image;
  const n = width * height;
  const sum = new Float64Array(n);
  const weights = new Float64Array(n);
  const projected = new Float32Array(n);
  for (const rect of rects) {
    const pred = await predict(cropRgb(image, rect.x, rect.y, rect.w, rect.h));
    project(pred, rect, width, height, projected);
    // Align onto the estimate (or onto what is blended so far) over the window.
    const source = new Float32Array(rect.w * rect.h);
    const target = new Float32Array(rect.w * rect.h);
    let count = 0;
    for (let y = rect.y; y < rect.y + rect.h; y++) {
      for (let x = rect.x; x < rect.x + rect.w; x++) {
        const i = y * width + x;
        const w = weights[i]!;
        if (!estimate && !(w > 0)) continue;
        source[count] = projected[i]!;
        target[count++] = estimate ? estimate[i]! : sum[i]! / w;
      }
    }
    let scale = 1;
    let shift = 0;
    let trusted = true;
    if (count > 0) {
      ({ scale, shift } = fitScaleShift(source.subarray(0, count), target.subarray(0, count)));
      // A tile whose depth runs against the estimate's has nothing trustworthy to add: it stands
      // in with the estimate itself (same feathered weight), so dropping it leaves no seam.
      trusted = scale > 0;
      if (!trusted && !estimate) continue;
    }
    const rampX = Math.max(1, overlap * rect.w);
    const rampY = Math.max(1, overlap * rect.h);
    for (let y = rect.y; y < rect.y + rect.h; y++) {
      const wy = ramp(y, rect.y, rect.h, height, rampY);
      if (wy === 0) continue;
      for (let x = rect.x; x < rect.x + rect.w; x++) {
        const w = wy * ramp(x, rect.x, rect.w, width, rampX);
        if (w === 0) continue;
        const i = y * width + x;
        const value = trusted ? scale * projected[i]! + shift : estimate![i]!;
        sum[i] = sum[i]! + w * value;
        weights[i] = weights[i]! + w;
      }
    }
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = weights[i]! > 0 ? sum[i]! / weights[i]! : estimate ? estimate[i]! : 0;
  return out;
}

/** The global pass: relative inverse depth for the whole image at its size, fed as `feed` says. */
export async function globalInverseDepth(predict: InverseDepthPredictor, image: DecodedImage, feed: Feed): Promise<FloatPlane> {
  const { width, height } = image;
  const aspect = width / height;
  const square = Math.abs(Math.log(aspect / TRAINING_ASPECT)) < 0.02;
  if (feed === 'squash' || square) {
    return resizeBilinear(await predict(image), width, height);
  }
  if (feed === 'pad') {
    const cw = Math.max(width, Math.round(height * TRAINING_ASPECT));
    const ch = Math.max(height, Math.round(width / TRAINING_ASPECT));
    const left = Math.floor((cw - width) / 2);
    const top = Math.floor((ch - height) / 2);
    const pred = await predict(padRgb(image, left, top, cw, ch));
    const data = new Float32Array(width * height);
    project(pred, { x: -left, y: -top, w: cw, h: ch }, width, height, data);
    return { width, height, data };
  }
  const { w, h } = baseWindow(width, height);
  const rects = layout(width, height, w, h, 0.25);
  return { width, height, data: await blendWindows(predict, image, rects, 0.25, undefined) };
}

/**
 * Relative inverse depth of `image` at its own size: the global pass, then each tile level.
 * `image` is the working copy of the photo at the resolution the fused map should have.
 */
export async function multiScaleInverseDepth(
  predict: InverseDepthPredictor,
  image: DecodedImage,
  options: FuseOptions,
  /** Told after each pass (the whole image, then each zoom level): passes done of the total. */
  onPass?: (done: number, total: number) => void,
): Promise<FloatPlane> {
  const { width, height } = image;
  if (options.flip) predict = withMirror(predict);
  const passes = 1 + options.zooms.length;
  const estimate = await globalInverseDepth(predict, image, options.feed);
  onPass?.(1, passes);
  let data = estimate.data;
  const base = baseWindow(width, height);
  for (const [level, zoom] of options.zooms.entries()) {
    const rects = layout(width, height, base.w / zoom, base.h / zoom, options.overlap);
    const tiles = await blendWindows(predict, image, rects, options.overlap, data);
    if (options.lowpass > 0) {
      // Low frequencies from the coarser estimate, the rest from the tiles.
      const residual = new Float32Array(tiles.length);
      for (let i = 0; i < residual.length; i++) residual[i] = data[i]! - tiles[i]!;
      gaussianish(residual, width, height, options.lowpass);
      for (let i = 0; i < residual.length; i++) tiles[i] = tiles[i]! + residual[i]!;
    }
    data = tiles;
    onPass?.(level + 2, passes);
  }
  return { width, height, data };
}

/**
 * Size of the working grid for a photo: the short side of its largest 4:3 window gets
 * `pixelsPerWindow` (the model's input height times the finest zoom), never more than the photo has.
 */
export function gridSize(width: number, height: number, pixelsPerWindow: number): { width: number; height: number } {
  const { h } = baseWindow(width, height);
  const scale = Math.min(1, pixelsPerWindow / h);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
