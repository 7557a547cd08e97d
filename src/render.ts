// One photo and a task's parameters in, the file the user asked for out: the pipeline, then the
// encoder of the requested format. Shared by the worker threads (adapters/engine-thread.ts) and the
// command line, so both produce exactly the same bytes.
import { encodeDepthMap, type DepthFormat } from './formats/index.js';
import { runPipeline, type PipelineSessions } from './pipeline/index.js';
import type { DepthResult } from './tasks/ports.js';
import type { TaskParams } from './tasks/task.js';

export async function renderOutput(input: Uint8Array, params: TaskParams, sessions: PipelineSessions): Promise<DepthResult> {
  const map = await runPipeline(input, params, sessions);
  // Relief formats (stl, glb, 3mf) are refused by the API until they exist.
  const output = await encodeDepthMap(params.format as DepthFormat, map);
  return { ...output, timings: { ...map.timings } };
}
