// The corrections for an indoor-only depth model (scene-priors.ts): open sky to the far plane, the
// salient subject in front of what is behind it, both faded out on rooms. Unit cases on synthetic
// planes, then the real models on real photos.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { DecodedImage } from '../../src/raster/decode.js';
import { models } from '../../src/models/model-cache.js';
import { runPipeline, tuningFor, type PipelineParams, type PipelineResult } from '../../src/pipeline/run.js';
import { roomness, skyMask, skyToFar, subjectInFront } from '../../src/pipeline/scene-priors.js';
import sharp from 'sharp';
import { apple, compose } from '../helpers/fixtures.js';
import { photo, testSessions } from './helpers.js';

/** A photo-like image: rows above `horizon` one smooth colour, below it textured noise. */
function twoBands(width: number, height: number, horizon: number, sky: [number, number, number]): DecodedImage {
  const rgb = new Uint8Array(width * height * 3);
  let seed = 7;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) / 255;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (y < horizon) rgb.set(sky, i);
      else rgb.set([60 + 120 * noise(), 50 + 90 * noise(), 30 + 60 * noise()], i);
    }
  }
  return { width, height, rgb } as DecodedImage;
}

describe('skyMask and skyToFar', () => {
  it('finds a smooth blue region reaching the top, and not the textured ground below it', () => {
    const sky = skyMask(twoBands(64, 48, 20, [110, 160, 230]));
    // The texture measure looks two pixels around: the rows at the horizon may go either way.
    expect(sky.slice(0, 64 * 17).every((v) => v === 1)).toBe(true);
    expect(sky.slice(64 * 21).every((v) => v === 0)).toBe(true);
  });

  it('finds no sky in a brown wall, nor in a blue patch that does not reach the top', () => {
    expect(skyMask(twoBands(64, 48, 20, [150, 110, 80])).some((v) => v === 1)).toBe(false);
    const image = twoBands(64, 48, 0, [0, 0, 0]);
    for (let y = 20; y < 30; y++) for (let x = 10; x < 40; x++) image.rgb.set([110, 160, 230], (y * 64 + x) * 3);
    expect(skyMask(image).some((v) => v === 1)).toBe(false);
  });

  it('puts the sky beyond everything else, unless the model sees it as near', () => {
    const sky = Uint8Array.from({ length: 100 }, (_, i) => (i < 30 ? 1 : 0));
    // Inverse depth: the sky at a middling 0.5, the ground from 0.2 (far) to 1 (near).
    const inverse = Float32Array.from({ length: 100 }, (_, i) => (i < 30 ? 0.5 : 0.2 + (0.8 * (i - 30)) / 69));
    expect(skyToFar(inverse, sky)).toBe(true);
    const ground = Math.min(...inverse.slice(30));
    expect(Math.max(...inverse.slice(0, 30))).toBeLessThan(ground);
    // A pale blue wall beside the camera: sky-coloured, but the model says it is near.
    const wall = Float32Array.from({ length: 100 }, (_, i) => (i < 30 ? 0.95 : 0.2 + (0.5 * (i - 30)) / 69));
    const before = Float32Array.from(wall);
    expect(skyToFar(wall, sky)).toBe(false);
    expect(wall).toEqual(before);
  });
});

describe('subjectInFront', () => {
  const width = 40;
  const height = 40;
  /** A square subject in the middle of a background whose inverse depth is 0.5. */
  const scene = (subjectValue: number): { inverse: Float32Array; subject: Float32Array } => {
    const inverse = new Float32Array(width * height).fill(0.5);
    const subject = new Float32Array(width * height);
    for (let y = 0; y < height; y++) inverse.fill(0.2 + (0.8 * y) / (height - 1), y * width, y * width + 5); // some range
    for (let y = 15; y < 25; y++) {
      for (let x = 15; x < 25; x++) {
        subject[y * width + x] = 1;
        inverse[y * width + x] = subjectValue + 0.001 * x;
      }
    }
    return { inverse, subject };
  };

  it('lifts a subject the model put behind its surroundings in front of them, keeping its shape', () => {
    const { inverse, subject } = scene(0.3);
    const shapeBefore = inverse[20 * width + 24]! - inverse[20 * width + 15]!;
    expect(subjectInFront(inverse, subject, width, height, 1)).toBeGreaterThan(0);
    expect(inverse[20 * width + 20]!).toBeGreaterThan(0.5);
    expect(inverse[20 * width + 24]! - inverse[20 * width + 15]!).toBeCloseTo(shapeBefore, 6);
    // The background is untouched.
    expect(inverse[5 * width + 20]).toBe(0.5);
  });

  it('leaves a subject already clearly in front alone, and does nothing without a subject', () => {
    const { inverse, subject } = scene(0.9);
    expect(subjectInFront(inverse, subject, width, height, 1)).toBe(0);
    expect(subjectInFront(inverse, new Float32Array(width * height), width, height, 1)).toBeNull();
  });
});

