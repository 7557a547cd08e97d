// One photo and a task's parameters in, the file the user asked for out: the pipeline, then the
// depth-map encoder, or the relief builder and a mesh encoder. Shared by the worker threads
// (adapters/engine-thread.ts) and the command line, so both produce exactly the same bytes.
import { encodeDepthMap, encodeRelief, isMeshFormat } from './formats/index.js';
import { runPipeline, type PipelineSessions } from './pipeline/index.js';
import { buildRelief } from './relief/index.js';
import type { DepthResult } from './tasks/ports.js';
import type { TaskParams } from './tasks/task.js';

export async function renderOutput(input: Uint8Array, params: TaskParams, sessions: PipelineSessions): Promise<DepthResult> {
  const map = await runPipeline(input, params, sessions);
  const { format } = params;
  if (!isMeshFormat(format)) {
    const output = await encodeDepthMap(format, map, map.metadata);
    return { ...output, model: map.metadata.model, timings: { ...map.timings } };
  }
  // Relief formats: the depth map becomes a closed millimetre mesh shaped by the task's fields.
  let mark = performance.now();
  const { mesh } = buildRelief(map, params);
  const relief = performance.now() - mark;
  mark = performance.now();
  const output = await encodeRelief(format, mesh);
  const encode = performance.now() - mark;
  return { ...output, model: map.metadata.model, timings: { ...map.timings, relief, encode } };
}
