// Runs on the main thread: the depth engine (the DepthEngine port) as a pool of worker threads
// (Piscina), so decoding and inference never block the HTTP event loop: create-task and query-task
// stay fast while depth runs. What each thread runs is thread-entry.ts.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { MessageChannel } from 'node:worker_threads';
import type { StageReport } from '../contract/progress.js';
import type { DepthEngine, DepthResult, EngineRunOptions } from '../tasks/ports.js';
import { TaskFailure } from '../contract/errors.js';
import type { TaskParams } from '../contract/task.js';
import type { SessionOptions } from '../pipeline/index.js';
// The module itself, not the pipeline's index: the main thread need not load ONNX Runtime.
import { disableOnnxRuntimeTelemetry } from '../models/ort-telemetry.js';
import type { EngineJob, EngineReply, EngineThreadData } from './thread-entry.js';

export interface ThreadEngineOptions {
  threads: number;
  /**
   * ONNX Runtime threads of each worker thread's sessions; default: every core, up to 4 (FastDepth
   * and U2-Net-p gain little beyond). Each worker thread gets them all, not a share: a task alone
   * then runs its models on every core, and when several run at once the OS shares the cores out.
   * Measured on 2 cores, base+rmbg at 1500x1000: a lone task 967 -> 690 ms against a share of 1
   * thread each, and 101 -> 103 tasks a minute with 16 at once.
   */
  inferenceThreads?: number;
  /** Nice value each worker thread sets on itself before it creates its model sessions. */
  nice: number;
  /** Triangles a relief's mesh may have at most. */
  maxMeshTriangles?: number;
  /** Passed to each thread's model sessions: model folder and which models to run. */
  sessions: Omit<SessionOptions, 'intraOpNumThreads' | 'allowSpinning' | 'onFallback'>;
}

export class ThreadEngine implements DepthEngine {
  private readonly pool: Piscina<EngineJob, EngineReply>;

  constructor({ threads, inferenceThreads, nice, sessions, maxMeshTriangles }: ThreadEngineOptions) {
    const cores = availableParallelism();
    const intraOpNumThreads = inferenceThreads ?? Math.min(cores, 4);
    // More inference threads than cores in all: idle ones must not spin, or they take the cores
    // from the threads that have work.
    const allowSpinning = threads * intraOpNumThreads <= cores;
    // Here, on the main thread and before the threads exist: set inside a worker thread, the
    // switch would never reach ONNX Runtime (its process.env is a copy native code does not read).
    disableOnnxRuntimeTelemetry();
    this.pool = new Piscina({
      filename: new URL('./thread-entry.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      // One task at a time per thread: a task already keeps its inference threads busy.
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData: {
        sessions: { ...sessions, intraOpNumThreads, allowSpinning },
        nice,
        ...(maxMeshTriangles ? { maxMeshTriangles } : {}),
      } satisfies EngineThreadData,
    });
  }

  async run(input: Buffer, params: TaskParams, { userMask, deadline, report }: EngineRunOptions = {}): Promise<DepthResult> {
    // The deadline travels with the job and the thread stops at its next stage once it has passed.
    // Not Piscina's abort: terminating a thread in the middle of ONNX Runtime or libvips work takes
    // the whole process down (SIGABRT from a native exception).
    // Stage reports come back over a port of their own while the job runs.
    const channel = report ? new MessageChannel() : undefined;
    channel?.port1.on('message', (message: StageReport) => report!(message));
    const job: EngineJob = {
      input,
      params,
      ...(userMask ? { userMask } : {}),
      ...(deadline ? { deadline } : {}),
      ...(channel ? { progress: channel.port2 } : {}),
    };
    const reply = await this.pool.run(job, channel ? { transferList: [channel.port2] } : {}).finally(() => channel?.port1.close());
    if ('failure' in reply) throw new TaskFailure(reply.failure);
    const { result } = reply;
    return { ...result, bytes: Buffer.from(result.bytes.buffer, result.bytes.byteOffset, result.bytes.byteLength) };
  }

  async close(): Promise<void> {
    await this.pool.close({ force: true });
  }
}
