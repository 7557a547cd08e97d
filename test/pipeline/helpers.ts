// Shared test fixtures: where the shared data lives, and the sessions every test file reuses.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelSessions } from '../../src/models/sessions.js';

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

// The evaluation's statistics, so the tests measure the way `npm run eval` does.
export { pearson, spearman } from '../../bench/eval/stats.js';
