// The user's corrections to the background removal, through the whole pipeline with the real
// models: a drawn mask replaces the model's (as grey or as alpha, at any resolution of the same
// photo), a mask of another shape is refused in words, and a subject box keeps the cut inside it.
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { PipelineInputError } from '../../src/raster/errors.js';
import { runPipeline, type PipelineParams } from '../../src/pipeline/run.js';
import { resizeArea } from '../../src/raster/resize.js';
import { twoSubjects } from '../helpers/fixtures.js';
import { testSessions } from './helpers.js';

// A photo with its true matte (255 = subject): an apple on the left, a cup on the right, 800 × 560.
let photoBytes: Buffer;
let gtBytes: Buffer;
beforeAll(async () => {
  ({ image: photoBytes, matte: gtBytes } = await twoSubjects());
});
const params: PipelineParams = { modelType: 'base', rmbg: true, degreeRmbg: 0.02 };

/** The true matte (alpha = value/255) at width x height, cut at 0.5. */
async function gtAt(width: number, height: number): Promise<Float32Array> {
  const { data, info } = await sharp(gtBytes).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const plane = { width: info.width, height: info.height, data: Float32Array.from(data, (v) => v / 255) };
  return resizeArea(plane, width, height).data.map((v) => (v >= 0.5 ? 1 : 0));
}

function iou(a: Float32Array, b: Float32Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    both += a[i]! >= 0.5 && b[i]! >= 0.5 ? 1 : 0;
    either += a[i]! >= 0.5 || b[i]! >= 0.5 ? 1 : 0;
  }
  return both / either;
}

describe('a mask the user gives', () => {
  it('replaces the model mask: as grey, at half the resolution, the result is that mask', async () => {
    const grey = await sharp(gtBytes).extractChannel(0).resize({ width: 400 }).png().toBuffer();
    const result = await runPipeline(photoBytes, { ...params, userMask: grey }, testSessions());
    expect(result.alpha).toBeDefined();
    expect(iou(result.alpha!, await gtAt(result.width, result.height))).toBeGreaterThan(0.97);
    // Depth is zero where the mask removes, and the object keeps its range.
    for (let i = 0; i < result.depth.length; i++) if (result.alpha![i] === 0) expect(result.depth[i]).toBe(0);
  });

  it('reads the alpha channel of a cut-out PNG rather than its colours', async () => {
    const { width, height } = await sharp(photoBytes).metadata();
    const alpha = await sharp(gtBytes).extractChannel(0).toBuffer();
    // A black cut-out: every colour is 0, only the alpha says where the object is.
    const cutout = await sharp({ create: { width: width!, height: height!, channels: 3, background: '#000' } })
      .joinChannel(alpha, { raw: undefined })
      .png()
      .toBuffer();
    const result = await runPipeline(photoBytes, { ...params, userMask: cutout }, testSessions());
    expect(iou(result.alpha!, await gtAt(result.width, result.height))).toBeGreaterThan(0.97);
  });

  it('refuses a mask whose proportions are not the photo, saying so', async () => {
    const square = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const failure = runPipeline(photoBytes, { ...params, userMask: square }, testSessions());
    await expect(failure).rejects.toBeInstanceOf(PipelineInputError);
    await expect(failure).rejects.toThrow(/proportions/);
    await expect(runPipeline(photoBytes, { ...params, userMask: Buffer.from('not an image') }, testSessions())).rejects.toThrow(
      /mask could not be decoded/,
    );
  });
});

describe('a subject box', () => {
  it('keeps the cut inside the box', async () => {
    // The left half of the frame: the cup on the right is left out.
    const box = [0, 0, 0.5, 1] as const;
    const result = await runPipeline(photoBytes, { ...params, subjectBox: box }, testSessions());
    const { width, height } = result;
    let inside = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (result.alpha![y * width + x]! < 0.5) continue;
        expect(x / width).toBeLessThanOrEqual(0.51);
        inside++;
      }
    }
    expect(inside).toBeGreaterThan(0.05 * width * height);
  });
});
