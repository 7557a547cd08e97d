// Chooses the adapters from the configuration alone (docs/ARCHITECTURE.md "Layers"): SQLite or PostgreSQL for tasks
// and clients, the in-process queue or BullMQ, the local disk or S3 for blobs.
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { BlobStore, CallbackStore, ClientStore, JobQueue, TaskStore } from '../tasks/ports.js';
import { LinkSigner } from '../tasks/signed-links.js';
import { BullmqQueue } from './bullmq-queue.js';
import { FsBlobStore } from './fs-blob-store.js';
import { LocalQueue } from './local-queue.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { S3BlobStore } from './s3-blob-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

export type Store = TaskStore & ClientStore & CallbackStore & { close(): Promise<void> | void };

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//.test(value);
}

export async function openStore(config: Pick<Config, 'db'>): Promise<Store> {
  return isPostgresUrl(config.db) ? PostgresStore.open(config.db) : new SqliteStore(config.db);
}

/** A Redis client for the URL (its `prefix` parameter is the queue's, not Redis's). */
function redisClient(url: string): Redis {
  const parsed = new URL(url);
  parsed.searchParams.delete('prefix');
  return new Redis(parsed.toString(), { maxRetriesPerRequest: 1, lazyConnect: false });
}

export interface Adapters {
  store: Store;
  blobs: BlobStore;
  queue: JobQueue;
  /** Signs and checks the links of the disk blob store (served by the API process). */
  links: LinkSigner;
  serverSecret: Buffer;
  /** Shared counters for the API's rate limit (distributed mode); undefined: in-process counters. */
  rateLimitRedis: Redis | undefined;
  /** Key prefix of the shared rate-limit counters: the deployment's queue prefix, so deployments on one Redis never share them. */
  rateLimitNamespace: string;
  /** Closes the store and the blob client; the queue is closed by its owner, before this. */
  close(): Promise<void>;
}

export async function openAdapters(config: Config): Promise<Adapters> {
  const store = await openStore(config);
  const serverSecret = await store.serverSecret();
  const links = new LinkSigner(serverSecret);
  let s3: S3BlobStore | undefined;
  let blobs: BlobStore;
  if (config.blobs.startsWith('s3://')) {
    s3 = new S3BlobStore({ url: config.blobs, ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}) });
    await s3.ensureBucket();
    blobs = s3;
  } else {
    const files = new FsBlobStore(config.blobs, links);
    // What a process killed mid-write left behind.
    await files.removeLeftoverPartials();
    blobs = files;
  }
  const rateLimitRedis = config.queue ? redisClient(config.queue) : undefined;
  const queue: JobQueue = config.queue
    ? new BullmqQueue({ url: config.queue, concurrency: config.concurrency, lockDurationMs: config.jobLockMs })
    : new LocalQueue(config.concurrency);
  return {
    store,
    blobs,
    queue,
    links,
    serverSecret,
    rateLimitRedis,
    rateLimitNamespace: `${config.queue ? (new URL(config.queue).searchParams.get('prefix') ?? 'depthmill') : 'depthmill'}-rate-`,
    async close() {
      s3?.close();
      rateLimitRedis?.disconnect();
      await store.close();
    },
  };
}
