// Runs one task on the worker side: processing -> depth engine -> result blob -> finished,
// then schedules its callback. Every failure ends the task as failed with a reason, so one bad task
// never stops the queue. Storage that is briefly away (TransientError from a blob store) is tried
// again, with growing pauses, before the task fails for it. Recording the end is tried again until
// it works (the database restarting): only when it cannot be before the task's time is up, or the
// worker stops, does run() reject, so that the queue does not count the job done and runs it again.
import type { Logger } from 'pino';
import { noMetrics, type BlobStore, type DepthEngine, type Metrics, type TaskOutcome, type TaskStore } from './ports.js';
import { overdueError } from './housekeeping.js';
import { TransientError, clientFailureMessage, failureReport } from '../contract/errors.js';
import { PROGRESS_STARTED, progressOf, type StageReport } from '../contract/progress.js';
import { isFinished, type Task } from '../contract/task.js';
import { TASK_LEASE_MS } from './reconciler.js';
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
/** Pauses between tries to record a task's end; the last repeats until the task's time is up. */
const FINISH_RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000, 15000];

export class TaskRunner {
  private stopping = false;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly options: TaskRunnerOptions) {}

  /** The worker is stopping: waits between tries end now, and a task whose end is not recorded yet is left to the queue. */
  stop(): void {
    this.stopping = true;
    for (const wake of this.sleepers) wake();
  }

  readonly run = async (taskId: string): Promise<void> => {
    const { tasks, log } = this.options;
    const task = await tasks.get(taskId);
    if (!task || isFinished(task.state)) return;
    const kind = taskKind(task.params);
    if (Date.now() - task.createdAt > this.options.taskTimeoutMs) {
      await this.finish(task, { state: 'failed', error: overdueError(this.options.taskTimeoutMs) });
      return;
    }
    await tasks.setState(taskId, 'processing');
    // The lease: while this process works on the task it says so, so a reconciler elsewhere does
    // not queue it again after Redis lost its job. A renewal that fails is only logged.
    const lease = setInterval(() => {
      tasks
        .setState(taskId, 'processing')
        .catch((error: unknown) => log.debug({ taskId, err: error instanceof Error ? error.message : String(error) }, 'lease not renewed'));
    }, TASK_LEASE_MS / 3);
    try {
      await this.work(task, kind);
    } finally {
      clearInterval(lease);
    }
  };

  private async work(task: Task, kind: TaskKind): Promise<void> {
    const { blobs, engine, log } = this.options;
    const taskId = task.id;
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
  }

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
      writes = writes
        .then(() => this.options.tasks.setProgress(taskId, value))
        .catch((error: unknown) => {
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
        this.options.log.warn(
          { taskId, err: error.message, attempt: attempt + 1, retryInMs: delay },
          `storage unavailable while ${what}; trying again`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Records the task's end, trying again while the store fails: the work is done and its result
   * stored, so a database that is away for a moment must not leave the task processing for good.
   * Past the task's time (housekeeping fails it overdue) or when the worker stops, it rejects.
   */
  private async finish(task: Task, outcome: TaskOutcome): Promise<void> {
    const taskId = task.id;
    const deadline = task.createdAt + this.options.taskTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        // The store records the callback delivery with the outcome; only the run that ended the
        // task does (and counts it, so a duplicate run never counts a task twice).
        if (await this.options.tasks.finish(taskId, outcome)) {
          countEnded(this.options.metrics, task, outcome.state);
          this.options.onFinished?.(taskId);
        }
        if (attempt > 0)
          this.options.log.warn({ taskId, attempts: attempt + 1 }, 'the end of the task was recorded after the store came back');
        return;
      } catch (error) {
        const err = error instanceof Error ? error.message : String(error);
        const delay = FINISH_RETRY_DELAYS_MS[Math.min(attempt, FINISH_RETRY_DELAYS_MS.length - 1)]!;
        if (this.stopping || Date.now() + delay > deadline) {
          // The queue runs the job again (another attempt, or another worker after this one stops).
          this.options.log.error({ taskId, err, attempts: attempt + 1 }, 'could not record the end of the task; leaving it to the queue');
          throw error;
        }
        this.options.log.warn(
          { taskId, err, attempt: attempt + 1, retryInMs: delay },
          'could not record the end of the task; trying again',
        );
        await this.pause(delay);
      }
    }
  }

  /** Waits, or less if the worker stops meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
