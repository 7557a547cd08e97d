// One photo and a task's parameters in, the file the user asked for out: the pipeline, then the
// depth-map encoder, or the relief builder and a mesh encoder. Shared by the worker threads
// (adapters/engine-thread.ts) and the command line, so both produce exactly the same bytes.
import { encodeDepthMap, encodeRelief, isMeshFormat } from './formats/index.js';
import { encodeMaskPng, maskLevels } from './formats/mask-png.js';
import { runPipeline, type PipelineSessions } from './pipeline/index.js';
import { buildRelief } from './relief/index.js';
import type { DepthResult } from './tasks/ports.js';
import type { TaskParams } from './tasks/task.js';

export interface RenderOptions {
  /** The user's mask file (rmbg only): it replaces the mask model's cut. */
  userMask?: Uint8Array;
  /** Also return the mask the pipeline used (the result's alpha) as an 8-bit grey PNG. */
  maskPng?: boolean;
}

export interface RenderedOutput extends DepthResult {
  /** With options.maskPng and rmbg: the mask, at the depth map's size. */
  maskPng?: Buffer;
}

export async function renderOutput(input: Uint8Array, params: TaskParams, sessions: PipelineSessions, options: RenderOptions = {}): Promise<RenderedOutput> {
  const map = await runPipeline(input, options.userMask ? { ...params, userMask: options.userMask } : params, sessions);
  const maskPng = options.maskPng && map.alpha ? { maskPng: await encodeMaskPng(map.width, map.height, maskLevels(map.alpha)) } : {};
  const { format } = params;
  if (!isMeshFormat(format)) {
    const output = await encodeDepthMap(format, map, map.metadata);
    return { ...output, model: map.metadata.model, timings: { ...map.timings }, ...maskPng };
  }
  // Relief formats: the depth map becomes a closed millimetre mesh shaped by the task's fields.
  let mark = performance.now();
  const { mesh } = buildRelief(map, params);
  const relief = performance.now() - mark;
  mark = performance.now();
  const output = await encodeRelief(format, mesh);
  const encode = performance.now() - mark;
  return { ...output, model: map.metadata.model, timings: { ...map.timings, relief, encode }, ...maskPng };
}
