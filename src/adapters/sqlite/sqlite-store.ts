// Tasks, clients, settings and callback deliveries in one SQLite file (the embedded default).
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type {
  Admission,
  CallbackDelivery,
  CallbackSlots,
  CreditChange,
  CallbackStore,
  Client,
  RoomCheck,
  ClientStore,
  TaskOutcome,
  TaskStore,
} from '../../tasks/ports.js';
import { StorageFull } from '../../contract/errors.js';
import type { Task } from '../../contract/task.js';
import { openDatabase } from './database.js';
import { toTaskCounts, type TaskCountRow } from '../task-counts.js';
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

/**
 * Space kept beside the database for one purpose: recording how tasks ended once the disk is full
 * (a task must never stay `processing` because its failure could not be written).
 */
const RESERVE_BYTES = 4 * 1024 * 1024;

const isFull = (error: unknown) => (error as { code?: string }).code === 'SQLITE_FULL';

export class SqliteStore implements TaskStore, ClientStore, CallbackStore {
  private readonly db: Database.Database;
  private readonly reservePath: string;

  constructor(path: string) {
    this.db = openDatabase(path);
    this.reservePath = `${path}.reserve`;
    this.keepReserve();
  }

  /** Makes the reserve when it is missing and there is room (at start-up, and once space is back). */
  private keepReserve(): void {
    if (existsSync(this.reservePath)) return;
    try {
      writeFileSync(this.reservePath, Buffer.alloc(RESERVE_BYTES), { mode: 0o600 });
    } catch {
      rmSync(this.reservePath, { force: true });
    }
  }

  close(): void {
    this.db.close();
  }

  async insertWithinQuota(task: Task, quota: number, room?: RoomCheck): Promise<Admission> {
    // IMMEDIATE: the write lock is taken before the count, so other processes wait for this step.
    try {
      return this.insertTransaction(task, quota, room);
    } catch (error) {
      if (isFull(error)) throw new StorageFull('the database disk is full', { cause: error });
      throw error;
    }
  }

  private insertTransaction(task: Task, quota: number, room: RoomCheck | undefined): Admission {
    return this.db
      .transaction((): Admission => {
        const { n } = this.db
          .prepare(`SELECT count(*) AS n FROM tasks WHERE client_id = ? AND state NOT IN ('success', 'failed')`)
          .get(task.clientId) as { n: number };
        if (n >= quota) return { accepted: false, reason: 'quota' };
        if (room) {
          const { kept } = this.db
            .prepare(`SELECT COALESCE(SUM(result_reserve), 0) AS kept FROM tasks WHERE state NOT IN ('success', 'failed')`)
            .get() as { kept: number };
          if (kept + room.reserve > room.free) return { accepted: false, reason: 'storage' };
        }
        const cost = task.credits ?? 0;
        const { balance } = (this.db.prepare('SELECT balance FROM clients WHERE id = ?').get(task.clientId) as
          { balance: number | null } | undefined) ?? { balance: null };
        if (balance !== null && balance < cost) return { accepted: false, reason: 'balance', balance };
        const taken = balance === null ? 0 : cost;
        if (taken > 0) this.db.prepare('UPDATE clients SET balance = balance - ? WHERE id = ?').run(taken, task.clientId);
        const values = taskInsertValues(task, taken, room?.reserve ?? 0);
        this.db.prepare(`INSERT INTO tasks (${TASK_INSERT_COLUMNS}) VALUES (${values.map(() => '?').join(', ')})`).run(...values);
        return { accepted: true, credits: taken };
      })
      .immediate();
  }

  /** Gives a task's credits back to its client, when the client is metered (inside a transaction). */
  private refund(row: { client_id: string; credits: number }): void {
    if (row.credits > 0)
      this.db.prepare('UPDATE clients SET balance = balance + ? WHERE id = ? AND balance IS NOT NULL').run(row.credits, row.client_id);
  }

