// One typed, validated configuration, read from the environment (docs/operations.md "Configuration").
// Everything has a default, so `npm start` works with no set-up at all.
import { BlockList, isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { bestInstalledModel, defaultModelName, isInstalled, modelCacheDir } from './models/model-cache.js';

const positiveInt = z.coerce.number().int().positive();

const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  dataDir: z.string().min(1),
  /** A SQLite file path, or a postgres:// URL. */
  db: z.string().min(1),
  /** Unset: the in-process queue; or a redis:// URL for BullMQ. */
  queue: z
    .string()
    .regex(/^rediss?:\/\//, { error: 'must be a redis:// URL' })
    .optional(),
  /** A directory for input and result blobs, or s3://bucket/prefix. */
  blobs: z.string().min(1),
  /** Endpoint of an S3-compatible store other than AWS (MinIO, …). */
  s3Endpoint: z.string().url().optional(),
  /** api: HTTP only; worker: runs tasks and callbacks, no HTTP; all: both (the embedded default). */
  role: z.enum(['all', 'api', 'worker']),
  /** Folder holding the model files; undefined = the install hook's default cache. */
  modelsDir: z.string().optional(),
  /**
   * Registry names of the depth model for each model_type (DEPTHMILL_MODEL_BASE/PRO, else the best
   * installed commercial-use one: bestInstalledModel), and of the mask model.
   */
  models: z.object({ base: z.string().min(1), pro: z.string().min(1), mask: z.string().min(1) }),
  /** ONNX Runtime execution providers in order of preference (cuda needs ONNXRUNTIME_NODE_INSTALL=cuda12). */
  executionProviders: z.array(z.enum(['cpu', 'cuda'])).min(1),
  /** Decompression-bomb guard and decode time limit for one image. */
  decodeLimits: z.object({ maxPixels: positiveInt, timeoutSeconds: positiveInt }),
  /** Tasks run at once by this process; each runs on its own worker thread. */
  concurrency: positiveInt,
  /**
   * Nice value (0..19) of the worker threads and the inference threads they start: the HTTP event
   * loop keeps priority over the depth work sharing its cores, so create-task answers promptly
   * while the workers are busy. Workers still take every idle cycle.
   */
  workerNice: z.coerce.number().int().min(0).max(19),
  /** ONNX Runtime threads per worker thread; undefined: every core, up to 4 (adapters/thread-pool.ts). */
  inferenceThreads: positiveInt.optional(),
  /** Base of download links in callbacks (and in query-task when set); default http(s)://host:port. */
  publicUrl: z.string().url().optional(),
  /**
   * PEM files of the certificate (with its chain) and its private key: with both the API speaks
   * HTTPS (HTTP/1.1), with neither plain HTTP. Paths only: the server reads them when it starts
   * (tls.ts), so commands that never listen do not need to read a key.
   */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** Upper bound on an uploaded or fetched image. */
  maxImageBytes: positiveInt,
  /** Unfinished tasks one client may have at once (Hitem3D's default is 10). */
  taskQuota: positiveInt,
  /** Credits a task costs a client whose balance is metered (`depthmill clients credit`), by kind; 0 is free. */
  creditCosts: z.object({ depth_map: z.coerce.number().int().min(0), relief: z.coerce.number().int().min(0) }),
  /** Triangles a relief's mesh may have at most (more fails the task, saying what to change). */
  maxMeshTriangles: positiveInt,
  /** Requests per minute one client (or, before it signs in, one address) may make. */
  rateLimitPerMinute: positiveInt,
  /** How long a request may take to arrive, headers and body (a trickled body is cut off). */
  requestTimeoutMs: positiveInt,
  /** Sign-in attempts per minute one address may make, counted before any secret is checked. */
  signInPerMinute: positiveInt,
  /** Internal hosts that image_url and callback_url may reach despite the SSRF guard. */
  fetchAllowlist: z.array(z.string()),
  /** How long fetching an image_url may take. */
  fetchTimeoutMs: positiveInt,
  /** How long one callback POST may take before it counts as failed (and is retried later). */
  callbackTimeoutMs: positiveInt,
  /** Distributed mode: a job whose worker stops renewing its lock this long is handed to another. */
  jobLockMs: positiveInt,
  /** Inputs and results are deleted this long after their task ended. */
  retentionHours: z.coerce.number().positive(),
  /** How often the worker side looks for overdue tasks and expired files. */
  housekeepingIntervalMs: positiveInt,
  /** How often a worker queues again the unfinished tasks the queue does not hold (tasks/reconciler.ts). */
  reconcileIntervalMs: positiveInt,
  /** A task not done after this long fails with 5001001. */
  taskTimeoutMs: positiveInt,
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** Prometheus metrics: the API's /metrics and a worker's metrics port (DEPTHMILL_METRICS=0: neither). */
  metrics: z.enum(['0', '1'], { error: 'must be 0 or 1' }).transform((value) => value === '1'),
  /**
   * Role worker only (it has no API port): the port of its own /metrics page; unset, none. Off by
   * default so that two workers on one host do not clash; 0 picks a free port (printed at start).
   */
  metricsPort: z.coerce.number().int().min(0).max(65535).optional(),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.DEPTHMILL_DATA ?? './data');
  const bestDepthModel = () => bestInstalledModel('depth', (name) => isInstalled(name, modelCacheDir(env)));
  const parsed = configSchema.safeParse({
    port: env.PORT ?? 8080,
    host: env.HOST ?? '127.0.0.1',
    dataDir,
    db: env.DEPTHMILL_DB ?? join(dataDir, 'depthmill.sqlite'),
    queue: env.DEPTHMILL_QUEUE || undefined,
    blobs: env.DEPTHMILL_BLOBS ?? join(dataDir, 'blobs'),
    s3Endpoint: env.DEPTHMILL_S3_ENDPOINT || undefined,
    role: env.DEPTHMILL_ROLE ?? 'all',
    modelsDir: env.DEPTHMILL_MODELS || undefined,
    models: {
      base: env.DEPTHMILL_MODEL_BASE || bestDepthModel(),
      pro: env.DEPTHMILL_MODEL_PRO || bestDepthModel(),
      mask: env.DEPTHMILL_MODEL_MASK || defaultModelName('mask'),
    },
    executionProviders: (env.DEPTHMILL_EXECUTION_PROVIDERS ?? 'cpu').split(',').map((provider) => provider.trim()),
    decodeLimits: { maxPixels: env.DEPTHMILL_MAX_PIXELS ?? 50_000_000, timeoutSeconds: env.DEPTHMILL_DECODE_TIMEOUT_S ?? 20 },
    concurrency: env.DEPTHMILL_CONCURRENCY ?? availableParallelism(),
    workerNice: env.DEPTHMILL_WORKER_NICE ?? 10,
    inferenceThreads: env.DEPTHMILL_INFERENCE_THREADS || undefined,
    publicUrl: env.DEPTHMILL_PUBLIC_URL || undefined,
    tlsCert: env.DEPTHMILL_TLS_CERT ? resolve(env.DEPTHMILL_TLS_CERT) : undefined,
    tlsKey: env.DEPTHMILL_TLS_KEY ? resolve(env.DEPTHMILL_TLS_KEY) : undefined,
    maxImageBytes: env.DEPTHMILL_MAX_IMAGE_BYTES ?? 20 * 1024 * 1024,
    taskQuota: env.DEPTHMILL_TASK_QUOTA ?? 10,
    maxMeshTriangles: env.DEPTHMILL_MAX_TRIANGLES ?? 2_000_000,
    creditCosts: { depth_map: env.DEPTHMILL_CREDITS_DEPTH_MAP ?? 1, relief: env.DEPTHMILL_CREDITS_RELIEF ?? 1 },
    rateLimitPerMinute: env.DEPTHMILL_RATE_LIMIT ?? 600,
    signInPerMinute: env.DEPTHMILL_SIGNIN_RATE_LIMIT ?? 30,
    requestTimeoutMs: env.DEPTHMILL_REQUEST_TIMEOUT_MS ?? 300_000,
    fetchAllowlist: (env.DEPTHMILL_FETCH_ALLOWLIST ?? '')
      .split(',')
      .map((host) => host.trim())
      .filter(Boolean),
    fetchTimeoutMs: env.DEPTHMILL_FETCH_TIMEOUT_MS ?? 15_000,
    jobLockMs: env.DEPTHMILL_JOB_LOCK_MS ?? 30_000,
    callbackTimeoutMs: env.DEPTHMILL_CALLBACK_TIMEOUT_MS ?? 10_000,
    taskTimeoutMs: env.DEPTHMILL_TASK_TIMEOUT_MS ?? 60 * 60 * 1000,
    retentionHours: env.DEPTHMILL_RETENTION_HOURS ?? 7 * 24,
    housekeepingIntervalMs: env.DEPTHMILL_HOUSEKEEPING_INTERVAL_MS ?? 60_000,
    reconcileIntervalMs: env.DEPTHMILL_RECONCILE_INTERVAL_MS ?? 30_000,
    logLevel: env.DEPTHMILL_LOG_LEVEL ?? 'info',
    metrics: env.DEPTHMILL_METRICS || '1',
    metricsPort: env.DEPTHMILL_METRICS_PORT || undefined,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  if (parsed.data.role !== 'all' && !parsed.data.queue) {
    throw new Error(
      `invalid configuration: role ${parsed.data.role} needs a shared queue (DEPTHMILL_QUEUE=redis://…); the in-process queue only works with role all`,
    );
  }
  checkTlsPair(parsed.data);
  return parsed.data;
}

/** A certificate without its key (or the other way round) is a mistake, not a wish for plain HTTP. */
function checkTlsPair({ tlsCert, tlsKey }: Pick<Config, 'tlsCert' | 'tlsKey'>): void {
  if ((tlsCert === undefined) === (tlsKey === undefined)) return;
  const [set, unset] = tlsCert === undefined ? ['DEPTHMILL_TLS_KEY', 'DEPTHMILL_TLS_CERT'] : ['DEPTHMILL_TLS_CERT', 'DEPTHMILL_TLS_KEY'];
  throw new Error(
    `invalid configuration: ${set} is set but ${unset} is not; HTTPS needs both the certificate (DEPTHMILL_TLS_CERT) and its private key (DEPTHMILL_TLS_KEY), plain HTTP neither`,
  );
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether an address to bind (HOST) takes connections from this machine only: 127.0.0.0/8, ::1
 * (also as ::ffff:127.x) or `localhost`. Any other name, and 0.0.0.0 or ::, may be reachable from
 * elsewhere.
 */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 6 ? 'ipv6' : 'ipv4');
}
