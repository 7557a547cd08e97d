// A clone with nothing beside it passes the tests: no test and not the CI script reads data from
// outside the repository (the evaluation set beside it is `npm run eval`'s and the benches' alone;
// the tests' data is test/fixtures/, README.md there). A string check over test/ and .ci/: a
// mention of the shared folder, a relative path that climbs out of the repository from the file
// that holds it, or an absolute path into a home or work folder.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FOLDERS = ['test', '.ci'];
/** Binary fixtures and other data are not code: no path in them is read. */
const DATA = /\.(png|jpe?g|webp|gz|npy|onnx|csv)$/i;

function textFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return textFiles(path);
    return DATA.test(entry.name) ? [] : [path];
  });
}

/** The shared folder beside the repository: `../shared`, or a quoted `shared` path segment. */
const SHARED = /\.\.\/shared\b|['"`]shared(?:\/|['"`])/g;
/** A quoted relative path made of `..` segments first: `'../..'`, `"../../x"`. */
const CLIMB = /(['"`])((?:\.\.\/)*\.\.(?:\/[^'"`\s]*)?)\1/g;
/** Absolute paths where a machine keeps people's and projects' files, not its tools. */
const PRIVATE = /(['"`\s=(])(\/(?:work|home|Users|root|mnt|media|srv)\/[^'"`\s)]*)/g;

/** Every place in these files that reads, or could read, something outside the repository. */
export function outsideReferences(files: { path: string; text: string }[]): string[] {
  const found: string[] = [];
  for (const { path, text } of files) {
    for (const match of text.matchAll(SHARED)) found.push(`${path}: ${match[0]}`);
    for (const match of text.matchAll(CLIMB)) {
      // Resolved from the file's own folder (import.meta.dirname, dirname "$0"): the widest reading.
      const target = relative(ROOT, resolve(ROOT, dirname(path), match[2]!));
      if (target === '..' || target.startsWith('../')) found.push(`${path}: ${match[2]} leaves the repository`);
    }
    for (const match of text.matchAll(PRIVATE)) found.push(`${path}: ${match[2]}`);
  }
  return found;
}

describe('tests that a lone clone passes', () => {
  const files = FOLDERS.flatMap(textFiles)
    .filter((path) => !path.endsWith('self-contained.test.ts')) // its examples below
    .map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));

  it('read nothing outside the repository, in test/ and .ci/', () => {
    expect(files.some((f) => f.path === '.ci/run')).toBe(true);
    expect(files.length).toBeGreaterThan(100);
    expect(outsideReferences(files)).toEqual([]);
  });

  it('would catch the shared folder, a path that climbs out, and a home folder', () => {
    const made = [
      { path: 'test/helpers/server.ts', text: "export const DATA = resolve(REPO, '../shared');" },
      { path: 'test/pipeline/x.test.ts', text: "const dir = resolve(import.meta.dirname, '../../../data');" },
      { path: 'test/x.test.ts', text: "readFileSync('/home/me/photo.jpg'); join(REPO, '..', 'shared')" },
      // Inside: the repository root from a test folder, system tools, a folder of its own.
      { path: 'test/helpers/y.ts', text: `resolve(import.meta.dirname, '../..'); '/usr/bin/chromium'; join(REPO, 'sharedChunk')` },
      { path: '.ci/run', text: 'cd "$(dirname "$0")/.."' },
    ];
    expect(outsideReferences(made)).toEqual([
      'test/helpers/server.ts: ../shared',
      'test/pipeline/x.test.ts: ../../../data leaves the repository',
      "test/x.test.ts: 'shared'",
      'test/x.test.ts: /home/me/photo.jpg',
    ]);
  });
});
