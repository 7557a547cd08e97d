// The benches' photos. Their defaults are in the repository (test/fixtures/photos: the same bytes
// as the evaluation set's photos/, so timings stay comparable), so every bench runs on a lone
// clone; a name the fixtures lack is looked up in the evaluation set beside the repository
// (../shared/eval/photos), which `npm run eval` needs and the tests never read.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
export const FIXTURE_PHOTOS = join(REPO, 'test/fixtures/photos');
export const EVAL_PHOTOS = resolve(REPO, '../shared/eval/photos');

/** A photo by file name: test/fixtures/photos, else the evaluation set's photos/, else a clear error. */
export function benchPhoto(name: string): string {
  for (const dir of [FIXTURE_PHOTOS, EVAL_PHOTOS]) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(
    `photo ${name}: not in ${FIXTURE_PHOTOS}, and ${existsSync(EVAL_PHOTOS) ? `not in ${EVAL_PHOTOS}` : `no evaluation set at ${EVAL_PHOTOS}`}`,
  );
}

/** The street scene (chess pieces on a board, 1500 × 1000), the default photo of the timing benches. */
export const STREET = join(FIXTURE_PHOTOS, 'metric3d_randy-fath-G1yhU1Ej-9A-unsplash.jpg');
