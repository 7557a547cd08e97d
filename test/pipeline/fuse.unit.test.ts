// Multi-scale fusion with a stand-in model whose every answer has its own unknown scale and shift,
// as a relative depth model's do: the tiles must be aligned and blended into one consistent map,
// with no seam where tiles meet.
import { describe, expect, it } from 'vitest';
import { fitScaleShift } from '../../src/raster/align.js';
import type { DecodedImage } from '../../src/raster/decode.js';
import { gridSize, multiScaleInverseDepth, type FuseOptions, type InverseDepthPredictor } from '../../src/pipeline/fuse.js';
import { resizeBilinear } from '../../src/raster/resize.js';

/** A scene whose true inverse depth is written into the red channel: a ramp plus a nearer box. */
function scene(width: number, height: number): { image: DecodedImage; truth: Float32Array } {
  const truth = new Float32Array(width * height);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const box = x > width * 0.55 && x < width * 0.8 && y > height * 0.3 && y < height * 0.7;
      truth[i] = 0.2 + 0.5 * (y / height) + (box ? 0.25 : 0);
      rgb[i * 3] = Math.round(truth[i]! * 255);
      rgb[i * 3 + 1] = 128;
      rgb[i * 3 + 2] = 128;
    }
  }
  return { image: { width, height, rgb }, truth };
}

/** Reads the red channel back as inverse depth, squashed to 128x128, with a new scale and shift each call. */
function relativeModel(): { predict: InverseDepthPredictor; calls: () => number } {
  let calls = 0;
  const predict: InverseDepthPredictor = async (image) => {
    calls++;
    const scale = 0.5 + ((calls * 0.37) % 1.5);
    const shift = ((calls * 0.61) % 1) - 0.5;
    const red = Float32Array.from({ length: image.width * image.height }, (_, i) => image.rgb[i * 3]! / 255);
    const squashed = resizeBilinear({ width: image.width, height: image.height, data: red }, 128, 128);
    return { ...squashed, data: squashed.data.map((v) => scale * v + shift) };
  };
  return { predict, calls: () => calls };
}

/** Worst error after one global least-squares alignment to the truth, away from the box's outline
 * (where the model's resolution blurs the step). */
function worstError(fused: Float32Array, truth: Float32Array, width: number, height: number): number {
  const { scale, shift } = fitScaleShift(fused, truth);
  let worst = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const nearOutline =
        Math.abs(x - width * 0.55) < 6 || Math.abs(x - width * 0.8) < 6 || Math.abs(y - height * 0.3) < 6 || Math.abs(y - height * 0.7) < 6;
      if (nearOutline) continue;
      const i = y * width + x;
      worst = Math.max(worst, Math.abs(scale * fused[i]! + shift - truth[i]!));
    }
  }
  return worst;
}

const options: FuseOptions = { feed: 'squash', zooms: [2], overlap: 0.5, lowpass: 0 };

describe('multiScaleInverseDepth', () => {
  it('aligns every tile to the global pass: one consistent map, no seams (4:3 and 16:9)', async () => {
    for (const [width, height] of [
      [224, 168],
      [320, 180],
    ] as const) {
      const { image, truth } = scene(width, height);
      const model = relativeModel();
      const fused = await multiScaleInverseDepth(model.predict, image, options);
      expect([fused.width, fused.height]).toEqual([width, height]);
      expect(model.calls()).toBeGreaterThan(4); // the global pass and several tiles
      expect(worstError(fused.data, truth, width, height)).toBeLessThan(0.02);
    }
  });

  it('keeps the global low frequencies when asked (lowpass), still without seams', async () => {
    const { image, truth } = scene(224, 168);
    const fused = await multiScaleInverseDepth(relativeModel().predict, image, { ...options, lowpass: 8 });
    expect(worstError(fused.data, truth, 224, 168)).toBeLessThan(0.02);
  });

  it('feeds a wide image padded or as merged 4:3 crops, covering every pixel', async () => {
    const { image, truth } = scene(400, 150);
    for (const feed of ['pad', 'crop'] as const) {
      const fused = await multiScaleInverseDepth(relativeModel().predict, image, { ...options, feed, zooms: [] });
      expect(fused.data.every(Number.isFinite)).toBe(true);
      expect(worstError(fused.data, truth, 400, 150), feed).toBeLessThan(0.02);
    }
  });
});

describe('gridSize', () => {
  it('gives the 4:3 window of the short side 224 x zoom pixels, never more than the photo has', () => {
    expect(gridSize(4000, 3000, 448)).toEqual({ width: 597, height: 448 });
    // Portrait photos too: the windows keep the landscape shape the model was trained on.
    expect(gridSize(3000, 4000, 224)).toEqual({ width: 299, height: 398 });
    expect(gridSize(1242, 375, 448)).toEqual({ width: 1242, height: 375 });
  });
});
