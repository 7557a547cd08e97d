// Decoded image -> a model's input tensor, and a model's output -> a plane. Both the depth and the
// mask stage feed their model through here, so every registry entry's I/O convention (its adapter:
// input name, size rule, normalisation, output name) is applied in one place.
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { DecodedImage } from '../raster/decode.js';
import type { ModelInput, ModelOutput } from './model-cache.js';
import { hwcToNchw } from './tensor.js';
import type { FloatPlane } from '../raster/plane.js';

export interface InputTensor {
  data: Float32Array;
  width: number;
  height: number;
}

function roundTo(value: number, multiple: number): number {
  return Math.max(multiple, Math.round(value / multiple) * multiple);
}

/**
 * The size the model is fed at. 'fixed' models get their input size (the image squashed: every
 * input pixel keeps a place in the result, which a centre crop would not give; the output is
 * stretched back to the image's proportions afterwards). 'keep-aspect' models get the image with its
 * proportions, short side = input.height, both sides rounded to input.multipleOf, unless the long
 * side would then pass input.maxLongSide: the image is then fed smaller as a whole, long side at the
 * bound (the model's memory and time grow with the square of its input's patches, and a panorama
 * at full height would be tens of thousands of them). The short side stays at least one multiple.
 */
export function modelInputSize(imageWidth: number, imageHeight: number, input: ModelInput): { width: number; height: number } {
  if (input.sizing !== 'keep-aspect') return { width: input.width, height: input.height };
  const multiple = input.multipleOf ?? 1;
  const bound = Math.max(multiple, Math.floor((input.maxLongSide ?? 2 * input.height) / multiple) * multiple);
  const scale = Math.min(input.height / Math.min(imageWidth, imageHeight), bound / Math.max(imageWidth, imageHeight));
  // Rounding to the multiple must not carry a side past the bound.
  return { width: Math.min(bound, roundTo(imageWidth * scale, multiple)), height: Math.min(bound, roundTo(imageHeight * scale, multiple)) };
}

/** The image resized for the model and normalised as its registry entry says, float32 NCHW. */
export async function modelInputTensor(image: DecodedImage, input: ModelInput): Promise<InputTensor> {
  const { width, height } = modelInputSize(image.width, image.height, input);
  // Lanczos (sharp's default) filters while shrinking; rembg uses Lanczos for U2-Net too.
  const resized = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw({ depth: 'uchar' })
    .toBuffer();
  return { data: hwcToNchw(resized, width, height, input, 1 / 255), width, height };
}

/**
 * Runs a single-input model and returns the output the registry names (else the first), checked to
 * be one plane: [H,W], [1,H,W] or [1,1,H,W]. Its size may differ from the input's.
 */
export async function runModel(
  session: ort.InferenceSession,
  input: ModelInput,
  output: ModelOutput,
  tensor: InputTensor,
): Promise<FloatPlane> {
  const feed = { [input.name]: new ort.Tensor('float32', tensor.data, [1, 3, tensor.height, tensor.width]) };
  const outputName = output.name ?? session.outputNames[0];
  if (outputName === undefined || !session.outputNames.includes(outputName)) {
    throw new Error(`the model has no output ${outputName ?? ''} (it has ${session.outputNames.join(', ')})`);
  }
  const results = await session.run(feed, [outputName]);
  const result = results[outputName];
  const dims = result?.dims ?? [];
  const [height, width] = dims.slice(-2) as [number, number];
  const plane = dims.length >= 2 && dims.slice(0, -2).every((d) => d === 1);
  if (!result || result.type !== 'float32' || !plane) {
    throw new Error(`unexpected model output ${outputName}: ${result?.type} [${dims.join(',')}]`);
  }
  return { width, height, data: result.data as Float32Array };
}
