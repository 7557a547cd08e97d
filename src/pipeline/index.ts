// Public surface of the pipeline for the task runner, the command line and the benchmarks.
export type { DepthMap } from '../raster/depth-map.js';
export { decodeImage, type DecodedImage } from '../raster/decode.js';
export { PipelineInputError } from '../raster/errors.js';
export { DEFAULT_DEGREE_RMBG } from './mask.js';
export {
  defaultModelName,
  modelCacheDir,
  modelEntry,
  modelPath,
  models,
  type ModelEntry,
  type ModelInput,
  type ModelTask,
} from '../models/model-cache.js';
export { runPipeline, OUTPUT_LONG_SIDE, type DepthMetadata, type PipelineParams, type PipelineResult, type StageTimings } from './run.js';
export { ModelSessions, sharedSessions, type LoadedModel, type PipelineSessions, type SessionOptions } from '../models/sessions.js';
