// Tasks, clients, settings and callback deliveries in PostgreSQL (the distributed mode): the same
// port as the SQLite store, shared by every API and worker process.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type {
  Admission,
  CallbackDelivery,
  CallbackSlots,
  CallbackStore,
  Client,
  ClientStore,
  CreditChange,
  RoomCheck,
  TaskOutcome,
  TaskStore,
} from '../../tasks/ports.js';
import { StorageFull } from '../../contract/errors.js';
import type { Task } from '../../contract/task.js';
import {
  TASK_INSERT_COLUMNS,
  taskInsertValues,
  toClient,
  toDelivery,
  toTask,
  type CallbackRow,
  type ClientRow,
  type TaskRow,
} from '../rows.js';
import { migrate } from './migrations.js';
import { toTaskCounts, type TaskCountRow } from '../task-counts.js';

const UNFINISHED = `state NOT IN ('success', 'failed')`;

/**
 * A `schema` query parameter on the URL (postgres://…/db?schema=name) keeps one deployment's tables
 * apart from another's in the same database (the tests use it for isolation).
 */
function poolConfig(url: string): { config: pg.PoolConfig; schema: string | undefined } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name in DEPTHMILL_DB: ${schema}`);
  return {
    config: { connectionString: parsed.toString(), max: 10, ...(schema ? { options: `-c search_path=${schema}` } : {}) },
    schema,
  };
}

export class PostgresStore implements TaskStore, ClientStore, CallbackStore {
  private constructor(private readonly pool: pg.Pool) {}

  /** Connects and brings the schema up to date (safe when several processes start at once). */
  static async open(url: string): Promise<PostgresStore> {
    const { config, schema } = poolConfig(url);
    const pool = new pg.Pool(config);
    // An idle client that loses its connection emits 'error'; the pool replaces it. Without a
    // listener Node would treat it as an unhandled error and exit.
    pool.on('error', () => undefined);
    await migrate(pool, schema);
    return new PostgresStore(pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async insertWithinQuota(task: Task, quota: number, room?: RoomCheck): Promise<Admission> {
    return this.insertTransaction(task, quota, room).catch((error: unknown) => {
      // PostgreSQL's disk_full.
      if ((error as { code?: string }).code === '53100') throw new StorageFull('the database disk is full', { cause: error });
      throw error;
    });
  }

  private insertTransaction(task: Task, quota: number, room: RoomCheck | undefined): Promise<Admission> {
    return this.transaction(async (client): Promise<Admission> => {
      // One client's creations take turns (a lock held to the end of the transaction): under READ
      // COMMITTED two of them would otherwise both count 9 and both insert the tenth.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('depthmill-quota'), hashtext($1))`, [task.clientId]);
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE client_id = $1 AND ${UNFINISHED}`, [
        task.clientId,
      ]);
      if (Number(rows[0]!.n) >= quota) return { accepted: false, reason: 'quota' };
      if (room) {
        // The disk is everyone's: creations that keep room take turns on one lock (taken after the
        // client's, always in that order), or two could both count the last room as free.
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('depthmill-room'))`);
        const kept = await client.query<{ kept: string }>(`SELECT COALESCE(SUM(result_reserve), 0) AS kept FROM tasks WHERE ${UNFINISHED}`);
        if (Number(kept.rows[0]!.kept) + room.reserve > room.free) return { accepted: false, reason: 'storage' };
      }
      // The row lock also orders the charge against refunds and `clients credit` from other processes.
      const cost = task.credits ?? 0;
      const found = await client.query<{ balance: string | null }>('SELECT balance FROM clients WHERE id = $1 FOR UPDATE', [task.clientId]);
      const balance = found.rows[0]?.balance == null ? null : Number(found.rows[0].balance);
      if (balance !== null && balance < cost) return { accepted: false, reason: 'balance', balance };
      const taken = balance === null ? 0 : cost;
      if (taken > 0) await client.query('UPDATE clients SET balance = balance - $1 WHERE id = $2', [taken, task.clientId]);
      const values = taskInsertValues(task, taken, room?.reserve ?? 0);
      const placeholders = values.map((_, i) => `$${i + 1}`).join(', ');
      await client.query(`INSERT INTO tasks (${TASK_INSERT_COLUMNS}) VALUES (${placeholders})`, values);
      return { accepted: true, credits: taken };
    });
  }

  /** Gives a task's credits back to its client, when the client is metered (inside the caller's transaction). */
  private async refund(client: pg.PoolClient, row: { client_id: string; credits: string | number }): Promise<void> {
    if (Number(row.credits) > 0)
      await client.query('UPDATE clients SET balance = balance + $1 WHERE id = $2 AND balance IS NOT NULL', [
        Number(row.credits),
        row.client_id,
      ]);
  }

  async removeUnacknowledged(id: string): Promise<void> {
    await this.transaction(async (client) => {
      const { rows } = await client.query<{ client_id: string; credits: string }>(
        `DELETE FROM tasks WHERE id = $1 AND state = 'created' RETURNING client_id, credits`,
        [id],
      );
      if (rows[0]) await this.refund(client, rows[0]);
    });
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async get(id: string): Promise<Task | undefined> {
    const { rows } = await this.pool.query<TaskRow>('SELECT * FROM tasks WHERE id = $1', [id]);
    return rows[0] && toTask(rows[0]);
  }

  async setProgress(id: string, progress: number): Promise<void> {
    await this.pool.query(`UPDATE tasks SET progress = $1 WHERE id = $2 AND state = 'processing' AND progress < $1`, [progress, id]);
  }

  async setState(id: string, state: 'created' | 'queueing' | 'processing'): Promise<boolean> {
    const result = await this.pool.query(`UPDATE tasks SET state = $1, updated_at = $2 WHERE id = $3 AND ${UNFINISHED}`, [
      state,
      Date.now(),
      id,
    ]);
    return result.rowCount === 1;
  }

  async finish(id: string, outcome: TaskOutcome): Promise<boolean> {
    const resultKey = outcome.state === 'success' ? outcome.resultKey : null;
    const depthModel = outcome.state === 'success' ? outcome.depthModel : null;
    const mesh = outcome.state === 'success' && outcome.mesh ? JSON.stringify(outcome.mesh) : null;
    const error = outcome.state === 'failed' ? outcome.error : null;
    const now = Date.now();
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ params: string; client_id: string; credits: string }>(
        `UPDATE tasks SET state = $1, result_key = $2, depth_model = $3, mesh = $4, error = $5, updated_at = $6 WHERE id = $7 AND ${UNFINISHED} RETURNING params, client_id, credits`,
        [outcome.state, resultKey, depthModel, mesh, error, now, id],
      );
      if (rows.length !== 1) return false;
      if (outcome.state === 'failed') await this.refund(client, rows[0]!);
      const callbackUrl = (JSON.parse(rows[0]!.params) as Task['params']).callbackUrl;
      if (callbackUrl) {
        await client.query('INSERT INTO callbacks (task_id, url, next_attempt_at, created_at) VALUES ($1, $2, $3, $3)', [
          id,
          callbackUrl,
          now,
        ]);
      }
      return true;
    });
  }

  async listUnfinished(): Promise<Task[]> {
    const { rows } = await this.pool.query<TaskRow>(`SELECT * FROM tasks WHERE ${UNFINISHED} ORDER BY created_at`);
    return rows.map(toTask);
  }

  async countByState() {
    const { rows } = await this.pool.query<TaskCountRow>(
      `SELECT state, params::json->>'format' AS format, params::json->>'reliefMode' AS relief_mode, count(*) AS n FROM tasks GROUP BY 1, 2, 3`,
    );
    return toTaskCounts(rows);
  }

  async listExpirable(before: number, limit: number): Promise<Task[]> {
    const { rows } = await this.pool.query<TaskRow>(
      `SELECT * FROM tasks WHERE expired_at IS NULL AND state IN ('success', 'failed') AND updated_at < $1 ORDER BY updated_at LIMIT $2`,
      [before, limit],
    );
    return rows.map(toTask);
  }

  async markExpired(id: string, at: number): Promise<void> {
    await this.pool.query('UPDATE tasks SET expired_at = $1 WHERE id = $2', [at, id]);
  }

  async insertClient(client: Client): Promise<void> {
    await this.pool.query(
      'INSERT INTO clients (id, name, secret_hash, callback_key, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [client.id, client.name, client.secretHash, client.callbackKey, client.createdAt, client.revokedAt ?? null],
    );
  }

  async getClient(id: string): Promise<Client | undefined> {
    const { rows } = await this.pool.query<ClientRow>('SELECT * FROM clients WHERE id = $1', [id]);
    return rows[0] && toClient(rows[0]);
  }

  async listClients(): Promise<Client[]> {
    const { rows } = await this.pool.query<ClientRow>('SELECT * FROM clients ORDER BY created_at');
    return rows.map(toClient);
  }

  async revokeClient(id: string, at: number): Promise<boolean> {
    const result = await this.pool.query('UPDATE clients SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2', [at, id]);
    return result.rowCount === 1;
  }

  async addCredits(id: string, amount: number): Promise<CreditChange> {
    const { rows } = await this.pool.query<{ balance: string }>(
      'UPDATE clients SET balance = coalesce(balance, 0) + $1::bigint WHERE id = $2 AND coalesce(balance, 0) + $1::bigint >= 0 RETURNING balance',
      [amount, id],
    );
    if (rows[0]) return { balance: Number(rows[0].balance) };
    return (await this.getClient(id)) ? 'below zero' : 'unknown client';
  }

  async makeUnlimited(id: string): Promise<boolean> {
    return (await this.pool.query('UPDATE clients SET balance = NULL WHERE id = $1', [id])).rowCount === 1;
  }

  async serverSecret(): Promise<Buffer> {
    // ON CONFLICT DO NOTHING: when several processes start at once, the first one's secret wins for all.
    await this.pool.query(`INSERT INTO settings (name, value) VALUES ('server_secret', $1) ON CONFLICT (name) DO NOTHING`, [
      randomBytes(32),
    ]);
    const { rows } = await this.pool.query<{ value: Buffer }>(`SELECT value FROM settings WHERE name = 'server_secret'`);
    return rows[0]!.value;
  }

  async claimDue(now: number, leaseMs: number, slots: CallbackSlots): Promise<CallbackDelivery[]> {
    // Each client's due deliveries numbered oldest first (its turn); a client's busy count moves
    // its turns back, and turns beyond perClient wait. A window function cannot sit beside FOR
    // UPDATE, so the picked rows are locked in a second step: SKIP LOCKED, and the due condition
    // checked again on the row's latest version, so two workers polling at the same moment never
    // take the same row (the later one just takes fewer) and never wait on each other.
    const busy = [...slots.busy];
    const { rows } = await this.pool.query<CallbackRow>(
      `WITH busy AS (SELECT * FROM unnest($4::text[], $5::int[]) AS busy(client_id, n)),
       ranked AS (
         SELECT c.id, c.next_attempt_at, COALESCE(t.client_id, '') AS client_id,
                row_number() OVER (PARTITION BY COALESCE(t.client_id, '') ORDER BY c.next_attempt_at, c.id) AS turn
         FROM callbacks c LEFT JOIN tasks t ON t.id = c.task_id
         WHERE c.delivered_at IS NULL AND c.gave_up_at IS NULL AND c.next_attempt_at <= $2
       ),
       picked AS (
         SELECT ranked.id FROM ranked LEFT JOIN busy ON busy.client_id = ranked.client_id
         WHERE ranked.turn + COALESCE(busy.n, 0) <= $6
         ORDER BY ranked.turn + COALESCE(busy.n, 0), ranked.next_attempt_at, ranked.id LIMIT $3
       )
       UPDATE callbacks SET next_attempt_at = $1
       WHERE id IN (
         SELECT id FROM callbacks
         WHERE id IN (SELECT id FROM picked) AND delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= $2
         FOR UPDATE SKIP LOCKED)
       RETURNING id, task_id, COALESCE((SELECT t.client_id FROM tasks t WHERE t.id = callbacks.task_id), '') AS client_id,
                 url, attempts, $2::bigint AS next_attempt_at, created_at`,
      [now + leaseMs, now, slots.limit, busy.map(([client]) => client), busy.map(([, n]) => n), slots.perClient],
    );
    return rows.map(toDelivery);
  }

  async markDelivered(id: number, at: number): Promise<void> {
    await this.pool.query('UPDATE callbacks SET delivered_at = $1, attempts = attempts + 1 WHERE id = $2', [at, id]);
  }

  async markAttempt(id: number, error: string, nextAttemptAt: number | undefined): Promise<void> {
    if (nextAttemptAt === undefined) {
      await this.pool.query('UPDATE callbacks SET attempts = attempts + 1, last_error = $1, gave_up_at = $2 WHERE id = $3', [
        error,
        Date.now(),
        id,
      ]);
    } else {
      await this.pool.query('UPDATE callbacks SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3', [
        error,
        nextAttemptAt,
        id,
      ]);
    }
  }
}
