// Worker-thread entry of the depth engine (loaded by thread-engine.ts through Piscina): renders one
// task's output. Each thread keeps its own model sessions for its lifetime.
import { workerData } from 'node:worker_threads';
import { sharedSessions, type SessionOptions } from '../pipeline/index.js';
import { renderOutput } from '../render.js';
import type { DepthResult } from '../tasks/ports.js';
import type { TaskParams } from '../tasks/task.js';

export interface EngineJob {
  input: Uint8Array;
  params: TaskParams;
}

// A GPU provider that cannot start falls back to the CPU; say so once per model in the logs.
const sessions = sharedSessions({ ...((workerData ?? {}) as SessionOptions), onFallback: (message) => process.emitWarning(message) });

export default function runJob({ input, params }: EngineJob): Promise<DepthResult> {
  return renderOutput(input, params, sessions);
}
