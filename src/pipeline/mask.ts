// Stage 2 (rmbg=1 only): background mask. U2-Net-p (the default) takes [1,3,320,320] RGB with
// ImageNet mean/std normalisation and returns a saliency map; like rembg, we min-max normalise it
// to 0..1 so that the cut (degree_rmbg) means the same thing whatever the image's contrast.
import type { DecodedImage } from './decode.js';
import { modelInputTensor, runModel } from './model-input.js';
import type { LoadedModel } from './sessions.js';
import { resizeBilinear, type FloatPlane } from './upsample.js';

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
