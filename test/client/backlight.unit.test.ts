// The SDK's back-lit simulation (packages/client/src/backlight.ts): a part's thickness measured through a raster
// whose pixel centres fall exactly on the mesh's diagonal edges, counted once, and the light through
// a stack following the filaments' table.
import { describe, expect, it } from 'vitest';
import { backlitImage, rasterOver, thicknessMap } from '../../packages/client/src/backlight.js';
import { transmission } from '@depthmill/client/contract';
import { slabMesh } from '../../src/relief/colour-lithophane.js';

/** A cols x rows grid of one value. */
const flat = (cols: number, rows: number, value: number) => new Float32Array(cols * rows).fill(value);

describe('backlitImage', () => {
  it('measures a slab as thick as it is at every pixel, those on shared edges included', () => {
    // 4 x 4 mm, 1 mm cells; 8 pixels across: half the pixel centres lie on a cell's diagonal.
    const mesh = slabMesh(flat(5, 5, 0.5), flat(5, 5, 1.75), 5, 5, 1);
    const raster = rasterOver([mesh], 8);
    expect([raster.width, raster.height]).toEqual([8, 8]);
    const map = thicknessMap(mesh, raster);
    for (const mm of map) expect(mm).toBeCloseTo(1.25, 5);
  });

  it('lets through what the filaments of the stack let through, the brightest place white', () => {
    const [cols, rows] = [5, 3];
    // Left half: 1 mm of cyan under 1 mm of white; right half: white only (its cyan 0.1 mm).
    const cyan = new Float32Array(cols * rows).map((_, i) => (i % cols < 2 ? 1 : 0.1));
    const mesh = (bottom: Float32Array, top: Float32Array, name: string) => ({ name, ...slabMesh(bottom, top, cols, rows, 10) });
    const white = cyan.map((mm) => mm + 1);
    const image = backlitImage([mesh(flat(cols, rows, 0), cyan, 'cyan'), mesh(cyan, white, 'white')], 40);
    const pixel = (x: number, y: number) => Array.from(image.rgba.subarray(4 * (y * image.width + x), 4 * (y * image.width + x) + 4));
    const left = pixel(2, 10);
    const right = pixel(37, 10);
    expect(right[3]).toBe(255);
    // The right is the brightest: its brightest channel is white's.
    expect(Math.max(...right.slice(0, 3))).toBe(255);
    // The left lost most of its red to the cyan, little green or blue.
    const expected = transmission([1, 0, 0, 1]);
    expect(expected[0]).toBeLessThan(0.15 * expected[1]!);
    expect(left[0]).toBeLessThan(left[1]! - 100);
    expect(left[2]).toBeGreaterThan(left[0]! + 100);
  });
});
