// The composition root: builds the adapters the configuration names, wires them into the task
// code, and starts what the role asks for. api: the HTTP API (it never runs a model); worker: the
// task runner and callback delivery (it never opens the HTTP port); all: both, in one process.
import type { Logger } from 'pino';
import { openAdapters } from './adapters/index.js';
import { serveMetrics } from './adapters/metrics-server.js';
import { PrometheusMetrics } from './adapters/prometheus-metrics.js';
import { createSafeFetch } from './adapters/safe-fetch.js';
import { ThreadEngine } from './adapters/thread-pool.js';
import { buildApp } from './api/app.js';
import { SignInLink } from './api/sign-in-link.js';
import { TokenIssuer } from './api/tokens.js';
import { isLoopbackHost, type Config } from './config.js';
import { createLogger } from './logger.js';
import { betterModelHint, expectedChecksum, isInstalled, modelCacheDir, modelEntry, modelPath } from './models/model-cache.js';
import { CallbackDispatcher } from './tasks/callback-dispatcher.js';
import { Housekeeping } from './tasks/housekeeping.js';
import { Reconciler, TASK_LEASE_MS } from './tasks/reconciler.js';
import { TaskRunner } from './tasks/task-runner.js';
import { TaskService } from './tasks/task-service.js';
import { readTlsFiles } from './tls.js';

export interface RunningServer {
  /** Where the API listens (undefined for a worker). */
  url: string | undefined;
  /** A worker's own metrics page (DEPTHMILL_METRICS_PORT), when it has one. */
  metricsUrl?: string | undefined;
  /**
   * The web UI's one-time sign-in link (`…/#signin=<secret>`), on a server that listens on loopback
   * only (signInLinkOffered); undefined elsewhere.
   */
  signInUrl?: string | undefined;
  close(): Promise<void>;
}

/**
 * Fails at start-up, with what to do, when a configured model is unknown, of the wrong kind, not
 * installed or unpinned: better than every task failing later.
 */
function checkModelsInstalled(models: Config['models'], dir: string): void {
  for (const [role, name] of Object.entries(models)) {
    const task = role === 'mask' ? 'mask' : 'depth';
    if (modelEntry(name).task !== task) throw new Error(`DEPTHMILL_MODEL_${role.toUpperCase()}: "${name}" is not a ${task} model`);
    modelPath(name, dir);
    expectedChecksum(name, dir);
  }
}

/** One line per model_type and one for the mask model: which model serves what, under which licence. */
function logModels(models: Config['models'], logger: Logger): void {
  for (const [role, name] of Object.entries(models)) {
    const { licence } = modelEntry(name);
    const serves = role === 'mask' ? 'background removal (rmbg=1)' : `model_type ${role}`;
    logger.info({ serves: role, model: name, licence }, `${serves}: ${role === 'mask' ? 'mask' : 'depth'} model ${name} (${licence})`);
  }
}

/**
 * Whether the server prints a sign-in link (docs/operations.md "Signing in"): only when nobody but this machine's
 * users can reach it: bound to loopback, serving the API and the worker in one process (the link's
 * secret lives in its memory), and not declared reachable by a public URL (a proxy in front). A
 * server others can reach keeps client credentials: a leaked link would let anyone who can reach
 * the port in, while credentials are per client and revocable.
 */
