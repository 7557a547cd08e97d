// Stage 2 (rmbg=1 only): background mask. U2-Net-p (the default) takes [1,3,320,320] RGB with
// ImageNet mean/std normalisation and returns a saliency map; like rembg, we min-max normalise it
// to 0..1 so that the cut (degree_rmbg) means the same thing whatever the image's contrast.
import type { DecodedImage } from '../raster/decode.js';
import { modelInputTensor, runModel } from '../models/model-input.js';
import type { LoadedModel } from '../models/sessions.js';
import { cropRgb } from '../raster/image-ops.js';
import { resizeBilinear } from '../raster/resize.js';
import type { FloatPlane } from '../raster/plane.js';

/** Default cut on normalised saliency (the API's degree_rmbg default). */
export const DEFAULT_DEGREE_RMBG = 0.02;

/** Saliency 0..1 at the model's resolution (320x320 for U2-Net-p), min-max normalised. */
export async function predictSaliency(model: LoadedModel, image: DecodedImage): Promise<FloatPlane> {
  const { input, output } = model.entry;
  const { data: raw, width, height } = await runModel(model.session, input, output, await modelInputTensor(image, input));
  let min = Infinity;
  let max = -Infinity;
  for (const v of raw) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  const data = new Float32Array(raw.length);
  // A flat map (range 0) carries no information; call it all background rather than divide by 0.
  if (range > 0) for (let i = 0; i < raw.length; i++) data[i] = (raw[i]! - min) / range;
  return { width, height, data };
}

/**
 * Foreground coverage at the output size: 1 where the upsampled saliency is above the cut, else 0.
 * Thresholding after upsampling (not before) gives smooth object outlines instead of 320-grid steps.
 * `imageAlpha` (the input's own transparency, already at the output size, 0..1) is combined with
 * it: a pixel the image itself makes (mostly) transparent is background whatever the model says.
 */
export function foregroundMask(
  saliency: FloatPlane,
  width: number,
  height: number,
  degreeRmbg: number,
  imageAlpha?: FloatPlane,
): Float32Array {
  const up = resizeBilinear(saliency, width, height).data;
  const alpha = imageAlpha?.data;
  const mask = new Float32Array(width * height);
  for (let i = 0; i < mask.length; i++) {
    const keep = up[i]! > degreeRmbg && (alpha === undefined || alpha[i]! >= 0.5);
    mask[i] = keep ? 1 : 0;
  }
  return mask;
}

/**
 * Saliency at two scales, at width x height: the whole frame, then, when the subject's box (with
 * a margin) covers less than `cropBelow` of the frame, that box seen again at the model's full
 * resolution. A small subject gets 320 px of the model's attention instead of a few dozen, and
 * parts the first pass half-saw come out; the two are combined by their maximum (a part either
 * pass calls salient is a candidate for the cut, which has the last word).
 */
export async function twoScaleSaliency(
  model: LoadedModel,
  image: DecodedImage,
  width: number,
  height: number,
  cropBelow: number,
): Promise<Float32Array> {
  const whole = resizeBilinear(await predictSaliency(model, image), width, height).data;
  const box = salientBox(whole, width, height);
  if (!box || cropBelow <= 0) return whole;
  const margin = 0.15;
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  const x0 = Math.max(0, Math.floor(box.x0 - margin * bw));
  const y0 = Math.max(0, Math.floor(box.y0 - margin * bh));
  const x1 = Math.min(width, Math.ceil(box.x1 + margin * bw));
  const y1 = Math.min(height, Math.ceil(box.y1 + margin * bh));
  if ((x1 - x0) * (y1 - y0) >= cropBelow * width * height) return whole;
  // The same box in the decoded image's pixels.
  const sx = image.width / width;
  const sy = image.height / height;
  const ix0 = Math.floor(x0 * sx);
  const iy0 = Math.floor(y0 * sy);
  const crop = cropRgb(
    image,
    ix0,
    iy0,
    Math.max(1, Math.min(image.width, Math.ceil(x1 * sx)) - ix0),
    Math.max(1, Math.min(image.height, Math.ceil(y1 * sy)) - iy0),
  );
  const near = resizeBilinear(await predictSaliency(model, crop), x1 - x0, y1 - y0).data;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * width + x;
      whole[i] = Math.max(whole[i]!, near[(y - y0) * (x1 - x0) + (x - x0)]!);
    }
  }
  return whole;
}

/** The bounding box of the pixels with saliency >= 0.5 (x1, y1 exclusive), or undefined when none. */
export function salientBox(
  saliency: Float32Array,
  width: number,
  height: number,
): { x0: number; y0: number; x1: number; y1: number } | undefined {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (saliency[y * width + x]! < 0.5) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return x1 < 0 ? undefined : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}
