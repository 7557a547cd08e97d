// Probes for operators and orchestrators: /healthz (the process answers) and /readyz (what a task
// needs answers: the database, the queue, the blob store; the models were checked at start-up,
// which does not finish without them). A queue that answers but lost its jobs, and that no worker
// has filled again from the database yet, is not ready either: accepted work would wait there
// unseen. Outside the rate limit; in the envelope like every answer.
import type { FastifyInstance } from 'fastify';
import { successEnvelope, errorEnvelope } from '../contract/envelope.js';
import { Errors } from '../contract/errors.js';
import { QueueNotReconciled, type BlobStore, type JobQueue, type TaskStore } from '../tasks/ports.js';
import { healthRoute, readyRoute } from './route-schemas.js';

export interface ReadinessChecks {
  database: TaskStore;
  queue: JobQueue;
  blobs: BlobStore;
}

/** A check that has not answered by then counts as failed (a queue waits for Redis to come back). */
const CHECK_TIMEOUT_MS = 2000;

async function check(ping: () => Promise<void>): Promise<'ok' | 'unreachable' | 'timed out' | 'recovering'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([ping().then(() => 'ok' as const), timeout]);
  } catch (error) {
    return error instanceof QueueNotReconciled ? 'recovering' : 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealth(app: FastifyInstance, checks: ReadinessChecks): void {
  const unlimited = { rateLimit: false };
  app.get('/healthz', { schema: healthRoute, config: unlimited }, async () => successEnvelope({ status: 'ok' }));
  app.get('/readyz', { schema: readyRoute, config: unlimited }, async (request, reply) => {
    const [database, queue, blobs] = await Promise.all([
      check(() => checks.database.ping()),
      check(() => checks.queue.ping()),
      check(() => checks.blobs.ping()),
    ]);
    const parts = { database, queue, blobs };
    const failing = Object.entries(parts).filter(([, state]) => state !== 'ok');
    if (failing.length === 0) return successEnvelope({ status: 'ready', ...parts });
    request.log.warn(parts, 'not ready');
    return reply.code(503).send(
      errorEnvelope(Errors.notReady, `not ready: ${failing.map(([name, state]) => `${name} ${state}`).join(', ')}`, {
        status: 'not ready',
        ...parts,
      }),
    );
  });
}
