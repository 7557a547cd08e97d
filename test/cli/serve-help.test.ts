// `depthmill serve --help` is where an operator looks first: it lists every variable the server
// reads (config.ts) and every one docs/operations.md's tables document, with its default.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, REPO, tempDir } from '../helpers/server.js';

describe('serve --help', () => {
  const help = cli(tempDir('help'), ['serve', '--help']);

  it('lists every variable the server reads', () => {
    expect(help.status).toBe(0);
    const source = ['src/config.ts', 'src/models/model-cache.ts', 'src/models/cache-dir.mjs']
      .map((file) => readFileSync(join(REPO, file), 'utf8'))
      .join('\n');
    const read = new Set([...source.matchAll(/env\.((?:DEPTHMILL_|PORT|HOST)[A-Z0-9_]*)/g)].map((match) => match[1]!));
    expect(read.size).toBeGreaterThan(30);
    for (const name of read) expect(help.stdout, name).toMatch(new RegExp(`^\\s+${name}\\s+\\S`, 'm'));
  });

  it("lists every variable of docs/operations.md's tables, with the same default where the table gives a number", () => {
    const operations = readFileSync(join(REPO, 'docs/operations.md'), 'utf8');
    const rows = operations.split('\n').filter((line) => /^\| `(?:DEPTHMILL_|PORT)/.test(line));
    expect(rows.length).toBeGreaterThan(15);
    for (const row of rows) {
      const [, names = '', fallback = ''] = row.split('|').map((cell) => cell.trim());
      for (const [, name] of names.matchAll(/`([A-Z0-9_]+)(?:=[^`]*)?`/g)) {
        const line = help.stdout.split('\n').find((candidate) => new RegExp(`^\\s+${name}\\s`).test(candidate));
        expect(line, `${name} is in docs/operations.md's table but not in serve --help`).toBeDefined();
        if (/^\d+$/.test(fallback)) expect(line, name).toContain(`(default ${fallback})`);
      }
    }
  });
});
