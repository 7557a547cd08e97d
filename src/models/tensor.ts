// Image pixels -> model input tensor data, shared by the depth and mask stages so both follow the
// registry's normalisation the same way: value = (pixel * scale - mean[c]) / std[c], NCHW order.
import type { ModelInput } from './model-cache.js';

/**
 * Interleaved RGB (HWC, 3 values per pixel) -> planar float32 (CHW, batch of one).
 * `scale` maps the source values to 0..1: 1/255 for 8-bit pixels, 1 for data already in 0..1
 * (then, with mean 0 and std 1, the values pass unchanged apart from the cast to float32).
 */
export function hwcToNchw(
  src: ArrayLike<number>,
  width: number,
  height: number,
  norm: Pick<ModelInput, 'mean' | 'std'>,
  scale = 1,
): Float32Array {
  const plane = width * height;
  if (src.length !== plane * 3) {
    throw new RangeError(`expected ${plane * 3} values for ${width}x${height} RGB, got ${src.length}`);
  }
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const mean = norm.mean[c]!;
    const std = norm.std[c]!;
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = (src[i * 3 + c]! * scale - mean) / std;
  }
  return out;
}
