// Decoded image -> a model's input tensor: resized to the model's fixed input size, normalised
// as its registry entry says. Both the depth and the mask stage feed their model through here.
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { DecodedImage } from './decode.js';
import type { ModelInput } from './model-cache.js';
import { hwcToNchw } from './tensor.js';

/**
 * The image squashed to the model's input size (aspect ratio not kept: the output is stretched
 * back to the image's proportions afterwards, so every input pixel keeps a place in the result,
 * which a centre crop would not give), as float32 NCHW ready for the model.
 */
export async function modelInputTensor(image: DecodedImage, input: ModelInput): Promise<Float32Array> {
  // Lanczos (sharp's default) filters while shrinking; rembg uses Lanczos for U2-Net too.
  const resized = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(input.width, input.height, { fit: 'fill' })
    .raw({ depth: 'uchar' })
    .toBuffer();
  return hwcToNchw(resized, input.width, input.height, input, 1 / 255);
}

/** Runs a single-input model and returns its first output's data, checked to be one HxW plane. */
export async function runFirstOutput(
  session: ort.InferenceSession,
  input: ModelInput,
  nchw: Float32Array,
): Promise<Float32Array> {
  const feed = { [input.name]: new ort.Tensor('float32', nchw, [1, 3, input.height, input.width]) };
  const outputName = session.outputNames[0];
  if (outputName === undefined) throw new Error('the model has no outputs');
  const results = await session.run(feed, [outputName]);
  const output = results[outputName];
  const plane = input.width * input.height;
  if (!output || output.type !== 'float32' || output.size !== plane) {
    throw new Error(`unexpected model output ${outputName}: ${output?.type} [${output?.dims.join(',')}]`);
  }
  return output.data as Float32Array;
}
