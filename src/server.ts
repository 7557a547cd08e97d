// The composition root of the embedded mode: builds the adapters from the configuration, wires
// them into the task code and the HTTP app, recovers unfinished work, and starts serving.
import pino, { type Logger } from 'pino';
import { FsBlobStore } from './adapters/fs-blob-store.js';
import { LocalQueue } from './adapters/local-queue.js';
import { SqliteStore } from './adapters/sqlite/sqlite-store.js';
import { ThreadEngine } from './adapters/thread-engine.js';
import { buildApp } from './api/app.js';
import { TokenIssuer } from './api/tokens.js';
import type { Config } from './config.js';
import { expectedChecksum, modelCacheDir, modelEntry, modelPath } from './pipeline/model-cache.js';
import { CallbackDispatcher } from './tasks/callback-dispatcher.js';
import { LinkSigner } from './tasks/signed-links.js';
import { TaskRunner } from './tasks/task-runner.js';
import { TaskService } from './tasks/task-service.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const CONCURRENT_TASK_QUOTA = 10;

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

export async function startServer(config: Config, logger: Logger = pino({ level: config.logLevel })): Promise<RunningServer> {
  const store = new SqliteStore(config.db);
  const links = new LinkSigner(await store.serverSecret());
  const blobs = new FsBlobStore(config.blobs, links);
  const queue = new LocalQueue(config.concurrency);
  const modelDir = config.modelsDir ?? modelCacheDir();
  checkModelsInstalled(config.models, modelDir);
  const engine = new ThreadEngine({
    threads: config.concurrency,
    sessions: { modelDir, depthModels: { base: config.models.base, pro: config.models.pro }, maskModel: config.models.mask },
  });
  const tasks = new TaskService({ tasks: store, blobs, queue, concurrentTaskQuota: CONCURRENT_TASK_QUOTA, taskTimeoutMs: config.taskTimeoutMs });
  const tokens = new TokenIssuer(await store.serverSecret(), store);

  const app = await buildApp({ config, tasks, clients: store, blobs, tokens, links, logger });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  const callbacks = new CallbackDispatcher({ callbacks: store, tasks: store, clients: store, blobs, baseUrl: config.publicUrl ?? url, log: logger });
  const runner = new TaskRunner({ tasks: store, blobs, engine, taskTimeoutMs: config.taskTimeoutMs, log: logger, onFinished: () => callbacks.wake() });
  queue.start(runner.run);
  callbacks.start();

  // Work acknowledged before a crash or stop is picked up again, oldest first.
  const unfinished = await store.listUnfinished();
  for (const task of unfinished) {
    await store.setState(task.id, 'queueing');
    await queue.enqueue(task.id);
  }
  if (unfinished.length > 0) logger.info({ count: unfinished.length }, 'recovered unfinished tasks');

  return {
    url,
    async close() {
      await app.close();
      await queue.close();
      await callbacks.stop();
      await engine.close();
      store.close();
    },
  };
}
