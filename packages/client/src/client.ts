// The typed client of the depth API (docs/API.md), for Node 20+ and browsers alike: it needs only
// fetch, FormData and Blob. Used by `depthmill generate --server`, the web UI and the tests.
//
//   const client = new DepthmillClient({ baseUrl, clientId, clientSecret });
//   const taskId = await client.createTask({ file: bytes, format: 'stl' });
//   const task = await client.waitForTask(taskId, { onProgress: (t) => console.log(t.state) });
//   const stl = await client.download(task);
import type { Envelope } from './contract/envelope.js';
import type { OutputFormat, SubjectBox, TaskState } from './contract/task.js';
import { taskFields, type TaskFieldValues, type TaskOptions, type TaskSettings } from './contract/task-fields.js';
import { INSUFFICIENT_BALANCE, TASK_FAILED, TASK_NOT_FOUND } from './contract/codes.js';

export type { OutputFormat, SubjectBox, TaskState };
export { taskFields, type TaskFieldValues, type TaskOptions, type TaskSettings };
export { INSUFFICIENT_BALANCE, TASK_FAILED, TASK_NOT_FOUND };

/**
 * The photo, as bytes or a Blob/File (png, jpeg or webp, at most the server's upload limit, 20 MB by default), or a URL the server
 * fetches; or instead of a photo a depth map you already have (`depthMap`: a PNG, 8/16-bit grey,
 * near = bright, or an OpenEXR file), made into a relief without the depth model: formats stl, glb
 * and 3mf only; with the background removed (the default) its alpha, when it has one, is the
 * footprint.
 */
export type ImageSource =
  | { file: Blob | Uint8Array | ArrayBuffer; filename?: string; url?: undefined; depthMap?: undefined }
  | { url: string; file?: undefined; filename?: undefined; depthMap?: undefined }
  | { depthMap: Blob | Uint8Array | ArrayBuffer; depthMapFilename?: string; file?: undefined; url?: undefined };

/**
 * The user's own background mask (only when the background is removed; it replaces the mask
 * model's): an image of the same photo at any resolution, whose alpha (when it has transparency),
 * else its grey level, is the foreground. png, jpeg or webp, within the same upload limit.
 */
export interface MaskSource {
  mask?: Blob | Uint8Array | ArrayBuffer;
  maskFilename?: string;
}

export type CreateTaskInput = TaskOptions & ImageSource & MaskSource;

/** A task as query-task reports it. */
export interface TaskStatus {
  taskId: string;
  state: TaskState;
  /** How far the work is, 0..100 (0 until a worker takes it, 100 on success); servers that do not say leave it out. */
  progress?: number;
  /** `<task_id>_0`, on success. */
  id?: string;
  /** Signed download link, valid one hour, on success. */
  url?: string;
  /** Registry name of the depth model that made the result, on success (e.g. "fastdepth"). */
  depthModel?: string;
  /** Relief formats, on success: triangles, and shells (separate parts: more than 1 when a cut-out left several pieces). */
  mesh?: { triangles: number; shells: number };
  /** Why it failed, on failure. */
  error?: string;
}

/** The depth models a server runs, as GET /open-api/v1/depth/models reports them. */
export interface DepthModels {
  /** Registry names (`npx depthmill models list`) of the model serving each model type (base, pro); undefined from a server that runs none itself (role api). */
  base?: string;
  pro?: string;
  /** One line while FastDepth serves because the much better Depth Anything V2 Small is not installed: the command that installs it. */
  hint?: string;
}

/** A client's credits, as GET /open-api/v1/balance reports them. */
export interface Balance {
  /** Credits left (2^31 - 1 when unlimited). */
  totalBalance: number;
  /** Tasks cost this client nothing (the default until the operator credits it). */
  unlimited: boolean;
  /** What a task of each kind costs (refunded when it fails). */
  costs: { depthMap: number; relief: number };
}

export interface FinishedTask extends TaskStatus {
  state: 'success';
  id: string;
  url: string;
}

