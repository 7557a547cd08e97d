// What `depthmill generate` works on: files as named, the photos in folders, and glob patterns
// (quoted, so the shell leaves them alone: "shoots/**/*.jpg", "{cat,dog}*.jpg"), matched by
// tinyglobby (Node 20 has no fs.glob).
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';

/** Photos a folder or a pattern contributes (a file named explicitly is taken whatever its name). */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/**
 * Depth maps an earlier run wrote beside its photos (`cat.depth.png`), their normal maps
 * (`cat.normal.png`), and the masks of `--mask-out` (`cat.mask.png`): never inputs themselves.
 */
export function isDepthOutput(path: string): boolean {
  return /\.(depth\.[^.]+|normal\.png|mask\.png)$/i.test(basename(path));
}

function isPhoto(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase()) && !isDepthOutput(path);
}

function hasMagic(segment: string): boolean {
  return /[*?[{]/.test(segment);
}

/** The files directly in a folder. */
async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile() || entry.isSymbolicLink()).map((entry) => join(dir, entry.name));
}

/** Files a glob matches (tinyglobby: picomatch's *, ?, **, [abc], {a,b} and their nesting). */
function expandGlob(pattern: string, cwd: string): Promise<string[]> {
  // Globs take posix separators; a folder named on Windows may hold backslashes.
  return glob(pattern.split(sep).join('/'), {
    cwd,
    absolute: true,
    onlyFiles: true,
    ignore: ['**/node_modules/**'],
    expandDirectories: false,
  });
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
      const photos = (await filesIn(path)).filter(isPhoto);
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
