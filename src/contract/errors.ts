// The one catalog of error codes (API.md "Envelope"). Code elsewhere throws entries from here;
// the error handler in app.ts is the one place that turns them into the envelope. Each code comes
// with one HTTP status (a client reading either gets the same answer); the short codes are the
// HTTP status itself (401, 403, 404, 408, 410, 416, 429, 431, 503, 507), the long ones name a kind of failure.
// The codes a client acts on by name are the SDK's (@depthmill/client/contract codes.ts).
import { INSUFFICIENT_BALANCE, TASK_FAILED, TASK_NOT_FOUND } from '@depthmill/client/contract';

export interface ErrorEntry {
  code: number;
  status: number;
  message: string;
}

function entry(code: number, status: number, message: string): ErrorEntry {
  return { code, status, message };
}

export const Errors = {
  invalidCredentials: entry(40010000, 401, 'client credentials are invalid'),
  unauthorized: entry(401, 401, 'Unauthorized'),
  /** A download link whose signature does not match, or which has run out (HTTP 403, like S3). */
  linkInvalid: entry(403, 403, 'download link is not valid'),
  /**
   * Hitem3D's code for an unknown task (clients written against it, their mock servers and exit
   * code tables, look for 40040000), with HTTP 404.
   */
  taskNotFound: entry(TASK_NOT_FOUND, 404, 'task not found'),
  routeNotFound: entry(404, 404, 'not found'),
  /** A task, or a download, whose files the retention period deleted: gone, not unknown. */
  taskExpired: entry(410, 410, 'task expired'),
  /** The request (its headers, then its body) did not arrive within the server's time. */
  requestTimeout: entry(408, 408, 'request timeout: the request did not arrive in time'),
  headersTooLarge: entry(431, 431, 'request headers too large'),
  /** A download's Range beyond the file (its size is in Content-Range). */
  rangeNotSatisfiable: entry(416, 416, 'requested range not satisfiable'),
  /** A download's If-Match or If-Unmodified-Since that the file no longer meets. */
  preconditionFailed: entry(412, 412, 'precondition failed'),
  concurrencyLimit: entry(429, 429, 'concurrency limit reached'),
  /**
   * Too few credits for the task (Hitem3D's code). HTTP 402, not 403: clients that renew their
   * token on 403 would loop, and none retries a 402.
   */
  insufficientBalance: entry(INSUFFICIENT_BALANCE, 402, 'insufficient balance'),
  rateLimited: entry(429, 429, 'too many requests'),
  generateFailed: entry(TASK_FAILED, 200, 'generate failed'),
  /** /readyz: something a task needs (database, queue, blob store) does not answer. */
  notReady: entry(503, 503, 'not ready'),
  /** The data directory (or a quota on it) is full: nothing new is accepted until there is room. */
  storageFull: entry(507, 507, 'the server is out of storage space: try again later'),
  systemError: entry(10000000, 500, 'system error'),

  // 4002xxxx: one code per kind of bad parameter (documented in docs/API.md).
  imageMissing: entry(40020001, 400, 'invalid parameter: image or image_url is required'),
  imageConflict: entry(40020002, 400, 'invalid parameter: send either image or image_url, not both'),
  invalidField: entry(40020003, 400, 'invalid parameter'),
  imageType: entry(40020004, 400, 'invalid parameter: image must be a png, jpeg or webp file'),
  // Thrown with the configured size in its message (fetch-image.ts tooLarge).
  imageTooLarge: entry(40020005, 413, 'invalid parameter: image is too large'),
  imageUrlUnreachable: entry(40020006, 400, 'invalid parameter: image_url could not be fetched'),
  notMultipart: entry(40020008, 400, 'invalid parameter: the body must be multipart/form-data'),
  tooManyFiles: entry(40020009, 400, 'invalid parameter: send one image file only'),
  taskIdMissing: entry(40020010, 400, 'invalid parameter: task_id is required'),
} as const satisfies Record<string, ErrorEntry>;

/** An error the client should see: a catalog entry plus, optionally, a more precise message. */
export class ApiError extends Error {
  readonly entry: ErrorEntry;
  readonly data: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(entry: ErrorEntry, message?: string, options: { data?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
    super(message ?? entry.message);
    this.entry = entry;
    this.data = options.data ?? {};
    this.headers = options.headers ?? {};
  }
}

/**
 * Why a task failed, as the client may hear it. `input`: the client's input is at fault (an image
 * that cannot be decoded, a mask of the wrong shape, a cut that left nothing); the message says
 * what, in plain words, and reaches the client. `internal`: the server's fault (a model, storage,
 * a bug): the log gets the error, the client gets INTERNAL_FAILURE_MESSAGE, never a path or a raw
 * message. The kind is plain text, so it crosses the worker-thread boundary and the queue, where an
 * error's class does not survive.
 */
export type FailureKind = 'input' | 'internal';

export interface TaskFailureReport {
  kind: FailureKind;
  /** For `input`, the client's message; for `internal`, the raw message, for the log only. */
  message: string;
}

export const INTERNAL_FAILURE_MESSAGE = 'the server could not make the result (its log says why); try again, or report the task id';

/** The base of every error that blames the input: the task fails with this message, as it is. */
export class TaskInputError extends Error {
  readonly kind = 'input' as const;
  override name = 'TaskInputError';
}

/** A failure reported across a boundary (worker thread, queue): its kind survives, unlike a class. */
export class TaskFailure extends Error {
  override readonly name = 'TaskFailure';
  constructor(readonly report: TaskFailureReport) {
    super(report.message);
  }
}

/**
 * A failure that may pass without anything changing on the client's side: storage or a network
 * briefly away, a disk full for a moment. Adapters throw it; the task runner tries again.
 */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** No space left where the server keeps its data: transient (space can be freed), and said so. */
export class StorageFull extends TransientError {
  override name = 'StorageFull';
}

/** What kind of failure this error is, and its message. */
export function failureReport(error: unknown): TaskFailureReport {
  if (error instanceof TaskFailure) return error.report;
  if (error instanceof TaskInputError) return { kind: 'input', message: error.message };
  return { kind: 'internal', message: error instanceof Error ? error.message : String(error) };
}

/** What the client is told of a failure. */
export function clientFailureMessage(report: TaskFailureReport): string {
  return report.kind === 'input' ? report.message : INTERNAL_FAILURE_MESSAGE;
}
