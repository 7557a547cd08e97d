// The ports the task code owns (DESIGN.md): small interfaces that the adapters implement.
// All are asynchronous so that networked implementations (PostgreSQL, Redis, S3) fit unchanged.
import type { MeshSummary, Task, TaskParams, TaskState } from '../contract/task.js';
import type { TaskKind } from '../contract/task-kind.js';

export interface TaskStore {
  /**
   * Inserts the task (state `created`) unless its client already has `quota` unfinished tasks;
   * false if it has. The count and the insert are one step: two requests can never both take the
   * last place.
   */
  insertWithinQuota(task: Task, quota: number): Promise<boolean>;
  /** Deletes a task still `created`: a reservation whose inputs never got stored. */
  removeUnacknowledged(id: string): Promise<void>;
  get(id: string): Promise<Task | undefined>;
  /** Moves an unfinished task to queueing or processing; returns false if it was already finished. */
  setState(id: string, state: Extract<TaskState, 'created' | 'queueing' | 'processing'>): Promise<boolean>;
  /**
   * Ends a task once; returns false if it had already ended (so a late duplicate changes nothing).
   * When the task has a callback_url, its delivery is recorded in the same transaction, so a crash
   * can never end a task and forget to tell its client.
   */
  finish(id: string, outcome: TaskOutcome): Promise<boolean>;
  /** Resolves when the database answers (the readiness probe); throws when it does not. */
  ping(): Promise<void>;
  /** Tasks that were acknowledged but have not ended: what a restart must pick up again. */
  listUnfinished(): Promise<Task[]>;
  /** How many tasks are in each state, by kind (a gauge of the metrics, counted when scraped). */
  countByState(): Promise<TaskCount[]>;
  /** Ended tasks last changed before `before` whose files have not been deleted yet. */
  listExpirable(before: number, limit: number): Promise<Task[]>;
  markExpired(id: string, at: number): Promise<void>;
}

/**
 * A success names the depth model that made the map (query-task's `depth_model`) and, for a
 * relief, what its mesh is (query-task's `mesh`).
 */
export type TaskOutcome = { state: 'success'; resultKey: string; depthModel: string; mesh?: MeshSummary } | { state: 'failed'; error: string };

export interface Client {
  id: string;
  name: string;
  /** scrypt hash of the secret, as `scrypt$N$r$p$salt$hash` (base64url parts). */
  secretHash: string;
  /** HMAC key for signing callbacks, derived from the secret (README "Callbacks"). */
  callbackKey: string;
  createdAt: number;
  revokedAt?: number;
}

export interface ClientStore {
  insertClient(client: Client): Promise<void>;
  getClient(id: string): Promise<Client | undefined>;
  listClients(): Promise<Client[]>;
  /** Returns false when no such client exists. */
  revokeClient(id: string, at: number): Promise<boolean>;
  /** A random secret shared by every process on this store (JWT and download-link signing). */
  serverSecret(): Promise<Buffer>;
}

export interface CallbackDelivery {
  id: number;
  taskId: string;
  url: string;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
}

export interface CallbackStore {
  /**
   * Takes up to `limit` deliveries that are due, and moves their next attempt to now + leaseMs in
   * the same step, so another process polling at once does not take them too; if this process
   * dies before recording the attempt, the lease runs out and another one delivers.
   */
  claimDue(now: number, limit: number, leaseMs: number): Promise<CallbackDelivery[]>;
  markDelivered(id: number, at: number): Promise<void>;
  /** Records a failed attempt; nextAttemptAt undefined means give up. */
  markAttempt(id: number, error: string, nextAttemptAt: number | undefined): Promise<void>;
}

