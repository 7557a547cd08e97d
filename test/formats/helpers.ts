/**
 * Shared bits for the format tests: test maps, a scratch folder under os.tmpdir(), and thin
 * wrappers around the independent readers (OpenEXR's exrheader, OpenImageIO's oiiotool).
 * A missing tool makes the test fail, never skip: CI installs `openexr` and `openimageio-tools`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../bench/eval/stats.js';
import type { DepthMap } from '../../src/raster/depth-map.js';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export const rng = mulberry32;

/** Values every map starts with (row 0): the ends of the range, an exact half, and awkward floats. */
export const EXACT_VALUES = [1, 0, 0.5, 1 / 3, 2 / 3, 0.25, 1e-7, 0.999999, 1 / 1024, 0.1];

/**
 * A diagonal gradient with EXACT_VALUES written over the start of row 0 and a little noise, so
 * neighbouring floats differ in their low bytes as real depth does. Alpha, when asked for, is a
 * disc of 1 with a soft edge and 0 outside; depth is 0 where alpha is 0, as the pipeline makes it.
 */
export function makeMap(width: number, height: number, withAlpha: boolean, seed = 1): DepthMap {
  const next = rng(seed);
  const n = width * height;
  const depth = new Float32Array(n);
  const alpha = withAlpha ? new Float32Array(n) : undefined;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const g = (x / Math.max(1, width - 1) + y / Math.max(1, height - 1)) / 2;
      depth[i] = Math.min(1, Math.max(0, g + (next() - 0.5) * 1e-3));
      if (alpha) {
        const r = Math.hypot(x - width / 2, y - height / 2) / (Math.min(width, height) / 2);
        alpha[i] = r < 0.8 ? 1 : r < 1 ? (1 - r) / 0.2 : 0;
        if (alpha[i] === 0) depth[i] = 0;
      }
    }
  }
  for (let i = 0; i < Math.min(EXACT_VALUES.length, n); i++) depth[i] = EXACT_VALUES[i] as number;
  return alpha ? { width, height, depth, alpha } : { width, height, depth };
}

export function makeTmpDir(): { dir: string; write: (name: string, bytes: Buffer) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'depthmill-formats-'));
  return {
    dir,
    write: (name, bytes) => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs an external reader and returns its stdout; a missing binary fails with a clear message. */
export function tool(bin: 'exrheader' | 'oiiotool', args: string[]): string {
  try {
    return execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      const pkg = bin === 'exrheader' ? 'openexr' : 'openimageio-tools';
      throw new Error(`${bin} is not installed (Debian package ${pkg}); the format tests need it`, { cause: err });
    }
    throw err;
  }
}

/**
 * Parses `oiiotool --info --dumpdata` output ("Pixel (x, y): v0 v1 (n0 n1)") into one array per
 * channel, row-major. Integer formats print the stored integers, float formats 9 decimals.
 */
export function parseDumpdata(text: string, width: number, height: number, channels: number): Float64Array[] {
  const out = Array.from({ length: channels }, () => new Float64Array(width * height).fill(Number.NaN));
  let count = 0;
  for (const m of text.matchAll(/Pixel \((\d+), (\d+)\): ([^(\n]+)/g)) {
    const x = Number(m[1]);
    const y = Number(m[2]);
    const values = (m[3] as string).trim().split(/\s+/).map(Number);
    if (values.length !== channels) throw new Error(`dumpdata: ${values.length} values at (${x}, ${y})`);
    values.forEach((v, c) => ((out[c] as Float64Array)[y * width + x] = v));
    count++;
  }
  if (count !== width * height) throw new Error(`dumpdata: ${count} pixels, expected ${width * height}`);
  return out;
}

/**
 * Element-wise equality that reports a count and the first mismatches. Plain toEqual on arrays of
 * 300k values makes vitest build a diff for minutes when they differ.
 */
export function expectSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      if (++count <= 5) bad.push(`[${i}] ${actual[i]} != ${expected[i]}`);
    }
  }
  if (count > 0) throw new Error(`${what}: ${count} of ${expected.length} values differ: ${bad.join(', ')}`);
}