export interface ClientOptions {
  /** Where the server is, e.g. http://127.0.0.1:8080. */
  baseUrl: string;
  /** Client credentials (`depthmill clients create <name>`); without them, accessToken alone. */
  clientId?: string;
  clientSecret?: string;
  /**
   * A token kept from an earlier session; replaced transparently when the server refuses it. Alone
   * (no credentials: a sign-in link's, fromSignInLink), the client works until it expires (24 hours).
   */
  accessToken?: string;
  /** Told every new token, to keep it somewhere (it is valid 24 hours). */
  onToken?: (accessToken: string) => void;
  /** How often a call is retried when the server answers 429 (rate limit, too many unfinished tasks); default 5. */
  maxRetries?: number;
  /** Another fetch (a proxy agent, a test double); default the global one. */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface WaitOptions extends RequestOptions {
  /** Called with the task whenever its state or progress changes (first with what it has now). */
  onProgress?: (task: TaskStatus) => void;
  /** Milliseconds between queries; default 500. */
  intervalMs?: number;
  /** Give up (rejecting with a DepthmillError, code 408) after this long; default: wait as long as it takes. */
  timeoutMs?: number;
}

/** An error answer of the API, with its `code` (API.md "Envelope") and HTTP status. */
export class DepthmillError extends Error {
  override readonly name = 'DepthmillError';
  /** The envelope's code: 40020003 bad parameter, 401, 403, 40040000 unknown task, 404, 410, 429, 5001001 task failed, ... */
  readonly code: number;
  /** HTTP status (0 when the server could not be reached). */
  readonly status: number;
  readonly taskId: string | undefined;
  /** On 429: how long the server asked to wait before trying again. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    code: number,
    status: number,
    options: { taskId?: string | undefined; retryAfterMs?: number | undefined } = {},
  ) {
    super(message);
    this.code = code;
    this.status = status;
    this.taskId = options.taskId;
    this.retryAfterMs = options.retryAfterMs;
  }
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Resolves after ms, or rejects as soon as the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Seconds until a JWT expires, or undefined when it cannot be read (then only a 401 replaces it). */
function secondsLeft(token: string): number | undefined {
  try {
    const part = token.split('.')[1];
    if (!part) return undefined;
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp - Date.now() / 1000 : undefined;
  } catch {
    return undefined;
  }
}

function toBlob(file: Blob | Uint8Array | ArrayBuffer): Blob {
  if (file instanceof Blob) return file;
  // A copy into a plain ArrayBuffer: Blob does not take views of shared memory.
  return new Blob([file instanceof ArrayBuffer ? file : new Uint8Array(file)]);
}

export class DepthmillClient {
  readonly baseUrl: string;
  /** The client this speaks for (from a sign-in link: the one the server answered); undefined for a bare token. */
  readonly clientId: string | undefined;
  private readonly clientSecret: string | undefined;
  private readonly onToken: ((accessToken: string) => void) | undefined;
  private readonly maxRetries: number;
  private readonly fetchImpl: typeof fetch;
  private token: Promise<string> | undefined;

