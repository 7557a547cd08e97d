// The pipeline as one call: image bytes in, DepthMap out. Pure computation: no HTTP, SQL or queues,
// so the worker, the command line and the benchmarks all call this same function.
//
//   decode -> (mask, when rmbg) -> depth -> upsample to 1K/2K -> normalize (near 1, far 0)
import { decodeImage, type DecodedImage } from './decode.js';
import { predictDepth } from './depth.js';
import type { DepthMap } from './depth-map.js';
import { foregroundMask, predictSaliency } from './mask.js';
import { relativeDepth } from './normalize.js';
import type { PipelineSessions } from './sessions.js';
import { outputSize, resizeBilinear, type FloatPlane } from './upsample.js';

export interface PipelineParams {
  /** 'pro': long side 2048; 'base': long side 1024 (aspect ratio kept). */
  modelType: 'base' | 'pro';
  /** Remove the background: background depth 0 and alpha 0, alpha 1 on the object. */
  rmbg: boolean;
  /** Cut on normalised saliency, 0..1: foreground where saliency > degreeRmbg (API default 0.02). */
  degreeRmbg: number;
}

/** Long side of the output per model_type (API.md, Outputs). */
export const OUTPUT_LONG_SIDE = { base: 1024, pro: 2048 } as const;

/** Wall-clock milliseconds per stage, for logs and benchmarks. `mask` is 0 when rmbg is off. */
export interface StageTimings {
  /** Waiting for the model sessions: their creation on a process's first task(s), about 0 after. */
  models: number;
  decode: number;
  mask: number;
  depth: number;
  /** Depth (and image alpha) resized to the output size; the mask's own upsampling counts as mask. */
  upsample: number;
  normalize: number;
  /** Everything, models included. */
  total: number;
}

/** A DepthMap plus how long each stage took; encoders may ignore the extra field. */
export interface PipelineResult extends DepthMap {
  timings: StageTimings;
}

function alphaPlane(image: DecodedImage): FloatPlane | undefined {
  if (!image.alpha) return undefined;
  const data = new Float32Array(image.alpha.length);
  for (let i = 0; i < data.length; i++) data[i] = image.alpha[i]! / 255;
  return { width: image.width, height: image.height, data };
}

export async function runPipeline(
  image: Buffer | Uint8Array,
  params: PipelineParams,
  sessions: PipelineSessions,
): Promise<PipelineResult> {
  const longSide = OUTPUT_LONG_SIDE[params.modelType];
  if (longSide === undefined) throw new RangeError(`unknown modelType ${String(params.modelType)}`);
  if (!(params.degreeRmbg >= 0 && params.degreeRmbg <= 1)) {
    throw new RangeError(`degreeRmbg must be within 0..1, got ${params.degreeRmbg}`);
  }
  const timings: StageTimings = { models: 0, decode: 0, mask: 0, depth: 0, upsample: 0, normalize: 0, total: 0 };
  const start = performance.now();
  let mark = start;
  const lap = (): number => {
    const now = performance.now();
    const elapsed = now - mark;
    mark = now;
    return elapsed;
  };

  // Sessions are awaited first, and timed apart: their creation happens once per process and
  // would otherwise be charged to whichever stage ran first.
  const depthModel = await sessions.depth(params.modelType);
  const maskModel = params.rmbg ? await sessions.mask() : undefined;
  timings.models = lap();

  const decoded = await decodeImage(image);
  timings.decode = lap();
  const { width, height } = outputSize(decoded.width, decoded.height, longSide);

  let mask: Float32Array | undefined;
  if (maskModel) {
    const saliency = await predictSaliency(maskModel, decoded);
    timings.mask = lap();
    // The image's own transparency (a cut-out PNG) marks background too.
    const alpha = alphaPlane(decoded);
    const imageAlpha = alpha && resizeBilinear(alpha, width, height);
    timings.upsample += lap();
    mask = foregroundMask(saliency, width, height, params.degreeRmbg, imageAlpha);
    timings.mask += lap();
  }

  const prediction = await predictDepth(depthModel, decoded);
  timings.depth = lap();

  // Upsample the metric prediction first and normalise at the output size, so the range is taken
  // over exactly the pixels the mask calls foreground there. Bilinear never leaves the source range.
  const metric = resizeBilinear(prediction, width, height).data;
  timings.upsample += lap();

  const depth = relativeDepth(metric, mask);
  timings.normalize = lap();
  timings.total = performance.now() - start;

  // alpha is exactly the foreground mask: 1 on the object, 0 where depth was zeroed.
  return mask ? { width, height, depth, alpha: mask, timings } : { width, height, depth, timings };
}
