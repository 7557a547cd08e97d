// Opens the SQLite database and brings its schema up to date. Migrations are numbered and run in
// one transaction each; user_version records how far a file has come, so opening is idempotent.
// The same schema as postgres/migrations.ts in the other dialect, migration for migration:
// test/distributed/schema-parity.test.ts checks both, column for column.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

const MIGRATIONS: string[] = [
  `CREATE TABLE tasks (
     id TEXT PRIMARY KEY,
     client_id TEXT NOT NULL,
     state TEXT NOT NULL,
     params TEXT NOT NULL,
     input_key TEXT NOT NULL,
     result_key TEXT,
     error TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX tasks_unfinished ON tasks (state) WHERE state NOT IN ('success', 'failed');
   CREATE INDEX tasks_client ON tasks (client_id, state);
   CREATE TABLE clients (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     callback_key TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE TABLE settings (name TEXT PRIMARY KEY, value BLOB NOT NULL);
   CREATE TABLE callbacks (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     task_id TEXT NOT NULL,
     url TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     delivered_at INTEGER,
     gave_up_at INTEGER,
     last_error TEXT
   );
   CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;`,
  `ALTER TABLE tasks ADD COLUMN expired_at INTEGER;
   CREATE INDEX tasks_expirable ON tasks (updated_at) WHERE expired_at IS NULL AND state IN ('success', 'failed');`,
  `ALTER TABLE tasks ADD COLUMN depth_model TEXT;`,
  // The user's own mask (create-task's `mask` file), a second input blob.
  `ALTER TABLE tasks ADD COLUMN mask_key TEXT;`,
  // A relief's MeshSummary (triangles, shells) as JSON.
  `ALTER TABLE tasks ADD COLUMN mesh TEXT;`,
  // Credits: a client's balance (NULL: unlimited, the default) and what each task took from it.
  `ALTER TABLE clients ADD COLUMN balance INTEGER;
   ALTER TABLE tasks ADD COLUMN credits INTEGER NOT NULL DEFAULT 0;`,
  // How far a processing task is (query-task's progress), a few writes per task.
  `ALTER TABLE tasks ADD COLUMN progress INTEGER NOT NULL DEFAULT 0;`,
  // Disk kept for the result while the task is unfinished (create-task's estimate; 0: none kept).
  `ALTER TABLE tasks ADD COLUMN result_reserve INTEGER NOT NULL DEFAULT 0;`,
];

export function openDatabase(path: string): Database.Database {
  // The file holds the key that signs every token and download link: the owner's only (0600, in
  // a 0700 directory when it makes one), also for a file an older version made 0644. SQLite gives
  // its -wal and -shm files the database file's mode.
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
  const db = new Database(path);
  // WAL: readers (query-task) never wait for the writer; the CLI can use the file while the server runs.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version += 1) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