export function signInLinkOffered(config: Pick<Config, 'role' | 'host' | 'publicUrl'>): boolean {
  return config.role === 'all' && isLoopbackHost(config.host) && config.publicUrl === undefined;
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const runsApi = config.role !== 'worker';
  const runsWorker = config.role !== 'api';
  const modelDir = config.modelsDir ?? modelCacheDir();
  // Before anything opens: a certificate that cannot be read stops the start at once.
  const tls = runsApi ? readTlsFiles(config) : undefined;
  const scheme = config.tlsCert ? 'https' : 'http';
  // What this process runs, and the one line that says how to get a much better depth model.
  let depthModels: { base: string; pro: string; hint: string | undefined } | undefined;
  if (runsWorker) {
    checkModelsInstalled(config.models, modelDir);
    logModels(config.models, logger);
    const hint = betterModelHint(config.models, (name) => isInstalled(name, modelDir));
    if (hint) logger.info({ hint: true }, hint);
    depthModels = { base: config.models.base, pro: config.models.pro, hint };
  }

  const adapters = await openAdapters(config);
  const outbound = createSafeFetch({ allowlist: config.fetchAllowlist });
  const { store, blobs, queue, links, serverSecret } = adapters;
  let closeHttp = async (): Promise<void> => undefined;
  // Before the queue closes: what would otherwise keep its running jobs (or it) busy.
  const stopTaking: (() => Promise<void> | void)[] = [];
  const closeWorker: (() => Promise<void>)[] = [];
  // One registry per process. The store's and the queue's counts are the whole deployment's: the
  // API side reports them (a worker would only repeat them).
  const metrics = config.metrics
    ? new PrometheusMetrics(runsApi ? { tasks: () => store.countByState(), queueWaiting: () => queue.waiting() } : {}, logger)
    : undefined;
  if (metrics && runsApi && config.metricsPort !== undefined)
    logger.warn('DEPTHMILL_METRICS_PORT is for role worker: this process serves /metrics on its API port');

  let url: string | undefined;
  let signInUrl: string | undefined;
  if (runsApi) {
    const tasks = new TaskService({
      tasks: store,
      blobs,
      queue,
      concurrentTaskQuota: config.taskQuota,
      taskTimeoutMs: config.taskTimeoutMs,
      retentionHours: config.retentionHours,
      creditCosts: config.creditCosts,
      metrics,
    });
    const tokens = new TokenIssuer(serverSecret, store);
    const signIn = signInLinkOffered(config) ? SignInLink.create(store) : undefined;
    const app = await buildApp({
      config,
      tasks,
      clients: store,
      blobs,
      tokens,
      links,
      outbound,
      logger,
      rateLimitRedis: adapters.rateLimitRedis,
      rateLimitNamespace: adapters.rateLimitNamespace,
      readiness: { database: store, queue, blobs },
      metrics,
      tls,
      signInLink: signIn?.link,
      depthModels,
    });
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    url = `${scheme}://${hostForUrl(config.host)}:${port}`;
    // In the fragment: a browser never sends it, so no request log or Referer carries the secret.
    if (signIn) signInUrl = `${url}/#signin=${signIn.secret}`;
    closeHttp = () => app.close();
  }

  if (runsWorker) {
    const engine = new ThreadEngine({
      threads: config.concurrency,
      nice: config.workerNice,
      maxMeshTriangles: config.maxMeshTriangles,
      ...(config.inferenceThreads !== undefined ? { inferenceThreads: config.inferenceThreads } : {}),
      sessions: {
        modelDir,
        depthModels: { base: config.models.base, pro: config.models.pro },
        maskModel: config.models.mask,
        executionProviders: config.executionProviders,
        decodeLimits: config.decodeLimits,
      },
    });
    const baseUrl = config.publicUrl ?? url ?? `${scheme}://${hostForUrl(config.host)}:${config.port}`;
    const callbacks = new CallbackDispatcher({
      callbacks: store,
      tasks: store,
      clients: store,
      blobs,
      fetch: outbound,
      baseUrl,
      log: logger,
      requestTimeoutMs: config.callbackTimeoutMs,
      metrics,
    });
    const runner = new TaskRunner({
      tasks: store,
      blobs,
      engine,
      taskTimeoutMs: config.taskTimeoutMs,
      log: logger,
      onFinished: () => callbacks.wake(),
      metrics,
    });
    const housekeeping = new Housekeeping({
      tasks: store,
      blobs,
      taskTimeoutMs: config.taskTimeoutMs,
      retentionMs: config.retentionHours * 3600_000,
      intervalMs: config.housekeepingIntervalMs,
      log: logger,
      onFinished: () => callbacks.wake(),
      metrics,
    });
    // Work acknowledged before a crash or stop, or lost by the queue, is queued again: at once,
    // then every DEPTHMILL_RECONCILE_INTERVAL_MS. With the in-process queue nobody else runs a
    // task, so one it does not hold is queued again without waiting for its lease to lapse.
    const reconciler = new Reconciler({
      tasks: store,
      queue,
      log: logger,
      intervalMs: config.reconcileIntervalMs,
      leaseMs: config.queue ? TASK_LEASE_MS : 0,
    });
    queue.start(runner.run);
    callbacks.start();
    housekeeping.start();
    stopTaking.push(
      () => reconciler.stop(),
      () => runner.stop(),
    );
    closeWorker.push(
      () => housekeeping.stop(),
      () => callbacks.stop(),
      () => engine.close(),
    );
    await reconciler.start();
  }

  let metricsUrl: string | undefined;
  if (metrics && !runsApi && config.metricsPort !== undefined) {
    const page = await serveMetrics(metrics, config.metricsPort, config.host, logger);
    metricsUrl = `http://${hostForUrl(config.host)}:${page.port}/metrics`;
    closeWorker.push(() => page.close());
  }

  return {
    url,
    metricsUrl,
    signInUrl,
    async close() {
      // HTTP first (no new tasks), then the queue (running tasks finish), then the rest.
      await closeHttp();
      for (const stop of stopTaking) await stop();
      await queue.close();
      for (const close of closeWorker) await close();
      await adapters.close();
    },
  };
}
