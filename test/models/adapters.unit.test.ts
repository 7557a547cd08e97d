// Every registry adapter (input sizing, normalisation, which output is read, what it means) on tiny
// models with the real models' input and output names and shapes.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { DecodedImage } from '../../src/raster/decode.js';
import { predictInverseDepth } from '../../src/pipeline/depth.js';
import { predictSaliency } from '../../src/pipeline/mask.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, models, type ModelEntry, type ModelInput } from '../../src/models/model-cache.js';
import { modelInputSize, modelInputTensor } from '../../src/models/model-input.js';
import type { LoadedModel } from '../../src/models/sessions.js';
import { tempDir } from '../helpers/server.js';
import { tinyDepthAnything, tinyFastDepth, tinyIsnet, tinyU2Netp } from '../helpers/tiny-models.js';

async function load(name: string, bytes: Buffer): Promise<LoadedModel> {
  return { name, entry: models[name] as ModelEntry, session: await ort.InferenceSession.create(bytes) };
}

/** A width x height image whose left half is one colour and right half another. */
function twoTone(width: number, height: number, left: [number, number, number], right: [number, number, number]): DecodedImage {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.set(x < width / 2 ? left : right, (y * width + x) * 3);
  }
  return { width, height, rgb } as DecodedImage;
}

function normalisedMean(rgb: [number, number, number], entry: ModelEntry): number {
  return rgb.reduce((sum, value, c) => sum + (value / 255 - entry.input.mean[c]!) / entry.input.std[c]!, 0) / 3;
}

describe('Depth Anything V2 adapter', () => {
  const entry = models['depth-anything-v2-small']!;

  it('keeps the aspect ratio with the short side at 518 (up to 2:1), both sides multiples of 14', () => {
    expect(modelInputSize(300, 200, entry.input)).toEqual({ width: 784, height: 518 });
    expect(modelInputSize(1000, 2000, entry.input)).toEqual({ width: 518, height: 1036 });
    expect(modelInputSize(640, 480, entry.input)).toEqual({ width: 686, height: 518 });
  });

  it('bounds the long side at 1036: a 16:1 photo is fed at 1036 x 70, not 8288 x 518 (22,000 patches)', async () => {
    // Up to 2:1 (every camera's ratio) the short side stays at 518; beyond, the whole input shrinks.
    expect(modelInputSize(2000, 1000, entry.input)).toEqual({ width: 1036, height: 518 });
    expect(modelInputSize(3000, 1000, entry.input)).toEqual({ width: 1036, height: 350 });
    expect(modelInputSize(100, 1600, entry.input)).toEqual({ width: 70, height: 1036 });
    // Through the adapter and a model with Depth Anything's dynamic input, as a task runs it.
    const model = await load('depth-anything-v2-small', tinyDepthAnything());
    const out = await predictInverseDepth(model, twoTone(1600, 100, [200, 30, 90], [10, 240, 120]));
    expect([out.width, out.height]).toEqual([1036, 70]);
    expect((out.width / 14) * (out.height / 14)).toBe(370);
  });

  it('never feeds a Depth Anything model more than 1036 px or 74 x 37 patches, whatever the allowed photo', () => {
    for (const name of ['depth-anything-v2-small', 'depth-anything-v2-small-int8', 'depth-anything-v2-base', 'depth-anything-v2-large']) {
      const input = models[name]!.input;
      for (const [width, height] of [
        [16, 16],
        [518, 517],
        [4000, 3000],
        [1920, 1080],
        [16 * 500, 500],
        [16, 256],
        [9999, 625],
        [17, 16 * 17],
      ]) {
        const size = modelInputSize(width!, height!, input);
        expect(Math.max(size.width, size.height), `${name} ${width}x${height}`).toBeLessThanOrEqual(1036);
        expect(Math.min(size.width, size.height)).toBeGreaterThanOrEqual(14);
        expect(size.width % 14 === 0 && size.height % 14 === 0).toBe(true);
        expect((size.width / 14) * (size.height / 14)).toBeLessThanOrEqual(74 * 37);
      }
    }
  });

  it("bounds an operator's keep-aspect model that names no bound at twice its short side", () => {
    const input: ModelInput = { ...entry.input, maxLongSide: undefined, height: 384, width: 384, multipleOf: 16 };
    expect(modelInputSize(1600, 100, input)).toEqual({ width: 768, height: 48 });
    expect(modelInputSize(400, 300, input)).toEqual({ width: 512, height: 384 });
  });

  it('refuses a registry entry whose bound is not a whole number of patches of at least one, or is on a fixed-size model', () => {
    const registry = (input: Record<string, unknown>) => {
      const path = join(tempDir('registry'), 'models.json');
      const { input: daInput, ...rest } = models['depth-anything-v2-small']!;
      writeFileSync(path, JSON.stringify({ mine: { ...rest, fetchAtInstall: false, file: 'mine.onnx', input: { ...daInput, ...input } } }));
      return () => loadRegistry({ DEPTHMILL_MODEL_REGISTRY: path });
    };
    expect(registry({ maxLongSide: 1400 })()).toHaveProperty('mine.input.maxLongSide', 1400);
    for (const bad of [
      { maxLongSide: 0 },
      { maxLongSide: 7 },
      { maxLongSide: 1000 },
      { maxLongSide: '1036' },
      { multipleOf: 0 },
      { sizing: 'keep' },
      { sizing: 'fixed', maxLongSide: 1036 },
    ]) {
      expect(registry(bad), JSON.stringify(bad)).toThrow(/model entry "mine" is malformed/);
    }
  });

  it('feeds pixel_values with ImageNet normalisation and reads predicted_depth as disparity', async () => {
    const model = await load('depth-anything-v2-small', tinyDepthAnything());
    const left: [number, number, number] = [200, 30, 90];
    const right: [number, number, number] = [10, 240, 120];
    const out = await predictInverseDepth(model, twoTone(300, 200, left, right));
    expect([out.width, out.height]).toEqual([784, 518]);
    // Disparity is kept as it is (larger = nearer); the decoy first output (a max) is not read.
    expect(out.data[784 * 100 + 50]).toBeCloseTo(normalisedMean(left, entry), 4);
    expect(out.data[784 * 100 + 700]).toBeCloseTo(normalisedMean(right, entry), 4);
  });

  it('is the same adapter for every Depth Anything entry', () => {
    for (const name of ['depth-anything-v2-small-int8', 'depth-anything-v2-base', 'depth-anything-v2-large']) {
      expect(models[name]!.input).toEqual(entry.input);
      expect(models[name]!.output).toMatchObject({ kind: 'disparity', name: 'predicted_depth' });
    }
    expect(models['depth-anything-v2-base']!.commercialUse).toBe(false);
    expect(models['depth-anything-v2-large']!.licence).toMatch(/non-commercial/);
  });
});

