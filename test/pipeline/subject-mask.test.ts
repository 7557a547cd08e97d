// The mask stage on photos with a true matte, made here from the fixture photos (cut-outs laid on
// backdrops, and sweets on white): it keeps whole subjects, beats the saliency cut it replaced, and
// degree_rmbg keeps its meaning (`npm run eval -- --only masks` scores the same on 34 photos with
// ground-truth mattes). And its clean-up on made-up masks: specks dropped, holes filled, real gaps kept.
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskScores, type MaskScores } from '../../bench/eval/masks.js';
import { mulberry32 } from '../../bench/eval/stats.js';
import { runPipeline, TUNING, type PipelineParams } from '../../src/pipeline/run.js';
import type { FloatPlane } from '../../src/raster/plane.js';
import { skyMask } from '../../src/pipeline/scene-priors.js';
import { cleanUp, isScene, subjectCut } from '../../src/pipeline/subject-mask.js';
import { boxPlane } from '../../src/pipeline/user-mask.js';
import { apple, compose, cup, photo, readPhoto, twoSubjects, type MattedPhoto } from '../helpers/fixtures.js';
import { testSessions } from './helpers.js';

const params: PipelineParams = { modelType: 'base', rmbg: true, degreeRmbg: 0.02 };
const options = TUNING.base.subjectMask!;

