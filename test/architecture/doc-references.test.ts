// Comments that send a reader to a document must send them somewhere that exists: a heading of
// README.md or of a page of docs/ written in quotes after the document's name (`docs/API.md
// "Outputs"`, `docs/models-and-quality.md "Depth quality"`; a heading may be cited by its first
// words), and no document that is not in the repository (the design notes it grew from stayed
// outside). The documents' own relative links must lead to a file that exists and, with a
// `#fragment`, to one of its headings.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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

/** The pages of docs/ by file name, and the README. */
const PAGES = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));
const DOCUMENTS: Record<string, string> = { README: 'README.md', ...Object.fromEntries(PAGES.map((name) => [name, `docs/${name}`])) };
/** A document's name, then one or more quoted headings (`README "A", "B"`, `docs/API.md "Outputs"`). */
const CITATION = new RegExp(
  `\\b(README|(?:docs/)?(?:${PAGES.map((name) => name.replace(/[.-]/g, '\\$&')).join('|')}))\\b((?:[ ,:(]*"[^"\\n]+")+)`,
  'g',
);
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

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (those in fenced code are not headings). */
function anchorsOf(markdown: string): Set<string> {
  let fenced = false;
  const anchors = new Set<string>();
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced && /^#{1,6} /.test(line)) anchors.add(anchorOf(line.replace(/^#+ /, '').trim()));
  }
  return anchors;
}

/** Every relative link of a document (`[text](path#anchor)`) whose file or heading does not exist. */
function brokenLinks(documents: { path: string; text: string }[], read: (path: string) => string | undefined): string[] {
  const broken: string[] = [];
  for (const { path, text } of documents) {
    const prose = text.replace(/^```[\s\S]*?^```/gm, '');
    for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:: not ours to check
      const [file = '', anchor] = target!.split('#');
      const linked = file === '' ? path : join(dirname(path), file);
      const content = read(linked);
      if (content === undefined) broken.push(`${path}: ${target} (no such file)`);
      else if (anchor !== undefined && linked.endsWith('.md') && !anchorsOf(content).has(anchor))
        broken.push(`${path}: ${target} (no such heading)`);
    }
  }
  return broken;
}

describe('links between the documents', () => {
  const readRepo = (path: string) => {
    const full = join(ROOT, path);
    if (!existsSync(full)) return undefined;
    return statSync(full).isFile() ? readFileSync(full, 'utf8') : '';
  };
  // The SDK's README too: it is the page npm shows for @depthmill/client, and links back into docs/.
  const documents = [...Object.values(DOCUMENTS), 'packages/client/README.md'].map((path) => ({
    path,
    text: readFileSync(join(ROOT, path), 'utf8'),
  }));

  it('lead to files and headings that exist', () => {
    expect(documents.length).toBeGreaterThan(5);
    expect(brokenLinks(documents, readRepo)).toEqual([]);
  });

  it('would catch a missing file and a missing heading', () => {
    const made = [{ path: 'docs/x.md', text: '# Title\n\n[a](y.md) [b](#title) [c](#gone) [d](API.md#outputs) [e](https://example.org)' }];
    const files: Record<string, string> = { 'docs/x.md': made[0]!.text, 'docs/API.md': '## Outputs\n' };
    expect(brokenLinks(made, (path) => files[path])).toEqual(['docs/x.md: y.md (no such file)', 'docs/x.md: #gone (no such heading)']);
  });
});
