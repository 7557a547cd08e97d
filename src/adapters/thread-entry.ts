// Runs inside each worker thread (loaded by thread-pool.ts through Piscina): renders one task's
// output with render.ts. Each thread keeps its own model sessions for its lifetime. Only what
// structured clone carries crosses back, so a failure is returned as data (its kind and message),
// not thrown: a thrown error would arrive as a plain Error, its class lost.
import { setPriority } from 'node:os';
import { workerData, type MessagePort } from 'node:worker_threads';
import { sharedSessions, type SessionOptions } from '../pipeline/index.js';
import { renderOutput } from '../render.js';
import type { DepthResult } from '../tasks/ports.js';
import { failureReport, type TaskFailureReport } from '../contract/errors.js';
import type { StageReport } from '../contract/progress.js';
import type { TaskParams } from '../contract/task.js';

export interface EngineJob {
  input: Uint8Array;
  params: TaskParams;
  /** The user's mask file, when the task has one. */
  userMask?: Uint8Array;
  /** Epoch ms after which the work stops at its next stage. */
  deadline?: number;
  /** Where the stage reports go (query-task's progress), transferred with the job. */
  progress?: MessagePort;
}

export interface EngineThreadData {
  sessions: SessionOptions;
  nice: number;
  maxMeshTriangles?: number;
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

/** A result, or why there is none: the failure's kind crosses back as text (an error's class would not). */
export type EngineReply = { result: DepthResult } | { failure: TaskFailureReport };

export default async function runJob({ input, params, userMask, deadline, progress }: EngineJob): Promise<EngineReply> {
  try {
    const limits = data.maxMeshTriangles ? { maxMeshTriangles: data.maxMeshTriangles } : {};
    const report = progress ? (stage: StageReport) => progress.postMessage(stage) : undefined;
    return {
      result: await renderOutput(input, params, sessions, {
        ...limits,
        ...(userMask ? { userMask } : {}),
        ...(deadline ? { deadline } : {}),
        ...(report ? { report } : {}),
      }),
    };
  } catch (error) {
    const failure = failureReport(error);
    // An internal failure keeps its stack for the log (the runner logs it; the client never sees it).
    if (failure.kind === 'internal' && error instanceof Error && error.stack) failure.message = error.stack;
    return { failure };
  } finally {
    progress?.close();
  }
}
