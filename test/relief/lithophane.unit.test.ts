// Lithophanes (relief_mode=lithophane): a real photo's lightness as the plate's thickness, checked
// as a printer's software reads the STL (ADMesh) and by the heights of the top surface.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeRelief } from '../../src/formats/index.js';
import { meshBounds, type ReliefMesh } from '../../src/relief/index.js';
import { buildLithophane } from '../../src/relief/lithophane.js';
import { admesh, PHOTOS, topHeights, topology, writeTemp } from './helpers.js';
import { readPhoto } from '../helpers/fixtures.js';

const coffee = readPhoto(PHOTOS.coffee); // 600 x 400

/** Top-surface height at a point given as shares (0..1, top left origin) of the picture. */
function heightAt(mesh: ReliefMesh, fx: number, fy: number): number {
  const { min, max } = meshBounds(mesh);
  const x = min[0] + fx * (max[0] - min[0]);
  const y = min[1] + (1 - fy) * (max[1] - min[1]); // the image's top row is at the largest Y
  return topHeights(mesh, [x], [y])[0]!;
}

/** The darkest and lightest places of the photo, on a blurred 60 x 40 grey copy (regions, not single pixels). */
async function extremes(photo: Buffer): Promise<{ dark: [number, number]; light: [number, number] }> {
  const { data, info } = await sharp(photo)
    .greyscale()
    .resize(60, 40, { fit: 'fill' })
    .blur(1.5)
    .raw()
    .toBuffer({ resolveWithObject: true });
  let dark = 6 * info.width + 6;
  let light = dark;
  // Away from the edges (the frame, the plate's rim).
  for (let y = 6; y < info.height - 6; y++) {
    for (let x = 6; x < info.width - 6; x++) {
      const i = y * info.width + x;
      if (data[i]! < data[dark]!) dark = i;
      if (data[i]! > data[light]!) light = i;
    }
  }
  const at = (i: number): [number, number] => [((i % info.width) + 0.5) / info.width, (Math.floor(i / info.width) + 0.5) / info.height];
  return { dark: at(dark), light: at(light) };
}

describe('lithophane', () => {
  it('is one closed plate, width wide, litho_min to litho_max thick, dark = thick, with its frame at litho_max', async () => {
    const params = { width: 60, shapeBase: 'square' as const, lithoMin: 0.8, lithoMax: 3, lithoFrame: 3 };
    const { mesh, stats } = await buildLithophane(coffee, params);
    expect(stats.mmPerSample).toBeGreaterThanOrEqual(0.1);
    expect(stats.mmPerSample).toBeLessThanOrEqual(0.2);

    const shape = topology(mesh);
    expect([shape.shells, shape.badEdges, shape.degenerate]).toEqual([1, 0, 0]);
    expect(shape.volume).toBeGreaterThan(0);
    const stl = await encodeRelief('stl', mesh);
    const report = admesh(writeTemp('lithophane.stl', stl.bytes));
    expect(report.parts).toBe(1);
    expect([report.disconnectedFacets, report.edgesFixed, report.facetsReversed, report.backwardsEdges, report.normalsFixed]).toEqual([
      0, 0, 0, 0, 0,
    ]);

    const { min, max } = meshBounds(mesh);
    expect(max[0] - min[0]).toBeCloseTo(60, 3);
    expect(max[1] - min[1]).toBeCloseTo(40, 0); // the photo's 3:2
    expect(min[2]).toBeCloseTo(0, 6);
    expect(max[2]).toBeCloseTo(3, 4);

    // The top surface on a 0.5 mm grid: never thinner than litho_min.
    const xs = Array.from({ length: 119 }, (_, i) => min[0] + 0.25 + i * 0.5);
    const ys = Array.from({ length: 79 }, (_, i) => min[1] + 0.25 + i * 0.5);
    const top = topHeights(mesh, xs, ys);
    let thinnest = Infinity;
    for (const z of top) if (z < thinnest) thinnest = z;
    expect(thinnest).toBeGreaterThanOrEqual(0.8 - 1e-3);
    expect(thinnest).toBeLessThan(1.2); // the photo's lightest part is near litho_min

    // Dark = thick: the photo's darkest region stands well above its lightest.
    const { dark, light } = await extremes(coffee);
    const thick = heightAt(mesh, ...dark);
    const thin = heightAt(mesh, ...light);
    expect(thick - thin).toBeGreaterThan(0.5 * (3 - 0.8));

    // The frame: 3 mm of litho_max all round (sampled 1.5 mm in from each side).
    const frame = [
      ...topHeights(mesh, xs, [min[1] + 1.5, max[1] - 1.5]),
      ...topHeights(
        mesh,
        [min[0] + 1.5, max[0] - 1.5],
        ys.filter((y) => y > min[1] + 2 && y < max[1] - 2),
      ),
    ];
    for (const z of frame) expect(z).toBeCloseTo(3, 1);
  }, 60_000);

  it('makes a circle with a ring frame, and follows the EXIF orientation', async () => {
    // The photo stored as a landscape with "rotate 90" in EXIF: a portrait plate.
    const tagged = await sharp(coffee).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const portrait = await buildLithophane(tagged, { width: 30, shapeBase: 'square', lithoMin: 0.6, lithoMax: 2.4, lithoFrame: 0 });
    const upright = meshBounds(portrait.mesh);
    expect(upright.max[0] - upright.min[0]).toBeCloseTo(30, 3);
    expect(upright.max[1] - upright.min[1]).toBeCloseTo(45, 0);
    expect(upright.max[2]).toBeCloseTo(2.4, 4);

    const disc = await buildLithophane(coffee, { width: 40, shapeBase: 'circle', lithoMin: 0.8, lithoMax: 3, lithoFrame: 2 });
    const shape = topology(disc.mesh);
    expect([shape.shells, shape.badEdges]).toEqual([1, 0]);
    const { min, max } = meshBounds(disc.mesh);
    expect(max[0] - min[0]).toBeCloseTo(40, 1);
    expect(max[1] - min[1]).toBeCloseTo(40, 1);
    const [cx, cy] = [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2];
    // 1 mm inside the rim, all round: the ring at litho_max.
    const ring = Array.from({ length: 24 }, (_, k) => {
      const angle = (k / 24) * 2 * Math.PI;
      return topHeights(disc.mesh, [cx + 19 * Math.cos(angle)], [cy + 19 * Math.sin(angle)])[0]!;
    });
    for (const z of ring) expect(z).toBeCloseTo(3, 1);
  }, 60_000);
});
