// Stage 3: the depth model. FastDepth (the default) takes [1,3,224,224] RGB in 0..1 and predicts
// metric depth in metres at the same size. This stage returns that prediction untouched; making it
// relative (near 1, far 0) is the normalize stage's job, because it depends on the mask.
import { boxMean } from '../raster/box.js';
import type { DecodedImage } from '../raster/decode.js';
import { modelInputTensor, runModel, type InputTensor } from '../models/model-input.js';
import type { LoadedModel } from '../models/sessions.js';
import type { FloatPlane } from '../raster/plane.js';

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
  // A metric model answers 0 m (FastDepth's last ReLU) where it has no idea: 10 % of Middlebury's
  // Venus, a patch of Cones. Inverted, those would be the nearest points by a factor of 1000 and
  // blacken the rest of the map, so they are holes, filled from the valid depth around them.
  // The model ramps up from 0 over a few pixels around such a patch, so its rim is dropped too.
  const holes = dilate(prediction, (metres) => !(metres >= MIN_METRIC_DEPTH), HOLE_RIM * prediction.width);
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    if (holes[i]) {
      data[i] = Number.NaN;
      count++;
    } else data[i] = 1 / data[i]!;
  }
  if (count === data.length) data.fill(1 / MIN_METRIC_DEPTH);
  else if (count > 0) fillHoles(prediction);
  return prediction;
}

/** Metric predictions below this (metres) are holes: FastDepth's NYU training range starts at ~0.5 m. */
const MIN_METRIC_DEPTH = 0.5;
/** Rim dropped around a hole, as a share of the model's width (9 px of FastDepth's 224). */
const HOLE_RIM = 0.04;

/** Pixels within `radius` (Chebyshev) of a pixel where `is` holds: a box mean of them above 0. */
function dilate(plane: FloatPlane, is: (value: number) => boolean, radius: number): Uint8Array {
  const { width, height, data } = plane;
  const hits = new Float32Array(data.length);
  let any = false;
  for (let i = 0; i < data.length; i++) {
    if (is(data[i]!)) {
      hits[i] = 1;
      any = true;
    }
  }
  const out = new Uint8Array(data.length);
  if (!any) return out;
  // The smallest true mean is 1 / (2r + 1)^2; running sums leave only rounding dust below that.
  const mean = boxMean(hits, width, height, Math.round(radius));
  for (let i = 0; i < out.length; i++) out[i] = mean[i]! > 1e-4 ? 1 : 0;
  return out;
}

/**
 * NaN pixels filled from the outside in: each pass gives every hole next to a known pixel the mean
 * of its known 4-neighbours, so a hole takes the values of its rim, smoothly (model-sized planes).
 */
function fillHoles(plane: FloatPlane): void {
  const { width, height, data } = plane;
  let pending: number[] = [];
  for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i]!)) pending.push(i);
  while (pending.length > 0) {
    const filled: [number, number][] = [];
    const next: number[] = [];
    for (const i of pending) {
      const x = i % width;
      let sum = 0;
      let count = 0;
      for (const j of [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width]) {
        if (j < 0 || j >= width * height) continue;
        const v = data[j]!;
        if (!Number.isNaN(v)) {
          sum += v;
          count++;
        }
      }
      if (count > 0) filled.push([i, sum / count]);
      else next.push(i);
    }
    // Written after the pass, so a pass grows every hole's rim by one pixel, the same on all sides.
    for (const [i, v] of filled) data[i] = v;
    pending = next;
  }
}
