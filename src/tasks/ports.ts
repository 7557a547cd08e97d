// The ports the task code owns (docs/ARCHITECTURE.md "The flow of a task"): small interfaces that the adapters implement.
// All are asynchronous so that networked implementations (PostgreSQL, Redis, S3) fit unchanged.
import type { StageReporter } from '../contract/progress.js';
import type { MeshSummary, Task, TaskParams, TaskState } from '../contract/task.js';
import type { TaskKind } from '../contract/task-kind.js';

export interface TaskStore {
  /**
   * Inserts the task (state `created`) unless its client already has `quota` unfinished tasks, or
   * a metered balance below the task's `credits` (its cost). The count, the charge and the insert
   * are one step: two requests can never both take the last place or spend the same credits.
   * The task is recorded with the credits actually taken (0 when the balance is unlimited).
   * With `room`, the task also keeps `room.reserve` bytes for its result until it ends, and is
   * refused (`storage`) when the room kept by every unfinished task and this one's would be more
   * than `room.free`: in the same step, so two requests never both take the last room.
   */
  insertWithinQuota(task: Task, quota: number, room?: RoomCheck): Promise<Admission>;
  /** Deletes a task still `created` (a reservation whose inputs never got stored), giving its credits back. */
  removeUnacknowledged(id: string): Promise<void>;
  get(id: string): Promise<Task | undefined>;
  /**
   * Raises a processing task's progress (0..99) to `progress`; a lower value, or a task no longer
   * processing, changes nothing (progress never goes back, and an ended task keeps its own).
   */
  setProgress(id: string, progress: number): Promise<void>;
  /**
   * Moves an unfinished task to queueing or processing; returns false if it was already finished.
   * It sets the task's updatedAt, which is also the lease of a running task: its runner repeats
   * setState(id, 'processing') while it works on it (tasks/reconciler.ts reads that).
   */
  setState(id: string, state: Extract<TaskState, 'created' | 'queueing' | 'processing'>): Promise<boolean>;
  /**
   * Ends a task once; returns false if it had already ended (so a late duplicate changes nothing).
   * When the task has a callback_url, its delivery is recorded in the same transaction, so a crash
   * can never end a task and forget to tell its client; a failure gives the task's credits back in
   * that transaction too (refunded exactly once, never lost).
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

/** What insertWithinQuota decided: the credits it took, or why not (`balance`: the client's, when too low). */
export type Admission =
  | { accepted: true; credits: number }
  | { accepted: false; reason: 'quota' }
  | { accepted: false; reason: 'storage' }
  | { accepted: false; reason: 'balance'; balance: number };

/** Disk a new task's result needs (`reserve`), and what the disk has for results (`free`), in bytes. */
export interface RoomCheck {
  free: number;
  reserve: number;
}

/**
 * A success names the depth model that made the map (query-task's `depth_model`) and, for a
 * relief, what its mesh is (query-task's `mesh`).
 */
export type TaskOutcome =
  { state: 'success'; resultKey: string; depthModel: string; mesh?: MeshSummary } | { state: 'failed'; error: string };

export interface Client {
  id: string;
  name: string;
  /** scrypt hash of the secret, as `scrypt$N$r$p$salt$hash` (base64url parts). */
  secretHash: string;
  /** HMAC key for signing callbacks, derived from the secret (docs/API.md "Callback"). */
  callbackKey: string;
  createdAt: number;
  revokedAt?: number;
  /** Credits left; undefined: unlimited (the default, for operators who do not use credits). */
  balance?: number;
}

/** What addCredits did: the new balance, or why nothing changed. */
export type CreditChange = { balance: number } | 'unknown client' | 'below zero';

export interface ClientStore {
  insertClient(client: Client): Promise<void>;
  getClient(id: string): Promise<Client | undefined>;
  listClients(): Promise<Client[]>;
  /** Returns false when no such client exists. */
  revokeClient(id: string, at: number): Promise<boolean>;
  /**
   * Adds `amount` credits (negative takes some back, never below 0). An unlimited client becomes
   * metered, starting from 0 + amount.
   */
  addCredits(id: string, amount: number): Promise<CreditChange>;
  /** Makes the client's balance unlimited again; false when no such client exists. */
  makeUnlimited(id: string): Promise<boolean>;
  /** A random secret shared by every process on this store (JWT and download-link signing). */
  serverSecret(): Promise<Buffer>;
}

export interface CallbackDelivery {
  id: number;
  taskId: string;
  /** The task's client ('' when the task is gone): whose places in the dispatcher it takes. */
  clientId: string;
  url: string;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
}

/** How many deliveries a claim may take: in all, and per client counting those it still has in flight. */
export interface CallbackSlots {
  limit: number;
  perClient: number;
  /** Deliveries this process has in flight, by client id. */
  busy: ReadonlyMap<string, number>;
}

export interface CallbackStore {
  /**
   * Takes up to `slots.limit` deliveries that are due, and moves their next attempt to now +
   * leaseMs in the same step, so another process polling at once does not take them too; if this
   * process dies before recording the attempt, the lease runs out and another one delivers.
   * Clients take turns: each client's oldest due delivery comes before any client's second, and
   * no client gets more than `perClient` minus its busy count, so a client with many due
   * deliveries (a dead endpoint) never crowds out the others.
   */
  claimDue(now: number, leaseMs: number, slots: CallbackSlots): Promise<CallbackDelivery[]>;
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
  /**
   * Queues the task again unless the queue holds a job for it that will still run (waiting, delayed
   * for a retry, running); a job the queue gave up on is started over. Returns whether it queued it.
   * The reconciler's call, for a task the store holds as unfinished.
   */
  requeue(taskId: string): Promise<boolean>;
  /**
   * A reconciliation pass starts; call what it returns once the pass has requeued every unfinished
   * task. A queue that can lose its jobs (Redis restarted without persistence) is not ready (ping
   * rejects with QueueNotReconciled) until a pass that started after the loss has finished.
   */
  beginReconcile(): Promise<() => Promise<void>>;
  /**
   * Resolves when the queue answers and holds the work the store knows of (the readiness probe);
   * throws, or never settles, when it does not answer; rejects with QueueNotReconciled when it
   * answers but no reconciliation has finished since it last lost its jobs.
   */
  ping(): Promise<void>;
  /** Tasks accepted and not started yet (retries waiting for their turn included): the queue depth of the metrics. */
  waiting(): Promise<number>;
  /** Starts taking jobs; the handler's promise settles when the job is done. */
  start(handler: (taskId: string) => Promise<void>): void;
  /** Stops taking new jobs and waits for running ones. */
  close(): Promise<void>;
}

/** The queue answers but may lack accepted work: no worker has requeued the store's since it lost its jobs. */
export class QueueNotReconciled extends Error {
  constructor() {
    super('the queue lost its jobs and no worker has queued the unfinished tasks again yet');
    this.name = 'QueueNotReconciled';
  }
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
   * Credits taken from a client's balance when a task is accepted (TaskService.create), and given
   * back when it fails or is removed unacknowledged (tasks/task-metrics.ts countRefund).
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

export interface EngineRunOptions {
  /** The bytes of the task's mask file, when the client sent one. */
  userMask?: Buffer | undefined;
  /** Epoch ms: past it the work stops at its next stage (decode, models, relief, encode) and rejects. */
  deadline?: number;
  /** Told as each stage of the work starts (query-task's progress). */
  report?: StageReporter;
}

/** Runs the pipeline and the encoder for one task, off the HTTP event loop. */
export interface DepthEngine {
  run(input: Buffer, params: TaskParams, options?: EngineRunOptions): Promise<DepthResult>;
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
