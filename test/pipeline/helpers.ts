// The sessions every pipeline test file reuses, and where its data lives (test/fixtures/, through
// test/helpers/fixtures.ts).
import sharp from 'sharp';
import { ModelSessions } from '../../src/models/sessions.js';
import { readGolden } from '../helpers/fixtures.js';
import { parseNpy } from './npy.js';

export { photo } from '../helpers/fixtures.js';

let sessions: ModelSessions | undefined;
/** One set of sessions per test file (vitest isolates files), two threads as on the CI machine. */
export function testSessions(): ModelSessions {
  sessions ??= new ModelSessions({ intraOpNumThreads: 2 });
  return sessions;
}

// The evaluation's statistics, so the tests measure the way `npm run eval` does.
export { pearson, spearman } from '../../bench/eval/stats.js';

/**
 * The input of the FastDepth golden reference, a frame of the NYU Depth v2 test set (224 × 224),
 * as a PNG, with its measured depth in metres (depth.npy: every pixel valid, 0.72..5.87 m).
 */
export async function nyuFrame(): Promise<{ image: Buffer; metres: Float32Array; width: number; height: number }> {
  const rgb = parseNpy(readGolden('rgb.npy'));
  const depth = parseNpy(readGolden('depth.npy'));
  const [height, width] = rgb.shape as [number, number];
  // rgb.npy holds k / 255 exactly: the 8-bit picture, losslessly.
  const bytes = Uint8Array.from(rgb.data, (v) => Math.round(v * 255));
  const image = await sharp(bytes, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return { image, metres: Float32Array.from(depth.data), width, height };
}
