// The whole pipeline on real photos with the real models: sizes, value range, near = bright,
// background removal, orientation and the input variants.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { runSinglePass } from '../../bench/eval/single-pass.js';
import { PipelineInputError } from '../../src/raster/errors.js';
import { runPipeline, type PipelineParams, type PipelineResult } from '../../src/pipeline/run.js';
import { resizeBilinear } from '../../src/raster/resize.js';
import { nyuFrame, pearson, photo, spearman, testSessions } from './helpers.js';

const base: PipelineParams = { modelType: 'base', rmbg: false, degreeRmbg: 0.02 };
const pro: PipelineParams = { ...base, modelType: 'pro' };
const run = (image: Buffer, params: PipelineParams): Promise<PipelineResult> => runPipeline(image, params, testSessions());

function range(values: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Fraction of the pixels in a rectangle (fractions of the size) for which `test` holds. */
function fraction(map: PipelineResult, plane: Float32Array, test: (v: number) => boolean, pick: (x: number, y: number) => boolean): number {
  let hit = 0;
  let all = 0;
  for (let y = 0; y < map.height; y++) {
    for (let x = 0; x < map.width; x++) {
      if (!pick(x / map.width, y / map.height)) continue;
      all++;
      if (test(plane[y * map.width + x]!)) hit++;
    }
  }
  return hit / all;
}

const border = (fx: number, fy: number): boolean => fx < 0.05 || fx > 0.95 || fy < 0.05 || fy > 0.95;

afterAll(() => testSessions().release());

describe('runPipeline on real photos', () => {
  const photos = [
    ['metric3d_randy-fath-G1yhU1Ej-9A-unsplash.jpg', 1500, 1000],
    ['metric3d_jonathan-borba-CnthDZXCdoY-unsplash.jpg', 800, 1200],
    ['opencv_apple.jpg', 512, 512],
  ] as const;

  for (const [name, width, height] of photos) {
    it(`${name}: long side 1024 (base) and 2048 (pro), aspect kept, values spanning [0, 1]`, async () => {
      const image = readFileSync(photo(name));
      for (const [params, longSide] of [
        [base, 1024],
        [pro, 2048],
      ] as const) {
        const map = await run(image, params);
        expect(Math.max(map.width, map.height)).toBe(longSide);
        expect(map.width / map.height).toBeCloseTo(width / height, 2);
        expect(map.depth.length).toBe(map.width * map.height);
        expect(map.alpha).toBeUndefined();
        expect(range(map.depth)).toEqual({ min: 0, max: 1 });
        expect(map.timings.total).toBeGreaterThan(0);
      }
    });
  }

  it('near is bright: relative depth correlates with negated ground truth on NYU Depth v2', async () => {
    // FastDepth was trained on NYU. On the NYU test frame of the golden reference: Pearson 0.90,
    // Spearman 0.94 (0.84..0.95 and 0.80..0.97 on the four NYU frames of `npm run eval`). A map with
    // near and far swapped scores the negation (about -0.9), so 0.7 separates the two with a wide margin.
    const frame = await nyuFrame();
    const map = await run(frame.image, base);
    const ours = resizeBilinear({ width: map.width, height: map.height, data: map.depth }, frame.width, frame.height).data;
    const a = Array.from(ours);
    const b = Array.from(frame.metres, (m) => -m);
    const r = pearson(a, b);
    const rho = spearman(a, b);
    console.log(`NYU golden frame: Pearson ${r.toFixed(3)}, Spearman ${rho.toFixed(3)} over ${a.length} pixels`);
    expect(r).toBeGreaterThan(0.7);
    expect(rho).toBeGreaterThan(0.7);
    expect(
      pearson(
        a.map((v) => 1 - v),
        b,
      ),
    ).toBeLessThan(0); // the check would catch a flipped map
  });
});

describe('output convention and metadata', () => {
  it('says which model made the map and lets a user recover metres from the normalised values', async () => {
    // The NYU frame of the golden reference: measured depth 0.72..5.87 m. For FastDepth, raw = 1 / metres.
    const map = await run((await nyuFrame()).image, pro);
    expect(map.metadata).toMatchObject({ model: 'fastdepth', pipeline: 'pro', rawUnit: '1/m' });
    expect(map.metadata.convention).toMatch(/inverse depth.*near 1, far 0/);
    const { rawMin, rawMax } = map.metadata;
    expect(rawMax).toBeGreaterThan(rawMin);
    const metres = Array.from(map.depth, (v) => 1 / (rawMin + v * (rawMax - rawMin))).sort((a, b) => a - b);
    const median = metres[metres.length >> 1]!;
    expect(median).toBeGreaterThan(1);
    expect(median).toBeLessThan(8);
    // The nearest point (value 1) is nearer than the farthest (value 0).
    expect(1 / rawMax).toBeLessThan(1 / rawMin);
  });
});

describe('background removal', () => {
  async function cupOnPlainBackground(): Promise<Buffer> {
    // A round crop of the coffee photo on a plain beige background, centred.
    const d = 300;
    const disc = Buffer.from(`<svg width="${d}" height="${d}"><circle cx="${d / 2}" cy="${d / 2}" r="${d / 2}" fill="#fff"/></svg>`);
    const crop = await sharp(photo('skimage_coffee.png'))
      .extract({ left: 150, top: 50, width: d, height: d })
      .composite([{ input: disc, blend: 'dest-in' }])
      .png()
      .toBuffer();
    return sharp({ create: { width: 640, height: 480, channels: 3, background: '#d9d2c3' } })
      .composite([{ input: crop, left: 170, top: 90 }])
      .jpeg({ quality: 90 })
      .toBuffer();
  }
  // The disc spans x 170..470 of 640 and y 90..390 of 480: its inner half in output fractions.
  const discCentre = (fx: number, fy: number): boolean => Math.hypot(fx * 640 - 320, fy * 480 - 240) < 75;

  it('removes a plain background: border alpha 0 and depth 0, object alpha 1', async () => {
    const map = await run(await cupOnPlainBackground(), { ...base, rmbg: true });
    expect(map.alpha).toBeDefined();
    const alpha = map.alpha!;
    expect(fraction(map, alpha, (a) => a === 0, border)).toBeGreaterThan(0.98);
    expect(fraction(map, map.depth, (d) => d === 0, border)).toBeGreaterThan(0.98);
    expect(fraction(map, alpha, (a) => a === 1, discCentre)).toBeGreaterThan(0.98);
    // Depth is 0 exactly where alpha is 0, and spans [0, 1] over the object.
    for (let i = 0; i < alpha.length; i += 97) if (alpha[i] === 0) expect(map.depth[i]).toBe(0);
    expect(range(map.depth)).toEqual({ min: 0, max: 1 });
    expect(fraction(map, map.depth, (d) => d > 0.05, discCentre)).toBeGreaterThan(0.9);
  });

  it('the refined mask follows the object outline at full resolution at least as well as the v1 cut', async () => {
    const image = await cupOnPlainBackground();
    // The disc in output pixels: centre (320, 240) and radius 150 of the 640x480 input, times 1024/640.
    const iou = (map: PipelineResult): number => {
      const k = map.width / 640;
      let both = 0;
      let either = 0;
      for (let y = 0; y < map.height; y++) {
        for (let x = 0; x < map.width; x++) {
          const inside = Math.hypot(x + 0.5 - 320 * k, y + 0.5 - 240 * k) < 150 * k;
          // The cut is alpha >= 1/2 (alpha is soft along the outline since issue 13).
          const kept = map.alpha![y * map.width + x]! >= 0.5;
          if (inside && kept) both++;
          if (inside || kept) either++;
        }
      }
      return both / either;
    };
    const refined = iou(await run(image, { ...base, rmbg: true }));
    const v1 = iou(await runSinglePass(image, { ...base, rmbg: true }, testSessions()));
    console.log(`disc IoU: refined ${refined.toFixed(4)}, v1 ${v1.toFixed(4)}`);
    expect(refined).toBeGreaterThan(0.965);
    expect(refined).toBeGreaterThanOrEqual(v1);
  });

  it('gives a single round object a rounded volume: the apple bulges towards the camera, not hollow', async () => {
    const map = await run(readFileSync(photo('opencv_apple.jpg')), { ...pro, rmbg: true });
    expect(map.metadata.pipeline).toBe('pro+objects');
    // Mean depth near the middle of the object against a band just inside its outline.
    const { width, height } = map;
    const alpha = map.alpha!;
    const inside = Float32Array.from(alpha);
    // Distance to the outline by repeated erosion would be slow at 2048 px; use the object's
    // bounding box: centre = the middle quarter of the box, rim = object pixels in its outer 8 %.
    let [x0, y0, x1, y1] = [width, height, 0, 0];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!inside[y * width + x]) continue;
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
    const [cx, cy, rx, ry] = [(x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2];
    let centre = 0;
    let nc = 0;
    let rim = 0;
    let nr = 0;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const i = y * width + x;
        if (!inside[i]) continue;
        const r = Math.hypot((x - cx) / rx, (y - cy) / ry);
        if (r < 0.25) {
          centre += map.depth[i]!;
          nc++;
        } else if (r > 0.92) {
          rim += map.depth[i]!;
          nr++;
        }
      }
    }
    console.log(`apple: centre ${(centre / nc).toFixed(3)}, rim ${(rim / nr).toFixed(3)}`);
    expect(centre / nc).toBeGreaterThan(rim / nr + 0.2);
  });

  it('a higher degree_rmbg keeps less of the image', async () => {
    const image = readFileSync(photo('opencv_smarties.png'));
    const count = (m: PipelineResult): number => m.alpha!.reduce((n, a) => n + a, 0);
    const loose = await run(image, { ...base, rmbg: true, degreeRmbg: 0.02 });
    const strict = await run(image, { ...base, rmbg: true, degreeRmbg: 0.9 });
    expect(count(strict)).toBeLessThan(count(loose));
    const none = await run(image, { ...base, rmbg: true, degreeRmbg: 1 });
    expect(count(none)).toBe(0);
    expect(range(none.depth)).toEqual({ min: 0, max: 0 });
  });

  it("treats the input's own transparent pixels as background", async () => {
    // The apple photo with its left quarter made fully transparent, the rest opaque.
    const { data, info } = await sharp(photo('opencv_apple.jpg')).ensureAlpha(1).raw().toBuffer({ resolveWithObject: true });
    for (let y = 0; y < info.height; y++) for (let x = 0; x < info.width / 4; x++) data[(y * info.width + x) * 4 + 3] = 0;
    const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } })
      .png()
      .toBuffer();

    const map = await run(png, { ...base, rmbg: true });
    const leftQuarter = (fx: number): boolean => fx < 0.24;
    expect(fraction(map, map.alpha!, (a) => a === 0, leftQuarter)).toBe(1);
    expect(fraction(map, map.depth, (d) => d === 0, leftQuarter)).toBe(1);
    const appleCentre = (fx: number, fy: number): boolean => Math.abs(fx - 0.55) < 0.15 && Math.abs(fy - 0.5) < 0.15;
    expect(fraction(map, map.alpha!, (a) => a === 1, appleCentre)).toBeGreaterThan(0.98);

    // Without rmbg the transparency is not an output: no alpha, depth everywhere.
    const plain = await run(png, base);
    expect(plain.alpha).toBeUndefined();
    expect(range(plain.depth)).toEqual({ min: 0, max: 1 });
  });
});

