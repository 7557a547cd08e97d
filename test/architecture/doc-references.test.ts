// Comments that send a reader to a document must send them somewhere that exists: a heading of
// README.md, docs/API.md or docs/ARCHITECTURE.md written in quotes after the document's name
// (`README "Depth quality"`, `docs/API.md "Outputs"`; a heading may be cited by its first words),
// and no document that is not in the repository (the design notes it grew from stayed outside).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FOLDERS = ['src', 'packages/client/src', 'web/src', 'bench', 'scripts', 'test'];

function codeFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return codeFiles(path);
    return /\.(ts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

function headingsOf(path: string): string[] {
  return readFileSync(join(ROOT, path), 'utf8')
    .split('\n')
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) => line.replace(/^#+ /, '').trim());
}

const DOCUMENTS: Record<string, string> = { README: 'README.md', 'API.md': 'docs/API.md', 'ARCHITECTURE.md': 'docs/ARCHITECTURE.md' };
/** A document's name, then one or more quoted headings (`README "A", "B"`). */
const CITATION = /\b(README|(?:docs\/)?API\.md|(?:docs\/)?ARCHITECTURE\.md)\b((?:[ ,:(]*"[^"\n]+")+)/g;
const OUTSIDE = /\bDESIGN\.md\b|shared\/API\.md/g;

/** Every citation in the code whose heading is not in its document, and every document that is not here. */
function brokenReferences(files: { path: string; text: string }[]): string[] {
  const headings = Object.fromEntries(Object.entries(DOCUMENTS).map(([name, path]) => [name, headingsOf(path)]));
  const broken: string[] = [];
  for (const { path, text } of files) {
    for (const citation of text.matchAll(CITATION)) {
      const document = citation[1]!.replace('docs/', '');
      for (const [, heading] of citation[2]!.matchAll(/"([^"]+)"/g)) {
        if (!headings[document]!.some((title) => title.startsWith(heading!))) broken.push(`${path}: ${document} "${heading}"`);
      }
    }
    for (const outside of text.matchAll(OUTSIDE)) broken.push(`${path}: ${outside[0]} is not in the repository`);
  }
  return broken;
}

describe('references from the code to the documents', () => {
  const files = FOLDERS.flatMap(codeFiles)
    .filter((path) => !path.endsWith('doc-references.test.ts'))
    .map((path) => ({ path: relative(ROOT, join(ROOT, path)), text: readFileSync(join(ROOT, path), 'utf8') }));

  it('cite headings that exist, in documents that are in the repository', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(brokenReferences(files)).toEqual([]);
  });

  it('would catch a heading that is gone and a document from outside', () => {
    const made = [{ path: 'x.ts', text: '// see README "No such heading" and DESIGN.md, then API.md "Outputs"' }];
    expect(brokenReferences(made)).toEqual(['x.ts: README "No such heading"', 'x.ts: DESIGN.md is not in the repository']);
  });
});
