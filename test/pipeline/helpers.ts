// Shared test fixtures: where the shared data lives, and the sessions every test file reuses.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelSessions } from '../../src/pipeline/sessions.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared folder beside the repository (golden data, evaluation images); works from any clone. */
export const sharedDir = resolve(repoRoot, '../shared');
export const goldenDir = resolve(sharedDir, 'golden/fastdepth');
export const photosDir = resolve(sharedDir, 'eval/photos');
export const nyuDir = resolve(sharedDir, 'eval/nyu_depth_v2');

export function photo(name: string): string {
  return resolve(photosDir, name);
}

let sessions: ModelSessions | undefined;
/** One set of sessions per test file (vitest isolates files), two threads as on the CI machine. */
export function testSessions(): ModelSessions {
  sessions ??= new ModelSessions({ intraOpNumThreads: 2 });
  return sessions;
}

/** Pearson correlation of two equally long series. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Ranks with ties averaged, for Spearman's correlation. */
function ranks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((i, j) => values[i]! - values[j]!);
  const out = new Float64Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && values[order[end + 1]!] === values[order[start]!]) end++;
    const rank = (start + end) / 2;
    for (let k = start; k <= end; k++) out[order[k]!] = rank;
    start = end + 1;
  }
  return out;
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}
