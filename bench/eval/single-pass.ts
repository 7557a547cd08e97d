// The first version's pipeline, kept as the baseline the evaluation compares against (variants
// `single` and `single+rmbg`): the whole image squashed into the depth model once, the saliency cut
// bilinear at the output size, bilinear upsampling, no guide, no object shaping, no scene priors.
// It lives here, not in src/: the service never runs it.
import { decodeImage } from '../../src/raster/decode.js';
import { predictInverseDepth } from '../../src/pipeline/depth.js';
import { foregroundMask, predictSaliency } from '../../src/pipeline/mask.js';
import { CONVENTION } from '../../src/contract/depth-metadata.js';
import { normalizeInverseDepth } from '../../src/pipeline/normalize.js';
import { imageAlphaAt, OUTPUT_LONG_SIDE, rawUnit, stageClock, type PipelineParams, type PipelineResult } from '../../src/pipeline/run.js';
import type { PipelineSessions } from '../../src/models/sessions.js';
import { outputSize, resizeBilinear } from '../../src/raster/resize.js';

export async function runSinglePass(
  image: Buffer | Uint8Array,
  params: PipelineParams,
  sessions: PipelineSessions,
): Promise<PipelineResult> {
  const { timings, lap, start } = stageClock();
  const depthModel = await sessions.depth(params.modelType);
  const maskModel = params.rmbg ? await sessions.mask() : undefined;
  timings.models = lap();
  const longSide = OUTPUT_LONG_SIDE[params.modelType];
  const decoded = await decodeImage(image, sessions.decodeLimits, longSide);
  timings.decode = lap();
  const { width, height } = outputSize(decoded.width, decoded.height, longSide);
  let mask: Float32Array | undefined;
  if (maskModel) {
    const saliency = await predictSaliency(maskModel, decoded);
    timings.mask = lap();
    const imageAlpha = imageAlphaAt(decoded, width, height);
    timings.upsample += lap();
    mask = foregroundMask(saliency, width, height, params.degreeRmbg, imageAlpha);
    timings.mask += lap();
  }
  const prediction = await predictInverseDepth(depthModel, decoded);
  timings.depth += lap();
  const inverse = resizeBilinear(prediction, width, height).data;
  timings.upsample += lap();
  const { depth, rawMin, rawMax } = normalizeInverseDepth(inverse, mask);
  timings.normalize = lap();
  timings.total = performance.now() - start;
  const metadata = { model: depthModel.name, pipeline: 'single', convention: CONVENTION, rawMin, rawMax, rawUnit: rawUnit(depthModel) };
  return mask ? { width, height, depth, alpha: mask, timings, metadata } : { width, height, depth, timings, metadata };
}