describe('FastDepth adapter', () => {
  it('squashes to 224x224 in 0..1 and turns metres into inverse depth', async () => {
    const model = await load('fastdepth', tinyFastDepth());
    const out = await predictInverseDepth(model, twoTone(640, 480, [255, 255, 255], [0, 0, 0]));
    expect([out.width, out.height]).toEqual([224, 224]);
    // The tiny model predicts 1 + mean(rgb in 0..1) metres: 2 m on white, 1 m on black.
    expect(out.data[224 * 100 + 10]).toBeCloseTo(1 / 2, 5);
    expect(out.data[224 * 100 + 200]).toBeCloseTo(1 / 1, 5);
  });

  it('fills a patch predicted at 0 m from the depth around it instead of making it the nearest point', async () => {
    const model = await load('fastdepth', tinyFastDepth(0));
    // White (1 m) with a black square (0 m) in the middle.
    const rgb = Buffer.alloc(224 * 224 * 3, 255);
    for (let y = 90; y < 130; y++) rgb.fill(0, (y * 224 + 90) * 3, (y * 224 + 130) * 3);
    const out = await predictInverseDepth(model, { width: 224, height: 224, rgb } as DecodedImage);
    expect(out.data.every(Number.isFinite)).toBe(true);
    // Inverted, 0 m would be 1,000 (1/mm) or more; filled, the patch is the 1 m around it.
    expect(Math.max(...out.data)).toBeCloseTo(1, 5);
    expect(out.data[224 * 110 + 110]).toBeCloseTo(1, 5);
  });
});

describe('U2-Net-p adapter', () => {
  it('reads the first of seven outputs and min-max normalises it', async () => {
    const model = await load('u2netp', tinyU2Netp());
    const out = await predictSaliency(model, twoTone(500, 300, [20, 20, 20], [230, 230, 230]));
    expect([out.width, out.height]).toEqual([320, 320]);
    // Min-max normalised: exactly 0..1 over the plane (the extremes sit in the resampling ringing
    // at the edge between the halves), dark side low, bright side high.
    expect(Math.min(...out.data)).toBe(0);
    expect(Math.max(...out.data)).toBe(1);
    expect(out.data[320 * 160 + 20]).toBeLessThan(0.1);
    expect(out.data[320 * 160 + 300]).toBeGreaterThan(0.9);
  });
});

describe("ISNet adapter (IMG.LY's export)", () => {
  const entry = models.isnet!;

  it('feeds `input` the image squashed to 1024x1024, normalised as IMG.LY does: (v - 128) / 256', async () => {
    // Their runInference: tensorResizeBilinear to 1024x1024, then tensorHWCtoBCHW with mean 128 and
    // std 256 on 0..255 values; ours is ((v / 255) - mean) / std, hence 128/255 and 256/255.
    const tensor = await modelInputTensor(twoTone(600, 400, [200, 30, 90], [200, 30, 90]), entry.input);
    expect([tensor.width, tensor.height]).toEqual([1024, 1024]);
    const plane = 1024 * 1024;
    expect(tensor.data[500]).toBeCloseTo((200 - 128) / 256, 6);
    expect(tensor.data[plane + 500]).toBeCloseTo((30 - 128) / 256, 6);
    expect(tensor.data[2 * plane + 500]).toBeCloseTo((90 - 128) / 256, 6);
  });

  it('reads the output named `output` (a probability) and min-max normalises it', async () => {
    const model = await load('isnet', tinyIsnet());
    const out = await predictSaliency(model, twoTone(500, 300, [20, 20, 20], [230, 230, 230]));
    expect([out.width, out.height]).toEqual([1024, 1024]);
    // The decoy first output is the negation: read instead, dark and bright would swap.
    // (A reduce: a million arguments to Math.min would overflow the stack.)
    expect(out.data.reduce((a, b) => Math.min(a, b))).toBe(0);
    expect(out.data.reduce((a, b) => Math.max(a, b))).toBe(1);
    expect(out.data[1024 * 512 + 50]).toBeLessThan(0.1);
    expect(out.data[1024 * 512 + 950]).toBeGreaterThan(0.9);
  });

  it('is the same adapter for the quantised export', () => {
    expect(models['isnet-quint8']!.input).toEqual(entry.input);
    expect(models['isnet-quint8']!.output).toMatchObject({ kind: 'saliency', name: 'output' });
  });
});
