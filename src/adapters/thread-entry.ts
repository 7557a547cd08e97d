// Runs inside each worker thread (loaded by thread-pool.ts through Piscina): renders one task's
// output with render.ts. Each thread keeps its own model sessions for its lifetime. Only what
// structured clone carries crosses back: the result's fields, or a plain Error (message kept, class lost).
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import { sharedSessions, type SessionOptions } from '../pipeline/index.js';
import { renderOutput } from '../render.js';
import type { DepthResult } from '../tasks/ports.js';
import type { TaskParams } from '../contract/task.js';

export interface EngineJob {
  input: Uint8Array;
  params: TaskParams;
  /** The user's mask file, when the task has one. */
  userMask?: Uint8Array;
}

export interface EngineThreadData {
  sessions: SessionOptions;
  nice: number;
}

const data = workerData as EngineThreadData;
// On Linux a nice value belongs to a thread, and threads inherit it from the thread that starts
// them: set here, before any model session exists, it covers this thread and ONNX Runtime's
// inference threads, leaving the HTTP event loop ahead of them. Raising it needs no privilege;
// where it fails all the same, the work just runs at normal priority.
try {
  setPriority(0, data.nice);
} catch (error) {
  process.emitWarning(`worker thread priority unchanged: ${error instanceof Error ? error.message : String(error)}`);
}

// A GPU provider that cannot start falls back to the CPU; say so once per model in the logs.
const sessions = sharedSessions({ ...data.sessions, onFallback: (message) => process.emitWarning(message) });

export default function runJob({ input, params, userMask }: EngineJob): Promise<DepthResult> {
  return renderOutput(input, params, sessions, userMask ? { userMask } : {});
}