  constructor(options: ClientOptions) {
    if (!options.baseUrl) throw new TypeError('baseUrl is required, e.g. http://127.0.0.1:8080');
    if ((!options.clientId || !options.clientSecret) && !options.accessToken) {
      throw new TypeError('clientId and clientSecret are required (create them with `depthmill clients create <name>`), or an accessToken');
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.onToken = options.onToken;
    this.maxRetries = options.maxRetries ?? 5;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    if (options.accessToken) this.token = Promise.resolve(options.accessToken);
  }

  /**
   * Signs in with a sign-in link, as `depthmill serve` prints it on loopback
   * (`http://127.0.0.1:8080/#signin=<secret>`): its one-time secret is exchanged for an access token
   * (POST /open-api/v1/auth/link), and the link is spent. The client holds that token alone: when
   * it expires (24 hours) or is refused, calls reject with a 401 DepthmillError.
   */
  static async fromSignInLink(
    link: string,
    options: Omit<ClientOptions, 'baseUrl' | 'clientId' | 'clientSecret' | 'accessToken'> = {},
  ): Promise<DepthmillClient> {
    const url = new URL(link);
    const secret = new URLSearchParams(url.hash.slice(1)).get('signin');
    if (!secret) throw new TypeError('not a sign-in link: it has no #signin=<secret> (the one `depthmill serve` prints)');
    // A client only to make this one call (it sends no token of its own); the answer makes the real one.
    const caller = new DepthmillClient({ ...options, baseUrl: url.origin, accessToken: 'unused' });
    const body = await caller.call('/open-api/v1/auth/link', { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
    const { accessToken, clientId } = body.data;
    if (typeof accessToken !== 'string')
      throw new DepthmillError('the sign-in link endpoint answered without an accessToken', 10000000, 200);
    options.onToken?.(accessToken);
    return new DepthmillClient({ ...options, baseUrl: url.origin, accessToken, ...(typeof clientId === 'string' ? { clientId } : {}) });
  }

  /** A valid access token: the cached one, or a new one when there is none or it is about to expire. */
  async accessToken(options: RequestOptions = {}): Promise<string> {
    if (this.token) {
      const cached = this.token;
      const token = await cached.catch(() => undefined);
      const left = token === undefined ? 0 : secondsLeft(token);
      if (token !== undefined && (left === undefined || left > 60)) return token;
      if (this.token === cached) this.token = undefined;
    }
    this.token ??= this.requestToken(options.signal);
    return this.token;
  }

  private async requestToken(signal?: AbortSignal): Promise<string> {
    if (this.clientSecret === undefined) {
      throw new DepthmillError(
        'the access token expired or was refused, and this client has no credentials to get another: sign in again',
        401,
        401,
      );
    }
    const basic = btoa(String.fromCharCode(...new TextEncoder().encode(`${this.clientId}:${this.clientSecret}`)));
    const body = await this.call('/open-api/v1/auth/token', {
      method: 'POST',
      headers: { authorization: `Basic ${basic}` },
      ...(signal ? { signal } : {}),
    });
    const token = body.data.accessToken;
    if (typeof token !== 'string') throw new DepthmillError('the token endpoint answered without an accessToken', 10000000, 200);
    this.onToken?.(token);
    return token;
  }

  /** Starts a task; resolves to its task_id. */
  async createTask(input: CreateTaskInput, options: RequestOptions = {}): Promise<string> {
    const fields = taskFields(input);
    const sources = [input.file, input.url, input.depthMap].filter((source) => source !== undefined).length;
    if (sources !== 1) throw new TypeError('createTask needs exactly one of file, url or depthMap');
    const body = () => {
      const form = new FormData();
      if (input.file !== undefined) form.append('image', toBlob(input.file), input.filename ?? 'image');
      else if (input.depthMap !== undefined) form.append('depth_map', toBlob(input.depthMap), input.depthMapFilename ?? 'depth-map');
      else form.append('image_url', input.url!);
      if (input.mask !== undefined) form.append('mask', toBlob(input.mask), input.maskFilename ?? 'mask');
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      return form;
    };
    const answer = await this.authorized('/open-api/v1/depth/create-task', () => ({ method: 'POST', body: body() }), options.signal);
    return String(answer.data.task_id);
  }

  /** The task's state now; a failed task is reported (state 'failed', error), not thrown. */
  async queryTask(taskId: string, options: RequestOptions = {}): Promise<TaskStatus> {
    const path = `/open-api/v1/depth/query-task?task_id=${encodeURIComponent(taskId)}`;
    try {
      const answer = await this.authorized(path, () => ({ method: 'GET' }), options.signal);
      return statusOf(answer.data, taskId);
    } catch (error) {
      if (error instanceof DepthmillError && error.code === TASK_FAILED) return { taskId, state: 'failed', error: error.message };
      throw error;
    }
  }

  /**
   * Polls until the task ends. Resolves with the finished task (its url is fresh); rejects with a
   * DepthmillError (code 5001001, the reason in its message) when the task fails, and with the
   * signal's reason (an AbortError) when the signal aborts.
   */
  async waitForTask(taskId: string, options: WaitOptions = {}): Promise<FinishedTask> {
    const { signal, onProgress, intervalMs = 500, timeoutMs } = options;
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    let last: string | undefined;
    for (;;) {
      signal?.throwIfAborted();
      const task = await this.queryTask(taskId, signal ? { signal } : {});
      const seen = `${task.state} ${task.progress ?? ''}`;
      if (seen !== last) {
        last = seen;
        onProgress?.(task);
      }
      if (task.state === 'failed') throw new DepthmillError(task.error ?? 'generate failed', TASK_FAILED, 200, { taskId });
      if (task.state === 'success') {
        if (!task.url) throw new DepthmillError(`task ${taskId} succeeded without a download url`, 10000000, 200, { taskId });
        return { ...task, state: 'success', id: task.id ?? `${taskId}_0`, url: task.url };
      }
      if (Date.now() + intervalMs > deadline)
        throw new DepthmillError(`task ${taskId} still ${task.state} after ${timeoutMs} ms`, 408, 0, { taskId });
      await sleep(intervalMs, signal);
    }
  }

  /**
   * The client's credits (GET /open-api/v1/balance). `unlimited`: tasks cost nothing (then
   * totalBalance is 2^31 - 1). With too few credits createTask rejects with code 30010000.
   */
  async balance(options: RequestOptions = {}): Promise<Balance> {
    const { data } = await this.authorized('/open-api/v1/balance', () => ({ method: 'GET' }), options.signal);
    const costs = (data.costs ?? {}) as { depth_map?: unknown; relief?: unknown };
    return {
      totalBalance: Number(data.totalBalance),
      unlimited: data.unlimited === true,
      costs: { depthMap: Number(costs.depth_map), relief: Number(costs.relief) },
    };
  }

  /**
   * Which depth model serves each model type (base, pro), and the one-line hint while a much better model is a
   * command away (GET /open-api/v1/depth/models, beyond Hitem3D).
   */
  async depthModels(options: RequestOptions = {}): Promise<DepthModels> {
    const { data } = await this.authorized('/open-api/v1/depth/models', () => ({ method: 'GET' }), options.signal);
    const models: DepthModels = {};
    if (typeof data.base === 'string') models.base = data.base;
    if (typeof data.pro === 'string') models.pro = data.pro;
    if (typeof data.hint === 'string') models.hint = data.hint;
    return models;
  }

  /** The result's bytes, from a finished task (or its signed url). Links last an hour: query again for a fresh one. */
  async download(task: TaskStatus | string, options: RequestOptions = {}): Promise<Uint8Array> {
    const url = typeof task === 'string' ? task : task.url;
    if (!url) {
      const what = typeof task === 'string' ? 'url' : `task ${task.taskId} is ${task.state}${task.error ? ` (${task.error})` : ''}`;
      throw new DepthmillError(`nothing to download: ${what}`, 400, 0, { taskId: typeof task === 'string' ? undefined : task.taskId });
    }
    const response = await this.send(new URL(url, this.baseUrl).href, options.signal ? { signal: options.signal } : {});
    if (!response.ok) {
      const envelope = await readEnvelope(response).catch(() => undefined);
      throw new DepthmillError(
        `download failed (HTTP ${response.status}): ${envelope?.msg ?? response.statusText}`,
        envelope?.code ?? response.status,
        response.status,
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  /**
   * A call with the Bearer token. On 401 the token is renewed once and the call repeated; on 429
   * (rate limit, or too many unfinished tasks) it waits as Retry-After says and tries again, up to
   * maxRetries times. Both are safe to repeat: a refused call did nothing.
   */
  private async authorized(path: string, init: () => RequestInit, signal?: AbortSignal): Promise<Envelope> {
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken(signal ? { signal } : {});
      try {
        return await this.call(path, { ...init(), headers: { authorization: `Bearer ${token}` }, ...(signal ? { signal } : {}) });
      } catch (error) {
        if (!(error instanceof DepthmillError)) throw error;
        if (error.status === 401 && !renewed) {
          // Expired, revoked or from another server: forget it and ask for a new one.
          renewed = true;
          if (this.token && (await this.token.catch(() => undefined)) === token) this.token = undefined;
        } else if (error.status === 429 && attempt < this.maxRetries) {
          await sleep(error.retryAfterMs ?? 1000 * 2 ** attempt, signal);
        } else {
          throw error;
        }
      }
    }
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchImpl(url, init);
    } catch (error) {
      if (init.signal?.aborted) throw abortError(init.signal);
      const inner = error instanceof Error ? (error.cause as (Error & { code?: string }) | undefined) : undefined;
      const cause = error instanceof Error ? (inner?.message ?? error.message) : String(error);
      // A certificate this machine does not trust reaches the server fine: say what to do about it.
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(inner?.code ?? '')) {
        throw new DepthmillError(
          `the Depthmill server at ${this.baseUrl} answered with a TLS certificate this client does not trust (${cause}): for a self-signed or private one, trust its certificate (in Node: NODE_EXTRA_CA_CERTS=cert.pem)`,
          0,
          0,
        );
      }
      throw new DepthmillError(
        `cannot reach the Depthmill server at ${this.baseUrl} (${cause}): is it running, and is the URL right?`,
        0,
        0,
      );
    }
  }

  private async call(path: string, init: RequestInit): Promise<Envelope> {
    const response = await this.send(`${this.baseUrl}${path}`, init);
    const envelope = await readEnvelope(response);
    if (envelope.code !== 200) {
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new DepthmillError(envelope.msg || `HTTP ${response.status}`, envelope.code, response.status, {
        taskId: typeof envelope.data.task_id === 'string' ? envelope.data.task_id : undefined,
        retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
      });
    }
    return envelope;
  }
}

async function readEnvelope(response: Response): Promise<Envelope> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as Envelope;
    if (typeof body.code === 'number') return { code: body.code, data: body.data ?? {}, msg: body.msg ?? '' };
  } catch {
    // not JSON: fall through
  }
  throw new DepthmillError(
    `unexpected answer (HTTP ${response.status}, not the Depthmill envelope): ${text.slice(0, 120)}`,
    response.status,
    response.status,
  );
}

function statusOf(data: Record<string, unknown>, taskId: string): TaskStatus {
  const status: TaskStatus = { taskId: typeof data.task_id === 'string' ? data.task_id : taskId, state: data.state as TaskState };
  if (typeof data.id === 'string') status.id = data.id;
  if (typeof data.url === 'string') status.url = data.url;
  if (typeof data.progress === 'number') status.progress = data.progress;
  if (typeof data.depth_model === 'string') status.depthModel = data.depth_model;
  const mesh = data.mesh as { triangles?: unknown; shells?: unknown } | undefined;
  if (typeof mesh?.triangles === 'number' && typeof mesh.shells === 'number')
    status.mesh = { triangles: mesh.triangles, shells: mesh.shells };
  return status;
}