describe('input variants', () => {
  const coffee = photo('skimage_coffee.png'); // 600x400

  it('EXIF orientation 6 swaps width and height compared to the stored pixels', async () => {
    const tagged = await sharp(coffee).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const stored = await sharp(tagged).metadata();
    expect([stored.width, stored.height]).toEqual([600, 400]);
    const map = await run(tagged, base);
    expect([map.width, map.height]).toEqual([683, 1024]);
    const untagged = await run(await sharp(coffee).jpeg().toBuffer(), base);
    expect([untagged.width, untagged.height]).toEqual([1024, 683]);
  });

  it('16-bit PNG gives the same map as its 8-bit original', async () => {
    const png16 = await sharp(coffee).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const a = await run(png16, base);
    const b = await run(readFileSync(coffee), base);
    expect([a.width, a.height]).toEqual([b.width, b.height]);
    let maxDiff = 0;
    for (let i = 0; i < a.depth.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.depth[i]! - b.depth[i]!));
    expect(maxDiff).toBeLessThan(0.01);
  });

  it('greyscale input works, with and without background removal', async () => {
    const grey = await sharp(coffee).toColourspace('b-w').png().toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    for (const rmbg of [false, true]) {
      const map = await run(grey, { ...pro, rmbg });
      expect([map.width, map.height]).toEqual([2048, 1365]);
      expect(range(map.depth)).toEqual({ min: 0, max: 1 });
      expect(map.alpha !== undefined).toBe(rmbg);
    }
  });

  it('RGBA with transparency works without rmbg too', async () => {
    const rgba = await sharp(coffee).ensureAlpha(0.4).png().toBuffer();
    const map = await run(rgba, base);
    expect([map.width, map.height]).toEqual([1024, 683]);
    expect(range(map.depth)).toEqual({ min: 0, max: 1 });
  });

  it('garbage bytes reject with PipelineInputError', async () => {
    const garbage = Buffer.from(Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31 + 7) % 251));
    await expect(run(garbage, base)).rejects.toBeInstanceOf(PipelineInputError);
    await expect(run(garbage, { ...pro, rmbg: true })).rejects.toThrow(/^the image could not be decoded/);
  });

  it('refuses strips from their header, at once, and keeps a 16:1 panorama', async () => {
    const strip = (width: number, height: number) => {
      const blank = sharp({ create: { width, height, channels: 3, background: '#888' } });
      return (width <= 16383 ? blank.webp() : blank.png()).toBuffer();
    };
    for (const [width, height, reason] of [
      [16383, 1, /16383 x 1 px: each side must be at least 16 px/],
      [1, 600, /each side must be at least 16 px/],
      [20000, 10, /each side must be at least 16 px/],
      [4000, 200, /4000 x 200 px: its long side may be at most 16 times its short side/],
    ] as const) {
      await expect(run(await strip(width, height), { ...pro, rmbg: true })).rejects.toThrow(reason);
    }
    const panorama = await run(await sharp(readFileSync(coffee)).resize(1600, 100, { fit: 'fill' }).png().toBuffer(), base);
    expect([panorama.width, panorama.height]).toEqual([1024, 64]);
  });

  it('rejects out-of-range parameters as a programming error, not an input error', async () => {
    const image = readFileSync(coffee);
    await expect(run(image, { ...base, degreeRmbg: 1.5 })).rejects.toThrow(RangeError);
    await expect(run(image, { ...base, modelType: 'huge' as 'pro' })).rejects.toThrow(RangeError);
  });
});
