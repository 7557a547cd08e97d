// Worker-thread entry of the depth engine (loaded by thread-engine.ts through Piscina): runs the
// pipeline and the encoder for one task. Each thread keeps its own model sessions for its lifetime.
import { workerData } from 'node:worker_threads';
import { encodeDepthMap, type DepthFormat } from '../formats/index.js';
import { sharedSessions, runPipeline, type SessionOptions } from '../pipeline/index.js';
import type { DepthResult } from '../tasks/ports.js';
import type { TaskParams } from '../tasks/task.js';

export interface EngineJob {
  input: Uint8Array;
  params: TaskParams;
}

const sessions = sharedSessions((workerData ?? {}) as SessionOptions);

export default async function runJob({ input, params }: EngineJob): Promise<DepthResult> {
  const map = await runPipeline(input, params, sessions);
  // The API refuses relief formats until they exist, so only depth formats reach this point.
  const output = await encodeDepthMap(params.format as DepthFormat, map);
  return { ...output, timings: { ...map.timings } };
}
