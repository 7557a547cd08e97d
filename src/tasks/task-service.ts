// The task lifecycle as the API sees it: accept a task, answer about it. Storage, queue and
// blobs come in through ports, so the same code serves the embedded and distributed modes.
import { ApiError, Errors, StorageFull } from '../contract/errors.js';
import { noMetrics, type BlobStore, type JobQueue, type Metrics, type TaskStore } from './ports.js';
import { countEnded, countRefund } from './task-metrics.js';
import { isFinished, type Task, type TaskParams } from '../contract/task.js';
import { taskKind } from '../contract/task-kind.js';
import { overdueError } from './housekeeping.js';
import { newTaskId } from './task-id.js';
import { expectedResultBytes } from './result-size.js';

/** What a task is made from: the photo, and optionally the user's mask (a second blob). */
export interface TaskInputs {
  image: Buffer;
  imageType: string;
  mask?: Buffer;
  maskType?: string;
}

export interface TaskServiceOptions {
  tasks: TaskStore;
  blobs: BlobStore;
  queue: JobQueue;
  /** Unfinished tasks one client may have at once (Hitem3D's default is 10). */
  concurrentTaskQuota: number;
  taskTimeoutMs: number;
  /** How long inputs and results are kept, for the message about an expired task. */
  retentionHours: number;
  /** Credits a task of each kind costs a client with a metered balance (a lithophane is a relief). */
  creditCosts: { depth_map: number; relief: number };
  metrics?: Metrics | undefined;
}

/** Room that must stay free beside a new task's inputs and the results' room: for the database and estimates that fall short. */
const MIN_ROOM_BYTES = 16 * 1024 * 1024;

function refuseWhenFull(error: unknown): never {
  if (error instanceof StorageFull) throw new ApiError(Errors.storageFull);
  throw error;
}

export class TaskService {
  private readonly metrics: Metrics;

  constructor(private readonly options: TaskServiceOptions) {
    this.metrics = options.metrics ?? noMetrics;
  }

  async create(clientId: string, params: TaskParams, inputs: TaskInputs): Promise<Task> {
    const { tasks, blobs, queue, concurrentTaskQuota } = this.options;
    // A full disk refuses new work at once (507) instead of failing it halfway: beside the inputs
    // and a margin, every accepted and unfinished task keeps room for its result (checked and
    // taken by the store in the admission step), so work already accepted can always be written.
    const size = inputs.image.length + (inputs.mask?.length ?? 0);
    const room = blobs.room ? { free: (await blobs.room()) - size - MIN_ROOM_BYTES, reserve: expectedResultBytes(params) } : undefined;
    if (room && room.free < 0) throw new ApiError(Errors.storageFull);
    const now = Date.now();
    const id = newTaskId(new Date(now));
    const kind = taskKind(params);
    const cost = this.options.creditCosts[kind === 'depth_map' ? 'depth_map' : 'relief'];
    const task: Task = { id, clientId, state: 'created', params, inputKey: `inputs/${id}`, createdAt: now, updatedAt: now, credits: cost };
    if (inputs.mask) task.maskKey = `inputs/${id}.mask`;
    // The record first, `created`: it takes a place in the quota in the same step as the check,
    // before any input is stored (refused requests store nothing). Then the inputs; a `created`
    // task is not acknowledged yet, and one left so by a crash is removed by housekeeping.
    // The credits are taken in the same step; a task that fails gives them back (TaskStore.finish).
    const admission = await tasks.insertWithinQuota(task, concurrentTaskQuota, room).catch(refuseWhenFull);
    if (!admission.accepted && admission.reason === 'storage') throw new ApiError(Errors.storageFull);
    if (!admission.accepted && admission.reason === 'quota') {
      throw new ApiError(Errors.concurrencyLimit, `concurrency limit reached: at most ${concurrentTaskQuota} unfinished tasks per client`, {
        headers: { 'retry-after': '5' },
      });
    }
    if (!admission.accepted) {
      throw new ApiError(
        Errors.insufficientBalance,
        `insufficient balance: this task costs ${cost} credits and ${admission.balance} are left (the operator adds some with \`depthmill clients credit ${clientId} <n>\`)`,
        {
          data: { totalBalance: admission.balance, cost },
        },
      );
    }
    if (admission.credits > 0) this.metrics.creditsSpent(kind, admission.credits);
    try {
      if (task.maskKey) await blobs.put(task.maskKey, inputs.mask!, inputs.maskType ?? 'application/octet-stream');
      await blobs.put(task.inputKey, inputs.image, inputs.imageType);
    } catch (error) {
      await tasks.removeUnacknowledged(id).then(
        () => countRefund(this.metrics, { params, credits: admission.credits }),
        () => undefined,
      );
      await Promise.all([blobs.delete(task.inputKey), task.maskKey ? blobs.delete(task.maskKey) : undefined]).catch(() => undefined);
      refuseWhenFull(error);
    }
    // The record says queueing before the queue can start it, so states only move forward.
    await tasks.setState(id, 'queueing');
    await queue.enqueue(id);
    return { ...task, state: 'queueing', credits: admission.credits };
  }

  /** The task if it belongs to this client; a task of another client is as unknown as a missing one. */
  async get(clientId: string, id: string): Promise<Task> {
    const { tasks, taskTimeoutMs } = this.options;
    const task = await tasks.get(id);
    if (!task || task.clientId !== clientId) throw new ApiError(Errors.taskNotFound);
    if (!isFinished(task.state) && Date.now() - task.createdAt > taskTimeoutMs) {
      if (await tasks.finish(id, { state: 'failed', error: overdueError(taskTimeoutMs) })) countEnded(this.metrics, task, 'failed');
      return (await tasks.get(id))!;
    }
    if (task.expiredAt !== undefined) {
      throw new ApiError(
        Errors.taskExpired,
        `task expired: its files were deleted on ${new Date(task.expiredAt).toISOString()} (results are kept ${this.options.retentionHours} hours)`,
        {
          data: { task_id: task.id, state: task.state },
        },
      );
    }
    return task;
  }
}
