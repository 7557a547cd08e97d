// `depthmill clients`: create prints the secret once, list never shows it, revoke needs a real id.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/server.js';

it('creates, lists and revokes clients, storing only a hash of the secret', () => {
  const data = tempDir('cli');
  const created = cli(data, ['clients', 'create', 'maker-lab', '--json']);
  expect(created.status).toBe(0);
  const { client_id, client_secret } = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
  expect(client_id).toMatch(/^dm_[0-9a-f]{24}$/);
  expect(client_secret.length).toBeGreaterThanOrEqual(40);

  const human = cli(data, ['clients', 'create', 'studio']);
  expect(human.stdout).toMatch(/client_secret: \S+/);
  expect(human.stdout).toMatch(/cannot be shown again/);

  const listed = cli(data, ['clients', 'list', '--json']);
  expect(listed.status).toBe(0);
  const rows = JSON.parse(listed.stdout) as { client_id: string; name: string; revoked_at: string | null }[];
  expect(rows.map((row) => row.name)).toEqual(['maker-lab', 'studio']);
  expect(listed.stdout).not.toContain(client_secret);
  // The secret is nowhere in the database file, not even in the write-ahead log.
  for (const file of ['depthmill.sqlite', 'depthmill.sqlite-wal']) {
    try {
      expect(readFileSync(join(data, file)).includes(client_secret)).toBe(false);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  expect(cli(data, ['clients', 'revoke', client_id]).status).toBe(0);
  const after = JSON.parse(cli(data, ['clients', 'list', '--json']).stdout) as { client_id: string; revoked_at: string | null }[];
  expect(after.find((row) => row.client_id === client_id)?.revoked_at).toMatch(/^\d{4}-/);

  const unknown = cli(data, ['clients', 'revoke', 'dm_nope']);
  expect(unknown.status).not.toBe(0);
  expect(unknown.stderr).toMatch(/no client with id dm_nope/);
});

it('answers --help for every command and fails on an unknown one', () => {
  const data = tempDir('cli-help');
  for (const args of [['--help'], ['serve', '--help'], ['clients', '--help'], ['clients', 'create', '--help']]) {
    const result = cli(data, args);
    expect(result.status, args.join(' ')).toBe(0);
    expect(result.stdout).toMatch(/Usage: depthmill/);
  }
  const wrong = cli(data, ['frobnicate']);
  expect(wrong.status).not.toBe(0);
  expect(wrong.stderr).toMatch(/unknown command/);
});
