// Rows of the tasks, clients and callbacks tables -> domain objects, for every SQL store, and a new
// task -> the values of its row.
// Timestamps are epoch milliseconds; PostgreSQL hands BIGINTs back as strings, hence Number().
import type { CallbackDelivery, Client } from '../tasks/ports.js';
import type { Task, TaskState } from '../contract/task.js';

export interface TaskRow {
  id: string;
  client_id: string;
  state: TaskState;
  params: string;
  input_key: string;
  mask_key: string | null;
  result_key: string | null;
  depth_model: string | null;
  /** A relief's MeshSummary as JSON. */
  mesh: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  expired_at: number | null;
  credits: number;
  progress: number;
}

export interface ClientRow {
  id: string;
  name: string;
  secret_hash: string;
  callback_key: string;
  created_at: number;
  revoked_at: number | null;
  /** NULL: unlimited. */
  balance: number | null;
}

export interface CallbackRow {
  id: number;
  task_id: string;
  client_id: string;
  url: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
}

export function toDelivery(row: CallbackRow): CallbackDelivery {
  return {
    id: Number(row.id),
    taskId: row.task_id,
    clientId: row.client_id,
    url: row.url,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    createdAt: Number(row.created_at),
  };
}

export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    clientId: row.client_id,
    state: row.state,
    params: JSON.parse(row.params) as Task['params'],
    inputKey: row.input_key,
    ...(row.mask_key === null || row.mask_key === undefined ? {} : { maskKey: row.mask_key }),
    ...(row.result_key === null ? {} : { resultKey: row.result_key }),
    ...(row.depth_model === null || row.depth_model === undefined ? {} : { depthModel: row.depth_model }),
    ...(row.mesh === null || row.mesh === undefined ? {} : { mesh: JSON.parse(row.mesh) as Task['mesh'] }),
    ...(row.error === null ? {} : { error: row.error }),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    ...(row.expired_at === null || row.expired_at === undefined ? {} : { expiredAt: Number(row.expired_at) }),
    ...(Number(row.credits) > 0 ? { credits: Number(row.credits) } : {}),
    ...(Number(row.progress) > 0 ? { progress: Number(row.progress) } : {}),
  };
}

export function toClient(row: ClientRow): Client {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    callbackKey: row.callback_key,
    createdAt: Number(row.created_at),
    ...(row.revoked_at === null ? {} : { revokedAt: Number(row.revoked_at) }),
    ...(row.balance === null || row.balance === undefined ? {} : { balance: Number(row.balance) }),
  };
}

/** The columns a new task's row is inserted with, in the order of taskInsertValues. */
export const TASK_INSERT_COLUMNS =
  'id, client_id, state, params, input_key, mask_key, result_key, error, created_at, updated_at, credits, result_reserve';

/** A new task's row values: the credits it took and the room it keeps for its result are the admission's. */
export function taskInsertValues(task: Task, credits: number, resultReserve: number): unknown[] {
  return [
    task.id,
    task.clientId,
    task.state,
    JSON.stringify(task.params),
    task.inputKey,
    task.maskKey ?? null,
    task.resultKey ?? null,
    task.error ?? null,
    task.createdAt,
    task.updatedAt,
    credits,
    resultReserve,
  ];
}
