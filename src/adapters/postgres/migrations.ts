// PostgreSQL schema migrations, run at start by every process. An advisory lock held for the
// transaction makes concurrent starts take turns: the first applies, the others find nothing to do.
// The same schema as sqlite/database.ts in the other dialect, migration for migration:
// test/distributed/schema-parity.test.ts checks both, column for column.
import type pg from 'pg';

const MIGRATIONS: string[] = [
  `CREATE TABLE tasks (
     id TEXT PRIMARY KEY,
     client_id TEXT NOT NULL,
     state TEXT NOT NULL,
     params TEXT NOT NULL,
     input_key TEXT NOT NULL,
     result_key TEXT,
     error TEXT,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL
   );
   CREATE INDEX tasks_unfinished ON tasks (state) WHERE state NOT IN ('success', 'failed');
   CREATE INDEX tasks_client ON tasks (client_id, state);
   CREATE TABLE clients (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     callback_key TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     revoked_at BIGINT
   );
   CREATE TABLE settings (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
   CREATE TABLE callbacks (
     id BIGSERIAL PRIMARY KEY,
     task_id TEXT NOT NULL,
     url TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at BIGINT NOT NULL,
     created_at BIGINT NOT NULL,
     delivered_at BIGINT,
     gave_up_at BIGINT,
     last_error TEXT
   );
   CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;`,
  `ALTER TABLE tasks ADD COLUMN expired_at BIGINT;
   CREATE INDEX tasks_expirable ON tasks (updated_at) WHERE expired_at IS NULL AND state IN ('success', 'failed');`,
  `ALTER TABLE tasks ADD COLUMN depth_model TEXT;`,
  // The user's own mask (create-task's `mask` file), a second input blob.
  `ALTER TABLE tasks ADD COLUMN mask_key TEXT;`,
  // A relief's MeshSummary (triangles, shells) as JSON.
  `ALTER TABLE tasks ADD COLUMN mesh TEXT;`,
  // Credits: a client's balance (NULL: unlimited, the default) and what each task took from it.
  `ALTER TABLE clients ADD COLUMN balance BIGINT;
   ALTER TABLE tasks ADD COLUMN credits BIGINT NOT NULL DEFAULT 0;`,
  // How far a processing task is (query-task's progress), a few writes per task.
  `ALTER TABLE tasks ADD COLUMN progress INTEGER NOT NULL DEFAULT 0;`,
  // Disk kept for the result while the task is unfinished (create-task's estimate; 0: none kept).
  `ALTER TABLE tasks ADD COLUMN result_reserve BIGINT NOT NULL DEFAULT 0;`,
];

export async function migrate(pool: pg.Pool, schema: string | undefined): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('depthmill-migrations:' || $1))`, [schema ?? 'public']);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS depthmill_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM depthmill_migrations');
    for (let version = rows[0]?.version ?? 0; version < MIGRATIONS.length; version += 1) {
      await client.query(MIGRATIONS[version]!);
      await client.query('INSERT INTO depthmill_migrations (version) VALUES ($1)', [version + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