  async removeUnacknowledged(id: string): Promise<void> {
    this.db
      .transaction(() => {
        const row = this.db.prepare(`DELETE FROM tasks WHERE id = ? AND state = 'created' RETURNING client_id, credits`).get(id) as
          { client_id: string; credits: number } | undefined;
        if (row) this.refund(row);
      })
      .immediate();
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async get(id: string): Promise<Task | undefined> {
    const row = this.db.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow | undefined;
    return row && toTask(row);
  }

  async setProgress(id: string, progress: number): Promise<void> {
    this.db.prepare(`UPDATE tasks SET progress = ? WHERE id = ? AND state = 'processing' AND progress < ?`).run(progress, id, progress);
  }

  async setState(id: string, state: 'created' | 'queueing' | 'processing'): Promise<boolean> {
    const result = this.db
      .prepare(`UPDATE tasks SET state = ?, updated_at = ? WHERE id = ? AND state NOT IN ('success', 'failed')`)
      .run(state, Date.now(), id);
    return result.changes === 1;
  }

  async finish(id: string, outcome: TaskOutcome): Promise<boolean> {
    const resultKey = outcome.state === 'success' ? outcome.resultKey : null;
    const depthModel = outcome.state === 'success' ? outcome.depthModel : null;
    const mesh = outcome.state === 'success' && outcome.mesh ? JSON.stringify(outcome.mesh) : null;
    const error = outcome.state === 'failed' ? outcome.error : null;
    const now = Date.now();
    const record = () =>
      this.db
        .transaction(() => {
          const result = this.db
            .prepare(
              `UPDATE tasks SET state = ?, result_key = ?, depth_model = ?, mesh = ?, error = ?, updated_at = ?
           WHERE id = ? AND state NOT IN ('success', 'failed')`,
            )
            .run(outcome.state, resultKey, depthModel, mesh, error, now, id);
          if (result.changes !== 1) return false;
          const row = this.db.prepare('SELECT params, client_id, credits FROM tasks WHERE id = ?').get(id) as {
            params: string;
            client_id: string;
            credits: number;
          };
          if (outcome.state === 'failed') this.refund(row);
          const callbackUrl = (JSON.parse(row.params) as Task['params']).callbackUrl;
          if (callbackUrl) {
            this.db
              .prepare('INSERT INTO callbacks (task_id, url, next_attempt_at, created_at) VALUES (?, ?, ?, ?)')
              .run(id, callbackUrl, now, now);
          }
          return true;
        })
        .immediate();
    try {
      const recorded = record();
      this.keepReserve();
      return recorded;
    } catch (error) {
      if (!isFull(error)) throw error;
      // The disk is full: give the reserve's room to this record, the one write that must happen.
      rmSync(this.reservePath, { force: true });
      return record();
    }
  }

  async listUnfinished(): Promise<Task[]> {
    const rows = this.db.prepare(`SELECT * FROM tasks WHERE state NOT IN ('success', 'failed') ORDER BY created_at`).all() as TaskRow[];
    return rows.map(toTask);
  }

  async countByState() {
    const rows = this.db
      .prepare(
        `SELECT state, json_extract(params, '$.format') AS format, json_extract(params, '$.reliefMode') AS relief_mode, count(*) AS n
         FROM tasks GROUP BY 1, 2, 3`,
      )
      .all() as TaskCountRow[];
    return toTaskCounts(rows);
  }

  async listExpirable(before: number, limit: number): Promise<Task[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM tasks WHERE expired_at IS NULL AND state IN ('success', 'failed') AND updated_at < ? ORDER BY updated_at LIMIT ?`,
      )
      .all(before, limit) as TaskRow[];
    return rows.map(toTask);
  }

  async markExpired(id: string, at: number): Promise<void> {
    this.db.prepare('UPDATE tasks SET expired_at = ? WHERE id = ?').run(at, id);
  }

  async insertClient(client: Client): Promise<void> {
    this.db
      .prepare('INSERT INTO clients (id, name, secret_hash, callback_key, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(client.id, client.name, client.secretHash, client.callbackKey, client.createdAt, client.revokedAt ?? null);
  }

  async getClient(id: string): Promise<Client | undefined> {
    const row = this.db.prepare('SELECT * FROM clients WHERE id = ?').get(id) as ClientRow | undefined;
    return row && toClient(row);
  }

  async listClients(): Promise<Client[]> {
    const rows = this.db.prepare('SELECT * FROM clients ORDER BY created_at').all() as ClientRow[];
    return rows.map(toClient);
  }

  async revokeClient(id: string, at: number): Promise<boolean> {
    const result = this.db.prepare('UPDATE clients SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?').run(at, id);
    return result.changes === 1;
  }

  async addCredits(id: string, amount: number): Promise<CreditChange> {
    const row = this.db
      .prepare('UPDATE clients SET balance = coalesce(balance, 0) + ? WHERE id = ? AND coalesce(balance, 0) + ? >= 0 RETURNING balance')
      .get(amount, id, amount) as { balance: number } | undefined;
    if (row) return { balance: row.balance };
    return (await this.getClient(id)) ? 'below zero' : 'unknown client';
  }

  async makeUnlimited(id: string): Promise<boolean> {
    return this.db.prepare('UPDATE clients SET balance = NULL WHERE id = ?').run(id).changes === 1;
  }

  async serverSecret(): Promise<Buffer> {
    // INSERT OR IGNORE: when several processes start at once, the first one's secret wins for all.
    this.db.prepare(`INSERT OR IGNORE INTO settings (name, value) VALUES ('server_secret', ?)`).run(randomBytes(32));
    const row = this.db.prepare(`SELECT value FROM settings WHERE name = 'server_secret'`).get() as { value: Buffer };
    return row.value;
  }

  async claimDue(now: number, leaseMs: number, slots: CallbackSlots): Promise<CallbackDelivery[]> {
    return this.db
      .transaction(() => {
        // Each client's due deliveries numbered oldest first (its turn); a client's busy count
        // (json_each of {client: n}) moves its turns back, and turns beyond perClient wait.
        const rows = this.db
          .prepare(
            `WITH ranked AS (
             SELECT c.id, c.task_id, COALESCE(t.client_id, '') AS client_id, c.url, c.attempts, c.next_attempt_at, c.created_at,
                    ROW_NUMBER() OVER (PARTITION BY COALESCE(t.client_id, '') ORDER BY c.next_attempt_at, c.id) AS turn
             FROM callbacks c LEFT JOIN tasks t ON t.id = c.task_id
             WHERE c.delivered_at IS NULL AND c.gave_up_at IS NULL AND c.next_attempt_at <= ?
           )
           SELECT ranked.id, task_id, client_id, url, attempts, next_attempt_at, created_at
           FROM ranked LEFT JOIN json_each(?) AS busy ON busy.key = ranked.client_id
           WHERE ranked.turn + COALESCE(busy.value, 0) <= ?
           ORDER BY ranked.turn + COALESCE(busy.value, 0), ranked.next_attempt_at, ranked.id LIMIT ?`,
          )
          .all(now, JSON.stringify(Object.fromEntries(slots.busy)), slots.perClient, slots.limit) as CallbackRow[];
        const lease = this.db.prepare('UPDATE callbacks SET next_attempt_at = ? WHERE id = ?');
        for (const row of rows) lease.run(now + leaseMs, row.id);
        return rows.map(toDelivery);
      })
      .immediate();
  }

  async markDelivered(id: number, at: number): Promise<void> {
    this.db.prepare('UPDATE callbacks SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?').run(at, id);
  }

  async markAttempt(id: number, error: string, nextAttemptAt: number | undefined): Promise<void> {
    if (nextAttemptAt === undefined) {
      this.db
        .prepare('UPDATE callbacks SET attempts = attempts + 1, last_error = ?, gave_up_at = ? WHERE id = ?')
        .run(error, Date.now(), id);
    } else {
      this.db
        .prepare('UPDATE callbacks SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?')
        .run(error, nextAttemptAt, id);
    }
  }
}