describe('roomness', () => {
  it('is 1 when the far end is several metres away (a room), 0 for a table-top scene', () => {
    const far = (metres: number) => Float32Array.from({ length: 1000 }, (_, i) => 1 / (1 + ((metres - 1) * i) / 999));
    expect(roomness(far(7))).toBe(1);
    expect(roomness(far(2.5))).toBe(0);
  });
});

describe('on real photos', () => {
  afterAll(() => testSessions().release());
  const base: PipelineParams = { modelType: 'base', rmbg: false, degreeRmbg: 0.02 };
  const run = (file: string, tuning?: Parameters<typeof runPipeline>[3]): Promise<PipelineResult> =>
    runPipeline(readFileSync(file), base, testSessions(), tuning);
  /** Mean depth over a rectangle given in fractions of the size. */
  const mean = (map: PipelineResult, x0: number, y0: number, x1: number, y1: number): number => {
    let sum = 0;
    let count = 0;
    for (let y = Math.floor(y0 * map.height); y < y1 * map.height; y++) {
      for (let x = Math.floor(x0 * map.width); x < x1 * map.width; x++) {
        sum += map.depth[y * map.width + x]!;
        count++;
      }
    }
    return sum / count;
  };

  it('the open sky over the Colosseum is the far plane (the model alone puts it mid-way)', async () => {
    const file = photo('metric3d_david-kohler-VFRTXGw1VjU-unsplash.jpg');
    const corrected = await run(file);
    const alone = await run(file, { sky: false, subject: 0 });
    // The upper corners are open sky in this photo.
    expect(mean(corrected, 0, 0, 0.15, 0.15)).toBeLessThan(0.02);
    expect(mean(corrected, 0.85, 0, 1, 0.15)).toBeLessThan(0.02);
    expect(mean(alone, 0, 0, 0.15, 0.15)).toBeGreaterThan(0.1);
    // The ground in front stays the nearest part.
    expect(mean(corrected, 0, 0.85, 1, 1)).toBeGreaterThan(0.5);
  });

  it('pro puts a subject in front of the background above it where the model alone puts it behind', async () => {
    // The apple, cut along a circle (its true matte), in front of the Obama portrait turned upside
    // down: the dark suit above it looks near to FastDepth, which alone puts the apple behind it
    // (measured -0.12; the subject prior lifts it to +0.25).
    const backdrop = await sharp(photo('facerec_obama.jpg')).flip().resize(900, 600, { fit: 'cover' }).png().toBuffer();
    const { image, matte } = await compose(backdrop, [{ input: await apple(280), left: 310, top: 300 }]);
    const pro: PipelineParams = { ...base, modelType: 'pro' };
    const contrast = async (tuning?: Parameters<typeof runPipeline>[3]): Promise<number> => {
      const map = await runPipeline(image, pro, testSessions(), tuning);
      // The true matte says where the subject is.
      const alpha = await sharp(matte).greyscale().resize(map.width, map.height, { fit: 'fill' }).raw().toBuffer();
      let inside = 0;
      let inCount = 0;
      let above = 0;
      let aboveCount = 0;
      for (let i = 0; i < map.depth.length; i++) {
        if (alpha[i]! > 127) {
          inside += map.depth[i]!;
          inCount++;
        } else if (i < map.depth.length / 2) {
          above += map.depth[i]!;
          aboveCount++;
        }
      }
      return inside / inCount - above / aboveCount;
    };
    expect(await contrast()).toBeGreaterThan(0.15);
    expect(await contrast({ subject: 0 })).toBeLessThan(0);
  });

  it('a room is left as the model sees it, by pro too', async () => {
    const file = photo('metric3d_jonathan-borba-CnthDZXCdoY-unsplash.jpg'); // a living room with bookshelves
    const pro: PipelineParams = { ...base, modelType: 'pro' };
    const corrected = await runPipeline(readFileSync(file), pro, testSessions());
    const alone = await runPipeline(readFileSync(file), pro, testSessions(), { sky: false, subject: 0 });
    expect(corrected.depth).toEqual(alone.depth);
  });
});

describe('tuning per model', () => {
  it('gives a whole-frame ViT (Depth Anything) one global pass in pro, and FastDepth its tiles', () => {
    expect(tuningFor('pro', models['fastdepth']!).fuse.zooms).toEqual([2]);
    expect(tuningFor('pro', models['depth-anything-v2-small']!).fuse.zooms).toEqual([]);
    expect(tuningFor('base', models['depth-anything-v2-small']!).fuse.zooms).toEqual([]);
    // The corrections are for the indoor-only model alone.
    expect(models['fastdepth']!.output.indoorOnly).toBe(true);
    expect(models['depth-anything-v2-small']!.output.indoorOnly).toBeUndefined();
  });
});
