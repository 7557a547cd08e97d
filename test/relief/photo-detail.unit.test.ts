// The detailed style: the photo's own detail carved over the depth's volume, as a maker would check
// it: the dark eyes of a face sink in, grain does not become bumps, a real step of the depth wins
// over painted contrast, and a depth map without a photo is made as before.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/eval/stats.js';
import type { DepthMap } from '../../src/raster/depth-map.js';
import { heightField, reliefSettings, type HeightField } from '../../src/relief/heightfield.js';
import { buildRelief, type ReliefParams } from '../../src/relief/index.js';
import { topology } from './helpers.js';

const HI3D: ReliefParams = { heightRelief: 1.3, width: 40, shapeBase: 'square', thicknessBase: 1, sculpmode: 'emboss' };
const [W, H] = [400, 300];

/** A map of W x H with depth and lightness functions of (x, y) in pixels, and optionally alpha. */
function photoMap(
  depth: (x: number, y: number) => number,
  light: (x: number, y: number) => number,
  alpha?: (x: number, y: number) => number,
): DepthMap {
  const map: DepthMap = { width: W, height: H, depth: new Float32Array(W * H), lightness: new Float32Array(W * H) };
  if (alpha) map.alpha = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      map.depth[i] = depth(x, y);
      map.lightness![i] = light(x, y);
      if (map.alpha) map.alpha[i] = alpha!(x, y);
    }
  }
  return map;
}

/** A face-like dome, lit evenly, with two dark eyes (discs of 12 px) at (150, 120) and (250, 120). */
const EYES: [number, number][] = [
  [150, 120],
  [250, 120],
];
const dome = (x: number, y: number) => Math.max(0, 1 - ((x - 200) ** 2 + (y - 150) ** 2) / 200 ** 2);
const withEyes = (x: number, y: number) => (EYES.some(([ex, ey]) => Math.hypot(x - ex, y - ey) <= 12) ? 0.15 : 0.75);

function fieldOf(map: DepthMap, params: Partial<ReliefParams>): HeightField {
  const full = { ...HI3D, ...params };
  return heightField(map, full, reliefSettings(map, full));
}

/** Mean height (mm) of the samples within `r0`..`r1` map pixels of (px, py). */
function meanAround(hf: HeightField, px: number, py: number, r0: number, r1: number): number {
  const step = hf.region.w / hf.cols;
  let sum = 0;
  let count = 0;
  for (let y = 0; y < hf.rows; y++) {
    for (let x = 0; x < hf.cols; x++) {
      const d = Math.hypot(hf.region.x + (x + 0.5) * step - px, hf.region.y + (y + 0.5) * step - py);
      if (d < r0 || d > r1 || !hf.inside[y * hf.cols + x]) continue;
      sum += hf.z[y * hf.cols + x]!;
      count++;
    }
  }
  return sum / count;
}

/** Standard deviation (mm) of the height minus its local mean over `radius` samples: the fine shape. */
function fineRoughness(hf: HeightField, radius: number): number {
  let sum = 0;
  let count = 0;
  for (let y = radius; y < hf.rows - radius; y++) {
    for (let x = radius; x < hf.cols - radius; x++) {
      let local = 0;
      for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) local += hf.z[(y + dy) * hf.cols + x + dx]!;
      const fine = hf.z[y * hf.cols + x]! - local / (2 * radius + 1) ** 2;
      sum += fine * fine;
      count++;
    }
  }
  return Math.sqrt(sum / count);
}

describe('the detailed relief style', () => {
  it("sinks a face's dark eyes into its volume; the smooth style has none", () => {
    const map = photoMap(dome, withEyes);
    const detailed = fieldOf(map, {});
    const smooth = fieldOf(map, { reliefStyle: 'smooth' });
    for (const [ex, ey] of EYES) {
      const pit = meanAround(detailed, ex, ey, 0, 6) - meanAround(detailed, ex, ey, 18, 26);
      expect(pit).toBeLessThan(-0.2);
      const none = meanAround(smooth, ex, ey, 0, 6) - meanAround(smooth, ex, ey, 18, 26);
      expect(Math.abs(none)).toBeLessThan(0.05);
    }
  });

  it('carves as deep as detail_height says', () => {
    const map = photoMap(dome, withEyes);
    const depthOf = (detailHeight: number) => {
      const hf = fieldOf(map, { detailHeight });
      return meanAround(hf, EYES[0]![0], EYES[0]![1], 18, 26) - meanAround(hf, EYES[0]![0], EYES[0]![1], 0, 6);
    };
    const [none, shallow, deep] = [depthOf(0), depthOf(0.2), depthOf(0.8)];
    expect(Math.abs(none)).toBeLessThan(0.05);
    expect(deep).toBeGreaterThan(2 * shallow);
    expect(shallow).toBeGreaterThan(0.08);
  });

  it('does not make grain into bumps: a flat photo with sensor noise stays flat', () => {
    const next = mulberry32(3);
    const noise = new Float32Array(W * H).map(() => (next() - 0.5) * 0.02); // +-2.5 levels of 8 bits
    const map = photoMap(dome, (x, y) => 0.6 + noise[y * W + x]!);
    const grainy = fineRoughness(fieldOf(map, {}), 3);
    const eyes = fineRoughness(fieldOf(photoMap(dome, withEyes), {}), 3);
    expect(grainy).toBeLessThan(0.01);
    expect(eyes).toBeGreaterThan(5 * grainy);
  });

  it('lets a real step of the depth win over painted contrast', () => {
    // Near on the right (depth 1) but painted dark; far on the left, painted light.
    const map = photoMap(
      (x) => (x < 200 ? 0.1 : 1),
      (x) => (x < 200 ? 0.9 : 0.1),
    );
    const hf = fieldOf(map, { detailHeight: 0.8 });
    const left = meanAround(hf, 100, 150, 0, 40);
    const right = meanAround(hf, 300, 150, 0, 40);
    expect(right - left).toBeGreaterThan(0.5 * HI3D.heightRelief);
  });

  it('keeps the relief within height_relief over thickness_base, emboss and engrave, plate and cut-out', () => {
    for (const sculpmode of ['emboss', 'engrave'] as const) {
      for (const cutOut of [false, true]) {
        const map = photoMap(dome, withEyes, cutOut ? (x, y) => (dome(x, y) > 0.2 ? 1 : 0) : undefined);
        const { mesh } = buildRelief(map, { ...HI3D, sculpmode });
        const topo = topology(mesh);
        expect(topo.badEdges).toBe(0);
        expect(topo.volume).toBeGreaterThan(0);
        let top = 0;
        let low = Infinity;
        for (let i = 2; i < mesh.positions.length; i += 3) {
          top = Math.max(top, mesh.positions[i]!);
          if (mesh.positions[i]! > 0) low = Math.min(low, mesh.positions[i]!);
        }
        expect(top).toBeCloseTo(HI3D.thicknessBase + HI3D.heightRelief, 4);
        expect(low).toBeGreaterThanOrEqual(HI3D.thicknessBase - 1e-4);
      }
    }
  });

  it('makes a depth map without a photo exactly as before, whatever the style', () => {
    const map = photoMap(dome, withEyes);
    delete map.lightness;
    const detailed = buildRelief(map, { ...HI3D, reliefStyle: 'detailed' });
    const smooth = buildRelief(map, { ...HI3D, reliefStyle: 'smooth' });
    expect(detailed.mesh.positions).toEqual(smooth.mesh.positions);
    expect(detailed.mesh.indices).toEqual(smooth.mesh.indices);
  });
});
