// What `depthmill generate` works on: files as named, the photos in folders, and glob patterns
// (quoted, so the shell leaves them alone: "shoots/**/*.jpg"). Node 20 has no fs.glob, hence the
// small matcher below: *, ?, **, [abc] and {a,b}.
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Photos a folder or a pattern contributes (a file named explicitly is taken whatever its name). */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/**
 * Depth maps an earlier run wrote beside its photos (`cat.depth.png`), and the masks of
 * `--mask-out` (`cat.mask.png`): never inputs themselves.
 */
export function isDepthOutput(path: string): boolean {
  return /\.(depth\.[^.]+|mask\.png)$/i.test(basename(path));
}

function isPhoto(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase()) && !isDepthOutput(path);
}

function hasMagic(segment: string): boolean {
  return /[*?[{]/.test(segment);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+^$()|\\/]/g, '\\$&');
}

/** A glob (posix separators) as a regular expression over paths relative to its base folder. */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        out += slash ? '(?:[^/]*/)*' : '.*';
        i += slash ? 2 : 1;
      } else {
        out += '[^/]*';
      }
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) {
        out += '\\[';
      } else {
        const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = end;
      }
    } else if (char === '{') {
      const end = pattern.indexOf('}', i);
      if (end === -1) {
        out += '\\{';
      } else {
        out += `(?:${pattern.slice(i + 1, end).split(',').map(escapeRegExp).join('|')})`;
        i = end;
      }
    } else {
      out += escapeRegExp(char);
    }
  }
  return new RegExp(`^${out}$`);
}

async function walk(dir: string, recursive: boolean, onFile: (path: string) => void): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive && !entry.name.startsWith('.') && entry.name !== 'node_modules') await walk(path, true, onFile);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      onFile(path);
    }
  }
}

async function expandGlob(pattern: string, cwd: string): Promise<string[]> {
  const posix = pattern.split(sep).join('/');
  const segments = posix.split('/');
  const magicAt = segments.findIndex(hasMagic);
  const baseSegments = segments.slice(0, magicAt);
  const base = resolve(cwd, baseSegments.join('/') || (posix.startsWith('/') ? '/' : '.'));
  const rest = segments.slice(magicAt).join('/');
  const matcher = globToRegExp(rest);
  const recursive = rest.includes('/') || rest.includes('**');
  const found: string[] = [];
  await walk(base, recursive, (path) => {
    if (matcher.test(relative(base, path).split(sep).join('/'))) found.push(path);
  });
  return found;
}

export interface ExpandedInputs {
  /** Absolute paths, in the order given (folders and patterns sorted by name), each once. */
  files: string[];
  /** Arguments that named nothing, with why. */
  problems: string[];
}

export async function expandInputs(args: string[], cwd = process.cwd()): Promise<ExpandedInputs> {
  const files: string[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (path: string) => {
    if (!seen.has(path)) {
      seen.add(path);
      files.push(path);
    }
  };
  for (const arg of args) {
    const path = isAbsolute(arg) ? arg : resolve(cwd, arg);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) {
      add(path);
    } else if (info?.isDirectory()) {
      const photos: string[] = [];
      await walk(path, false, (file) => isPhoto(file) && photos.push(file));
      if (photos.length === 0) problems.push(`${arg}: no photos in this folder (looked for ${[...IMAGE_EXTENSIONS].join(', ')})`);
      photos.sort().forEach(add);
    } else if (hasMagic(arg)) {
      const matches = (await expandGlob(arg, cwd)).filter(isPhoto);
      if (matches.length === 0) problems.push(`${arg}: no photo matches this pattern`);
      matches.sort().forEach(add);
    } else {
      problems.push(`${arg}: no such file or folder`);
    }
  }
  return { files, problems };
}
