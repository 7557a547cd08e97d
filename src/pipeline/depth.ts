// Stage 3: the depth model. FastDepth (the default) takes [1,3,224,224] RGB in 0..1 and predicts
// metric depth in metres at the same size. This stage returns that prediction untouched; making it
// relative (near 1, far 0) is the normalize stage's job, because it depends on the mask.
import type { DecodedImage } from './decode.js';
import { modelInputTensor, runModel, type InputTensor } from './model-input.js';
import type { LoadedModel } from './sessions.js';
import type { FloatPlane } from './upsample.js';

/**
 * The model on a ready-made input tensor (NCHW float32 at the model's input size, already
 * normalised). Split out so the golden test can feed the authors' reference tensor through the
 * exact path a task uses.
 */
export async function runDepthModel(model: LoadedModel, tensor: InputTensor): Promise<FloatPlane> {
  return runModel(model.session, model.entry.input, model.entry.output, tensor);
}

/** Raw depth prediction for an image, at the model's resolution (224x224 metres for FastDepth). */
export async function predictDepth(model: LoadedModel, image: DecodedImage): Promise<FloatPlane> {
  return runDepthModel(model, await modelInputTensor(image, model.entry.input));
}

/**
 * The prediction as relative inverse depth: larger = nearer, in an arbitrary scale and shift, at
 * the model's output resolution. Every depth model's output is brought to this one convention
 * (metric depth is inverted; disparity is kept), so fusion and normalisation need not know which
 * model ran.
 */
export async function predictInverseDepth(model: LoadedModel, image: DecodedImage): Promise<FloatPlane> {
  const prediction = await predictDepth(model, image);
  const kind = model.entry.output.kind;
  if (kind === 'disparity') return prediction;
  if (kind !== 'metric-depth') throw new Error(`model ${model.name} does not predict depth (its output is ${kind})`);
  const data = prediction.data;
  // Metres -> 1/metres; 1 mm keeps a zero or negative prediction finite and "far".
  for (let i = 0; i < data.length; i++) data[i] = 1 / Math.max(data[i]!, 1e-3);
  return prediction;
}