/** The sweets of opencv_smarties.png on their white sheet: the matte is every pixel that is not near white. */
async function smarties(): Promise<MattedPhoto> {
  const { data, info } = await sharp(photo('opencv_smarties.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const matte = Buffer.alloc(info.width * info.height);
  for (let i = 0; i < matte.length; i++) matte[i] = Math.min(data[3 * i]!, data[3 * i + 1]!, data[3 * i + 2]!) < 200 ? 255 : 0;
  const raw = { width: info.width, height: info.height, channels: 1 as const };
  return {
    image: readPhoto('opencv_smarties.png'),
    matte: await sharp(matte, { raw }).png().toBuffer(),
    width: info.width,
    height: info.height,
  };
}

/** Photos and their true mattes: one object, two, many; on plain, on a busy photo. */
const scenes: Record<string, MattedPhoto> = {};
beforeAll(async () => {
  const chessboard = await sharp(photo('metric3d_randy-fath-G1yhU1Ej-9A-unsplash.jpg')).resize(900, 600).png().toBuffer();
  scenes['two on plain'] = await twoSubjects();
  scenes['apple on chessboard'] = await compose(chessboard, [{ input: await apple(300), left: 300, top: 250 }]);
  scenes['cup on chessboard'] = await compose(chessboard, [{ input: await cup(300), left: 300, top: 250 }]);
  scenes['smarties'] = await smarties();
});

async function truthOf(scene: MattedPhoto): Promise<FloatPlane> {
  const { data, info } = await sharp(scene.matte).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: Float32Array.from(data, (v) => v / 255) };
}

async function alphaOf(bytes: Buffer, p: PipelineParams, legacy = false) {
  const result = await runPipeline(bytes, p, testSessions(), legacy ? { subjectMask: null } : undefined);
  return { width: result.width, height: result.height, data: result.alpha! };
}

describe('the mask stage on photos with a true matte', () => {
  it('keeps most of the subject on every photo and beats the saliency cut on the set', { timeout: 300_000 }, async () => {
    const now: MaskScores[] = [];
    const before: MaskScores[] = [];
    for (const [name, scene] of Object.entries(scenes)) {
      const truth = await truthOf(scene);
      const scores = maskScores(await alphaOf(scene.image, params), truth);
      const old = maskScores(await alphaOf(scene.image, params, true), truth);
      console.log(
        `${name}: IoU ${scores.iou.toFixed(3)} (before ${old.iou.toFixed(3)}), boundary F ${scores.boundaryF.toFixed(3)} (${old.boundaryF.toFixed(3)})`,
      );
      expect(scores.kept, `${name} keeps ${scores.kept.toFixed(2)} of its subject (before: ${old.kept.toFixed(2)})`).toBeGreaterThan(0.5);
      now.push(scores);
      before.push(old);
    }
    // Measured: IoU 0.96 against 0.85, boundary F 0.95 against 0.81, the saliency cut failing most on the cup.
    const mean = (list: MaskScores[], k: keyof MaskScores) => list.reduce((a, s) => a + s[k], 0) / list.length;
    expect(mean(now, 'iou')).toBeGreaterThan(mean(before, 'iou') + 0.04);
    expect(mean(now, 'boundaryF')).toBeGreaterThan(mean(before, 'boundaryF') + 0.1);
    expect(mean(now, 'mae')).toBeLessThan(mean(before, 'mae'));
  });

  it('removes more as degree_rmbg rises and keeps the subject at its default of 0.02', async () => {
    const bytes = scenes['cup on chessboard']!.image;
    const area = async (degreeRmbg: number) =>
      (await alphaOf(bytes, { ...params, degreeRmbg })).data.reduce((a, v) => a + (v >= 0.5 ? 1 : 0), 0);
    const areas = [await area(0.001), await area(0.02), await area(0.3), await area(0.9)];
    for (let k = 1; k < areas.length; k++) expect(areas[k]).toBeLessThanOrEqual(areas[k - 1]!);
    expect(areas[0]).toBeGreaterThan(areas[3]!);
    expect(areas[1]).toBeGreaterThan(0);
  });
});

describe('cleanUp', () => {
  const width = 60;
  const height = 40;
  /** A 30x20 subject at (10, 10), fully salient. */
  function subject(): { labels: Uint8Array; saliency: Float32Array } {
    const labels = new Uint8Array(width * height);
    const saliency = new Float32Array(width * height);
    for (let y = 10; y < 30; y++) for (let x = 10; x < 40; x++) labels[y * width + x] = saliency[y * width + x] = 1;
    return { labels, saliency };
  }

  it('drops a small speck the saliency does not back, and keeps a salient one', () => {
    const { labels, saliency } = subject();
    labels[5 * width + 50] = 1;
    labels[35 * width + 50] = 1;
    saliency[35 * width + 50] = 1;
    const out = cleanUp(labels, saliency, width, height, options);
    expect(out[5 * width + 50]).toBe(0);
    expect(out[35 * width + 50]).toBe(1);
    expect(out[20 * width + 20]).toBe(1);
  });

  it('fills a small hole and a salient one, keeps a large hole the saliency calls background', () => {
    const { labels, saliency } = subject();
    labels[15 * width + 15] = 0; // a dark pixel inside: filled
    // A 6x6 hole the saliency also called subject: filled; a 10x8 one it called background: kept.
    for (let y = 12; y < 18; y++) for (let x = 30; x < 36; x++) labels[y * width + x] = 0;
    for (let y = 19; y < 27; y++) {
      for (let x = 14; x < 24; x++) {
        labels[y * width + x] = 0;
        saliency[y * width + x] = 0;
      }
    }
    const out = cleanUp(labels, saliency, width, height, { ...options, holeArea: 0.002 });
    expect(out[15 * width + 15]).toBe(1);
    expect(out[14 * width + 32]).toBe(1);
    expect(out[22 * width + 18]).toBe(0);
  });
});

describe('subjectCut on made-up photos', () => {
  const width = 120;
  const height = 90;
  /** Seeded noise in -0.5..0.5, so the photos are the same at every run. */
  function noise(seed: number): () => number {
    const next = mulberry32(seed);
    return () => next() - 0.5;
  }
  /** A grey, noisy backdrop with discs of the given colours painted on it. */
  function photo(discs: { cx: number; cy: number; r: number; colour: [number, number, number] }[]): { rgb: Uint8Array; inDisc: Int8Array } {
    const rnd = noise(7);
    const rgb = new Uint8Array(width * height * 3);
    const inDisc = new Int8Array(width * height).fill(-1);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const d = discs.findIndex((c) => (x - c.cx) ** 2 + (y - c.cy) ** 2 <= c.r ** 2);
        const base = d >= 0 ? discs[d]!.colour : ([128, 128, 120] as const);
        inDisc[i] = d;
        for (let k = 0; k < 3; k++) rgb[i * 3 + k] = Math.max(0, Math.min(255, Math.round(base[k]! + 24 * rnd())));
      }
    }
    return { rgb, inDisc };
  }
  const kept = (cut: Uint8Array, inDisc: Int8Array, d: number): number => {
    let all = 0;
    let on = 0;
    for (let i = 0; i < cut.length; i++) {
      if (inDisc[i] !== d) continue;
      all++;
      on += cut[i]!;
    }
    return on / all;
  };

  it('keeps both blobs of a subject in two pieces, the second one only half seen by the saliency', () => {
    const { rgb, inDisc } = photo([
      { cx: 35, cy: 45, r: 18, colour: [220, 40, 40] },
      { cx: 85, cy: 45, r: 14, colour: [40, 60, 220] },
    ]);
    // The saliency sees the red blob whole, and the left half of the blue one (its right half only faintly).
    const saliency = Float32Array.from(inDisc, (d, i) => (d === 0 || (d === 1 && i % width < 85) ? 1 : d === 1 ? 0.08 : 0));
    const cut = subjectCut({ width, height, rgb, saliency, degreeRmbg: 0.02 }, options);
    expect(kept(cut, inDisc, 0)).toBeGreaterThan(0.95);
    expect(kept(cut, inDisc, 1)).toBeGreaterThan(0.95);
    expect(kept(cut, inDisc, -1)).toBeLessThan(0.02);
  });

  it("with a subject box, removes the background inside the box too (GrabCut's rectangle)", () => {
    const { rgb, inDisc } = photo([{ cx: 60, cy: 45, r: 16, colour: [40, 170, 60] }]);
    // The saliency saw nothing; the user's box is much larger than the subject.
    const saliency = new Float32Array(width * height);
    const allowed = boxPlane([0.2, 0.1, 0.8, 0.9], width, height);
    const cut = subjectCut({ width, height, rgb, saliency, allowed, degreeRmbg: 0.02 }, options);
    expect(kept(cut, inDisc, 0)).toBeGreaterThan(0.95);
    let insideBackground = 0;
    let insideKept = 0;
    for (let i = 0; i < cut.length; i++) {
      if (allowed[i] && inDisc[i] === -1) {
        insideBackground++;
        insideKept += cut[i]!;
      }
      if (!allowed[i]) expect(cut[i]).toBe(0);
    }
    expect(insideKept / insideBackground).toBeLessThan(0.02);
  });

  /** A "building": smooth blue sky over the top third, a textured stone facade across the whole width and down to the bottom, three towers rising into the sky. */
  function building(): { rgb: Uint8Array; isSky: Uint8Array; towerTop: Uint8Array } {
    const rnd = noise(11);
    const rgb = new Uint8Array(width * height * 3);
    const isSky = new Uint8Array(width * height);
    const towerTop = new Uint8Array(width * height);
    const towers = [8, 60, 112];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const tower = towers.some((tx) => Math.abs(x - tx) <= 5) && y >= 12;
        const stone = y >= 30 || tower;
        if (tower && y < 30) towerTop[i] = 1;
        isSky[i] = stone ? 0 : 1;
        // Sky: a smooth gradient, lighter towards the horizon; stone: sandy, textured, with dark courses every 8 rows.
        const base: [number, number, number] = stone ? (y % 8 === 0 ? [120, 100, 80] : [190, 165, 125]) : [90 + y, 140 + y, 220];
        for (let k = 0; k < 3; k++) rgb[i * 3 + k] = Math.max(0, Math.min(255, Math.round(base[k]! + (stone ? 40 * rnd() : 0))));
      }
    }
    return { rgb, isSky, towerTop };
  }

  it('in a scene without a compact subject (a building under the sky), removes the sky and keeps the building', () => {
    const { rgb, isSky, towerTop } = building();
    const sky = skyMask({ width, height, rgb });
    // The saliency sees the tower tops only, as it does on a real building.
    const saliency = Float32Array.from(towerTop);
    expect(isScene(saliency, sky, width, height)).toBe(true);
    const cut = subjectCut({ width, height, rgb, saliency, degreeRmbg: 0.02, sky }, options);
    let skyKept = 0;
    let skyAll = 0;
    let stoneKept = 0;
    let stoneAll = 0;
    for (let i = 0; i < cut.length; i++) {
      if (isSky[i]) {
        skyAll++;
        skyKept += cut[i]!;
      } else {
        stoneAll++;
        stoneKept += cut[i]!;
      }
    }
    expect(skyKept / skyAll).toBeLessThan(0.02);
    expect(stoneKept / stoneAll).toBeGreaterThan(0.97);
    // Without the sky (no sky input), the same photo is cut around its salient parts, as before.
    const plain = subjectCut({ width, height, rgb, saliency, degreeRmbg: 0.02 }, options);
    expect(plain.reduce((a, v) => a + v, 0)).toBeLessThan(0.5 * stoneAll);
  });

  it('a compact subject in front of the sky is no scene: its background is removed as usual', () => {
    const { rgb } = building();
    const sky = skyMask({ width, height, rgb });
    // One salient blob in the middle (a person before the building): compact, not strewn across the width.
    const saliency = Float32Array.from({ length: width * height }, (_, i) =>
      ((i % width) - 60) ** 2 + (Math.floor(i / width) - 55) ** 2 <= 15 ** 2 ? 1 : 0,
    );
    expect(isScene(saliency, sky, width, height)).toBe(false);
    // Nothing salient at all under a wide sky over the land is a scene (a landscape).
    expect(isScene(new Float32Array(width * height), sky, width, height)).toBe(true);
  });

  it('never keeps less as degree_rmbg is lowered', () => {
    // A subject whose second part looks like neither it nor the backdrop: what to keep is a judgement call.
    const { rgb, inDisc } = photo([
      { cx: 45, cy: 45, r: 20, colour: [165, 115, 105] },
      { cx: 80, cy: 40, r: 12, colour: [145, 125, 110] },
    ]);
    const saliency = Float32Array.from(inDisc, (d) => (d === 0 ? 0.9 : d === 1 ? 0.3 : 0.02));
    const degrees = [0, 0.005, 0.02, 0.1, 0.3, 0.6, 0.9, 1];
    const areas = degrees.map((degreeRmbg) => subjectCut({ width, height, rgb, saliency, degreeRmbg }, options).reduce((a, v) => a + v, 0));
    for (let k = 1; k < areas.length; k++)
      expect(areas[k], `degree ${degrees[k]} keeps ${areas[k]} px, ${degrees[k - 1]} keeps ${areas[k - 1]}`).toBeLessThanOrEqual(
        areas[k - 1]!,
      );
    expect(areas[0]).toBeGreaterThan(areas.at(-1)!);
  });
});
