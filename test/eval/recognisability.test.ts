// The relief measures taken from outside (bench/eval/recognisability.ts): the rasteriser gives back
// a known surface, and recognisability tells a relief carrying the photo's pattern from one
// carrying another. Synthetic inputs only: no shared data.
import { describe, expect, it } from 'vitest';
import { photoName, photoSplit } from '../../bench/eval/dataset.js';
import { bigShape, rasteriseTop, recognisability, scoreRelief } from '../../bench/eval/recognisability.js';
import { mulberry32 } from '../../bench/eval/stats.js';
import type { DepthMap } from '../../src/raster/depth-map.js';
import { maskedBlur } from '../../src/relief/bas-relief.js';
import { buildRelief, type ReliefMesh, type ReliefParams } from '../../src/relief/index.js';

/** A closed-enough slab: the top z = f(x, y) on an n x m vertex grid over w x h mm, and a flat bottom (facing down). */
function slab(w: number, h: number, n: number, m: number, f: (x: number, y: number) => number): ReliefMesh {
  const positions: number[] = [];
  for (const top of [true, false]) {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < n; i++) {
        const x = (i * w) / (n - 1);
        const y = (j * h) / (m - 1);
        positions.push(x, y, top ? f(x, y) : 0);
      }
    }
  }
  const indices: number[] = [];
  const base = n * m;
  for (let j = 0; j + 1 < m; j++) {
    for (let i = 0; i + 1 < n; i++) {
      const a = j * n + i;
      // Counter-clockwise seen from above on the top, from below on the bottom.
      indices.push(a, a + 1, a + n + 1, a, a + n + 1, a + n);
      indices.push(base + a, base + a + n + 1, base + a + 1, base + a, base + a + n, base + a + n + 1);
    }
  }
  return { positions: Float32Array.from(positions), indices: Uint32Array.from(indices) };
}

/** Blurred white noise, stretched to 0..1: a texture with edges at every scale from ~0.5 mm up. */
function pattern(size: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const noise = Float32Array.from({ length: size * size }, () => random());
  const blurred = maskedBlur(noise, new Uint8Array(size * size).fill(1), size, size, 2);
  let low = Infinity;
  let high = -Infinity;
  for (const v of blurred) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  return blurred.map((v) => (v - low) / (high - low));
}

const PLATE: ReliefParams = {
  heightRelief: 1.3,
  width: 40,
  shapeBase: 'square',
  thicknessBase: 1,
  sculpmode: 'emboss',
  reliefDetail: 0,
  reliefSmooth: 0,
};
const SIZE = 200;

describe('rasteriseTop', () => {
  it('gives back a tilted plane: its heights at the cell centres, the whole box as footprint, image rows from the top', () => {
    const plane = (x: number, y: number) => 1 + 0.05 * x + 0.02 * y;
    const top = rasteriseTop(slab(10, 6, 11, 7, plane));
    expect([top.cols, top.rows]).toEqual([100, 60]);
    let worst = 0;
    for (let r = 0; r < top.rows; r++) {
      for (let c = 0; c < top.cols; c++) {
        const i = r * top.cols + c;
        expect(top.inside[i]).toBe(1);
        // Row 0 is the largest Y (the image's top row).
        worst = Math.max(worst, Math.abs(top.z[i]! - plane((c + 0.5) * 0.1, 6 - (r + 0.5) * 0.1)));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('keeps the footprint of a round plate and leaves the corners out', () => {
    const map: DepthMap = { width: 100, height: 100, depth: new Float32Array(100 * 100).fill(0.5) };
    const top = rasteriseTop(buildRelief(map, { ...PLATE, width: 20, shapeBase: 'circle' }).mesh);
    const area = top.inside.reduce((a, b) => a + b, 0) * 0.01;
    expect(area).toBeGreaterThan(Math.PI * 100 * 0.97);
    expect(area).toBeLessThan(Math.PI * 100 * 1.03);
    expect(top.inside[0]).toBe(0);
  });
});

describe('recognisability and big shape, on the mesh buildRelief writes', () => {
  const texture = pattern(SIZE, 1);
  // A dome (the volume) carrying the texture (the detail), as the depth of a 40 mm plate.
  const dome = Float32Array.from({ length: SIZE * SIZE }, (_, i) => {
    const x = (i % SIZE) / SIZE - 0.5;
    const y = Math.floor(i / SIZE) / SIZE - 0.5;
    return Math.max(0, 1 - 3 * (x * x + y * y));
  });
  const map: DepthMap = { width: SIZE, height: SIZE, depth: dome.map((d, i) => 0.7 * d + 0.3 * texture[i]!) };
  const mesh = buildRelief(map, PLATE).mesh;
  const photoOf = (data: Float32Array) => ({ width: SIZE, height: SIZE, data });

  it("scores near 1 when the relief carries the photo's pattern", () => {
    const score = scoreRelief(mesh, map, photoOf(texture), PLATE);
    expect(score.recognisability).toBeGreaterThan(0.85);
    expect(score.bigShape).toBeGreaterThan(0.95);
  });

  it('scores near 0 against another pattern, or the same one shuffled', () => {
    expect(Math.abs(scoreRelief(mesh, map, photoOf(pattern(SIZE, 2)), PLATE).recognisability)).toBeLessThan(0.15);
    const random = mulberry32(3);
    const shuffled = texture.slice();
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    expect(Math.abs(scoreRelief(mesh, map, photoOf(shuffled), PLATE).recognisability)).toBeLessThan(0.15);
  });

  it("scores a flat relief's detail as absent, and an engraved relief's volume as kept", () => {
    const flat = rasteriseTop(slab(40, 40, 5, 5, () => 2));
    const light = flat.z.map((_, i) => texture[i % (SIZE * SIZE)]!);
    // A flat top has no edges at all: no correlation to speak of.
    expect(recognisability(flat, light)).toBeNaN();
    const engraved = { ...PLATE, sculpmode: 'engrave' as const };
    expect(scoreRelief(buildRelief(map, engraved).mesh, map, photoOf(texture), engraved).bigShape).toBeGreaterThan(0.95);
    expect(bigShape(flat, light)).toBeNaN();
  });
});

describe("the photos' halves", () => {
  it('holds out the photos issue 24 names and tunes on the rest', () => {
    const heldOut = [
      'cadene_cat',
      'facerec_biden',
      'facerec_two_people',
      'opencv_orange',
      'metric3d_david-kohler-VFRTXGw1VjU-unsplash',
      'metric3d_jonathan-borba-CnthDZXCdoY-unsplash',
    ];
    heldOut.push(
      'alphamatting_GT02',
      'alphamatting_GT12',
      'alphamatting_GT18',
      'davis2016_goat_00045',
      'davis2016_kite-surf_00025',
      'weizmannhorse_horse300',
    );
    const tune = [
      'cadene_croco',
      'facerec_obama',
      'opencv_apple',
      'metric3d_randy-fath-G1yhU1Ej-9A-unsplash',
      'alphamatting_GT01',
      'alphamatting_GT11',
      'davis2016_dog_00030',
      'weizmannhorse_horse282',
    ];
    expect(heldOut.map(photoSplit)).toEqual(heldOut.map(() => 'held-out'));
    expect(tune.map(photoSplit)).toEqual(tune.map(() => 'tune'));
    expect(photoName('/eval/masks/alphamatting_GT01.rgb.png')).toBe('alphamatting_GT01');
    expect(photoName('/eval/photos/cadene_cat.jpg')).toBe('cadene_cat');
  });
});
