// Runs one task on the worker side: processing -> depth engine -> result blob -> finished,
// then schedules its callback. Every failure ends the task as failed with a reason; nothing throws
// out of here, so one bad task never stops the queue. Storage that is briefly away (TransientError
// from a blob store) is tried again, with growing pauses, before the task fails for it.
import type { Logger } from 'pino';
import { noMetrics, type BlobStore, type DepthEngine, type Metrics, type TaskOutcome, type TaskStore } from './ports.js';
import { overdueError } from './housekeeping.js';
import { TransientError, clientFailureMessage, failureReport } from '../contract/errors.js';
import { PROGRESS_STARTED, progressOf, type StageReport } from '../contract/progress.js';
import { isFinished, type Task } from '../contract/task.js';
import { countEnded } from './task-metrics.js';
import { taskKind, type TaskKind } from '../contract/task-kind.js';

export interface TaskRunnerOptions {
  tasks: TaskStore;
  blobs: BlobStore;
  engine: DepthEngine;
  taskTimeoutMs: number;
  log: Logger;
  /** Called after a task ends, e.g. to wake the callback dispatcher. */
  onFinished?: (taskId: string) => void;
  /** Pauses before each further try of a storage call that failed transiently (default about 30 s in all). */
  storageRetryDelaysMs?: readonly number[];
  /** Where stage durations and ended tasks are counted (default: nowhere). */
  metrics?: Metrics;
}

const STORAGE_RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15000];

export class TaskRunner {
  constructor(private readonly options: TaskRunnerOptions) {}

  readonly run = async (taskId: string): Promise<void> => {
    const { tasks, blobs, engine, log } = this.options;
    const task = await tasks.get(taskId);
    if (!task || isFinished(task.state)) return;
    const kind = taskKind(task.params);
    if (Date.now() - task.createdAt > this.options.taskTimeoutMs) {
      await this.finish(task, { state: 'failed', error: overdueError(this.options.taskTimeoutMs) });
      return;
    }
    await tasks.setState(taskId, 'processing');
    const progress = this.progressWriter(taskId, kind);
    const started = Date.now();
    // The task's time runs from its creation: past its end the engine stops at its next stage, not
    // only the task is marked failed (housekeeping does that too), so no late result is written and
    // the thread is soon free for the next task.
    const deadline = task.createdAt + this.options.taskTimeoutMs;
    const late = () => Date.now() > deadline;
    let outcome: TaskOutcome;
    let timings: Record<string, number> | undefined;
    try {
      const [input, userMask] = await this.storage(taskId, 'reading the input', () =>
        Promise.all([blobs.get(task.inputKey), task.maskKey ? blobs.get(task.maskKey) : undefined]),
      );
      const result = await engine.run(input, task.params, { userMask, deadline, report: progress.report });
      if (result.timings) (this.options.metrics ?? noMetrics).stageTimings(result.model, result.timings);
      if (late()) throw new Error('the task ran past its time limit');
      timings = result.timings;
      const resultKey = `results/${taskId}.${result.extension}`;
      await this.storage(taskId, 'writing the result', () => blobs.put(resultKey, result.bytes, result.contentType));
      outcome = { state: 'success', resultKey, depthModel: result.model, ...(result.mesh ? { mesh: result.mesh } : {}) };
    } catch (error) {
      // The client hears what was wrong with its input, and of anything else only that the server
      // failed: paths, model files and raw library messages stay in the log.
      const failure = failureReport(error);
      if (late()) outcome = { state: 'failed', error: overdueError(this.options.taskTimeoutMs) };
      else {
        if (failure.kind === 'internal') log.error({ taskId, err: failure.message }, 'task failed inside the server');
        outcome = { state: 'failed', error: clientFailureMessage(failure) };
      }
    }
    const detail = outcome.state === 'failed' ? { reason: outcome.error } : { model: outcome.depthModel };
    log.info({ taskId, state: outcome.state, ms: Date.now() - started, timings, ...detail }, 'task ended');
    // The last progress write lands before the end is recorded (it would change nothing after).
    await progress.settled();
    await this.finish(task, outcome);
  };

  /**
   * Turns stage reports into progress writes: one per stage (or depth pass) that moves the
   * number, one at a time in order. A write that fails is only logged: progress is a hint.
   */
  private progressWriter(taskId: string, kind: TaskKind) {
    let last = 0;
    let writes = Promise.resolve();
    const write = (value: number) => {
      if (value <= last) return;
      last = value;
      writes = writes.then(() => this.options.tasks.setProgress(taskId, value)).catch((error: unknown) => {
        this.options.log.debug({ taskId, err: error instanceof Error ? error.message : String(error) }, 'progress not recorded');
      });
    };
    write(PROGRESS_STARTED);
    return { report: (stage: StageReport) => write(progressOf(kind, stage)), settled: () => writes };
  }

  /** A storage call, tried again after each pause while it fails transiently. */
  private async storage<T>(taskId: string, what: string, call: () => Promise<T>): Promise<T> {
    const delays = this.options.storageRetryDelaysMs ?? STORAGE_RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const delay = delays[attempt];
        if (!(error instanceof TransientError) || delay === undefined) throw error;
        this.options.log.warn({ taskId, err: error.message, attempt: attempt + 1, retryInMs: delay }, `storage unavailable while ${what}; trying again`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async finish(task: Task, outcome: TaskOutcome): Promise<void> {
    const taskId = task.id;
    // The store records the callback delivery with the outcome; only the run that ended the task
    // does (and counts it, so a duplicate run never counts a task twice).
    try {
      if (await this.options.tasks.finish(taskId, outcome)) {
        countEnded(this.options.metrics, task, outcome.state);
        this.options.onFinished?.(taskId);
      }
    } catch (error) {
      // Never silent: the task stays unfinished in the store and runs again at the next start.
      this.options.log.error({ taskId, err: error instanceof Error ? error.message : String(error) }, 'could not record the end of the task');
    }
  }
}
