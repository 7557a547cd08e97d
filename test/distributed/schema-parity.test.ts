// The two stores write their SQL schema each in its own dialect (adapters/sqlite/database.ts,
// adapters/postgres/migrations.ts): here, that a fresh database of each, migrated to the end,
// holds the same tables with the same columns, of the same kind and nullability, with the same
// defaults, and the same primary keys: a migration added to one and not the other fails here.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/adapters/postgres/postgres-store.js';
import { openDatabase } from '../../src/adapters/sqlite/database.js';
import { tempDir } from '../helpers/server.js';

interface Column {
  table: string;
  column: string;
  /** integer, text, bytes or real: the dialects' types compared by what they hold. */
  kind: string;
  nullable: boolean;
  /** The default as a plain value (quotes and casts dropped), or null. */
  default: string | null;
  primaryKey: boolean;
}

function kindOf(type: string): string {
  const lower = type.toLowerCase();
  if (/int/.test(lower)) return 'integer';
  if (/char|text|clob/.test(lower)) return 'text';
  if (/blob|bytea/.test(lower)) return 'bytes';
  if (/real|floa|doub|numeric/.test(lower)) return 'real';
  return lower;
}

/** A numbered key the database assigns: PostgreSQL's serial (a sequence), SQLite's INTEGER PRIMARY KEY (the rowid). */
const ASSIGNED = 'assigned by the database';

function plainDefault(value: string | null): string | null {
  if (value === null) return null;
  if (value.startsWith('nextval(')) return ASSIGNED;
  return value.replace(/::[a-z ]+$/i, '').replace(/^'(.*)'$/, '$1');
}

const byName = (a: Column, b: Column) => `${a.table}.${a.column}`.localeCompare(`${b.table}.${b.column}`);

function sqliteColumns(): Column[] {
  const db = openDatabase(join(tempDir('schema-parity'), 'depthmill.db'));
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
      name: string;
    }[];
    return tables
      .flatMap(({ name }) =>
        (
          db.prepare(`PRAGMA table_info(${name})`).all() as {
            name: string;
            type: string;
            notnull: number;
            dflt_value: string | null;
            pk: number;
          }[]
        ).map((column) => ({
          table: name,
          column: column.name,
          kind: kindOf(column.type),
          // SQLite lets a non-integer primary key hold NULL unless told; PostgreSQL never does.
          nullable: column.notnull === 0 && column.pk === 0,
          default: column.type.toUpperCase() === 'INTEGER' && column.pk === 1 ? ASSIGNED : plainDefault(column.dflt_value),
          primaryKey: column.pk > 0,
        })),
      )
      .sort(byName);
  } finally {
    db.close();
  }
}

const schema = `t_parity_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const admin = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', max: 1 });
afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

async function postgresColumns(): Promise<Column[]> {
  const store = await PostgresStore.open(`postgres://postgres@127.0.0.1:5432/test?schema=${schema}`);
  await store.close();
  const { rows } = await admin.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
    primary_key: boolean;
  }>(
    `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default,
            EXISTS (SELECT 1 FROM information_schema.key_column_usage k
                      JOIN information_schema.table_constraints t USING (constraint_schema, constraint_name)
                     WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema
                       AND k.table_name = c.table_name AND k.column_name = c.column_name) AS primary_key
       FROM information_schema.columns c
      WHERE c.table_schema = $1 AND c.table_name <> 'depthmill_migrations'`,
    [schema],
  );
  return rows
    .map((row) => ({
      table: row.table_name,
      column: row.column_name,
      kind: kindOf(row.data_type),
      nullable: row.is_nullable === 'YES',
      default: plainDefault(row.column_default),
      primaryKey: row.primary_key,
    }))
    .sort(byName);
}

describe('the SQL schema of both stores', () => {
  it('has the same tables and columns, column for column, once migrated', async () => {
    const sqlite = sqliteColumns();
    const postgres = await postgresColumns();
    expect(new Set(sqlite.map((column) => column.table))).toEqual(new Set(['tasks', 'clients', 'settings', 'callbacks']));
    expect(sqlite.length).toBeGreaterThan(20);
    expect(postgres).toEqual(sqlite);
  });
});