export interface BlobStore {
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  get(key: string): Promise<Buffer>;
  /**
   * The blob's file on this machine, for stores that keep files: the download route streams it
   * (with Range and HEAD) instead of reading it whole. Absent for remote stores.
   */
  filePath?(key: string): string;
  /** Resolves when the store can be used (the readiness probe); throws when it cannot. */
  ping(): Promise<void>;
  /** Bytes free where the blobs are kept, for stores on a local disk (create-task checks it). */
  room?(): Promise<number>;
  /** Deletes a blob; deleting one that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** A link anyone may GET for ttlSeconds; baseUrl is where this service is reached. */
  signedUrl(key: string, ttlSeconds: number, baseUrl: string): Promise<string>;
}

export interface JobQueue {
  enqueue(taskId: string): Promise<void>;
  /** Resolves when the queue answers (the readiness probe); throws, or never settles, when it does not. */
  ping(): Promise<void>;
  /** Tasks accepted and not started yet (retries waiting for their turn included): the queue depth of the metrics. */
  waiting(): Promise<number>;
  /** Starts taking jobs; the handler's promise settles when the job is done. */
  start(handler: (taskId: string) => Promise<void>): void;
  /** Stops taking new jobs and waits for running ones. */
  close(): Promise<void>;
}

export interface TaskCount {
  state: TaskState;
  kind: TaskKind;
  count: number;
}

/** How a callback delivery attempt ended: delivered, failed (tried again later), or failed for good. */
export type CallbackOutcome = 'delivered' | 'failed_attempt' | 'gave_up';

/**
 * What the task code records for monitoring (adapters/prometheus-metrics.ts serves it as /metrics).
 * Recording never throws and never waits. `noMetrics` records nothing: the default, so a task
 * component built without metrics (the tests, the command line) needs no change.
 */
export interface Metrics {
  /** A task ended on this process (its run, or housekeeping failing it overdue). */
  taskFinished(kind: TaskKind, state: 'success' | 'failed'): void;
  /** The engine's milliseconds per stage for one task, by the depth model that made it. */
  stageTimings(model: string, timings: Record<string, number>): void;
  callbackAttempt(outcome: CallbackOutcome): void;
  /**
   * Credits taken from a client's balance when a task is accepted, and given back when it fails.
   * Not called yet; for the credits work: creditsSpent once the store has charged an accepted task
   * (TaskService.create, after insertWithinQuota), creditsRefunded wherever a failure gives them
   * back (TaskRunner and Housekeeping when finish ended a task failed, removeUnacknowledged).
   */
  creditsSpent(kind: TaskKind, credits: number): void;
  creditsRefunded(kind: TaskKind, credits: number): void;
}

export const noMetrics: Metrics = {
  taskFinished: () => undefined,
  stageTimings: () => undefined,
  callbackAttempt: () => undefined,
  creditsSpent: () => undefined,
  creditsRefunded: () => undefined,
};

export interface DepthResult {
  bytes: Buffer;
  extension: string;
  contentType: string;
  /** Registry name of the depth model that made it. */
  model: string;
  /** Relief formats: the mesh's size and parts. */
  mesh?: MeshSummary;
  /** Milliseconds per pipeline stage, for the logs. */
  timings?: Record<string, number>;
}

/** Runs the pipeline and the encoder for one task, off the HTTP event loop. */
export interface DepthEngine {
  /**
   * userMask: the bytes of the task's mask file, when the client sent one. `deadline` (epoch ms):
   * past it the work stops at its next stage (decode, models, relief, encode) and rejects.
   */
  run(input: Buffer, params: TaskParams, userMask?: Buffer, deadline?: number): Promise<DepthResult>;
  close(): Promise<void>;
}

/** Outbound HTTP for URLs that clients give (image_url, callback_url): guarded against SSRF. */
export type OutboundFetch = ((
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<Response>) & {
  /**
   * Why this URL would be refused (scheme, literal address, or a name that resolves to a blocked
   * address, through the same resolver the fetch uses), or undefined. A name that does not resolve
   * now is not refused: the fetch resolves it again, and refuses it then if need be.
   */
  refusal(url: string): Promise<string | undefined>;
};
