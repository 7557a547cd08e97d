// Worker-thread entry of the depth engine (loaded by thread-engine.ts through Piscina): runs the
// pipeline and the encoder for one task. Each thread keeps its own model sessions for its lifetime.
import { workerData } from 'node:worker_threads';
import { encodeDepthMap, encodeRelief, isMeshFormat } from '../formats/index.js';
import { sharedSessions, runPipeline, type SessionOptions } from '../pipeline/index.js';
import { buildRelief } from '../relief/index.js';
import type { DepthResult } from '../tasks/ports.js';
import type { TaskParams } from '../tasks/task.js';

export interface EngineJob {
  input: Uint8Array;
  params: TaskParams;
}

// A GPU provider that cannot start falls back to the CPU; say so once per model in the logs.
const sessions = sharedSessions({ ...((workerData ?? {}) as SessionOptions), onFallback: (message) => process.emitWarning(message) });

export default async function runJob({ input, params }: EngineJob): Promise<DepthResult> {
  const map = await runPipeline(input, params, sessions);
  const { format } = params;
  if (!isMeshFormat(format)) {
    const output = await encodeDepthMap(format, map);
    return { ...output, timings: { ...map.timings } };
  }
  // Relief formats: the depth map becomes a closed millimetre mesh shaped by the task's fields.
  let mark = performance.now();
  const { mesh } = buildRelief(map, params);
  const relief = performance.now() - mark;
  mark = performance.now();
  const output = await encodeRelief(format, mesh);
  const encode = performance.now() - mark;
  return { ...output, timings: { ...map.timings, relief, encode } };
}
