// Bent reliefs (relief_bend): a plate and a cut-out wrapped around a vertical axis, standing. Checked
// as a maker would: ADMesh finds nothing to fix, PrusaSlicer reads the STL and the 3MF as manifolds
// of the expected size and slices them, the Khronos validator passes the GLB, and the bounding box is
// the chord and sagitta of the bend.
import { validateBytes } from 'gltf-validator';
import { describe, expect, it } from 'vitest';
import { encodeRelief } from '../../src/formats/index.js';
import { buildRelief, meshBounds, type ReliefMesh, type ReliefParams } from '../../src/relief/index.js';
import { admesh, slice, slicerInfo, syntheticMap, topology, writeTemp } from './helpers.js';

const WIDTH = 40;
/** A flat picture: the plate is thicknessBase + heightRelief thick everywhere (the depth is 1). */
const flat = syntheticMap(160, 100, () => 1);
/** A picture with shape: waves across and down. */
const waves = syntheticMap(160, 100, (x, y) => 0.5 + 0.5 * Math.sin(x / 9) * Math.cos(y / 7));
/** Two blobs side by side, from top to bottom of the picture: a cut-out of two pieces. */
const twoBlobs = syntheticMap(
  160,
  100,
  (x, y) => 0.5 + 0.5 * Math.sin(x / 9) * Math.cos(y / 7),
  (x, y) => (((x - 40) / 36) ** 2 + ((y - 50) / 48) ** 2 < 1 || ((x - 120) / 36) ** 2 + ((y - 50) / 48) ** 2 < 1 ? 1 : 0),
);

const base: ReliefParams = {
  width: WIDTH,
  heightRelief: 1.5,
  thicknessBase: 1,
  shapeBase: 'square',
  sculpmode: 'emboss',
  reliefStyle: 'smooth',
};

function size(mesh: ReliefMesh): [number, number, number] {
  const { min, max } = meshBounds(mesh);
  return [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
}

/** ADMesh reads the STL as closed parts with nothing to fix. */
async function expectAdmeshClean(mesh: ReliefMesh, name: string, parts: number): Promise<string> {
  const path = writeTemp(`${name}.stl`, (await encodeRelief('stl', mesh)).bytes);
  const report = admesh(path);
  expect(report.parts, report.text).toBe(parts);
  expect([
    report.disconnectedFacets,
    report.degenerateFacets,
    report.edgesFixed,
    report.facetsRemoved,
    report.facetsAdded,
    report.facetsReversed,
    report.backwardsEdges,
    report.normalsFixed,
  ]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  expect(report.volume).toBeGreaterThan(0);
  return path;
}

/** The mesh's own check: every edge shared by two triangles in opposite directions, none degenerate, outward (positive volume). */
function expectClosed(mesh: ReliefMesh, shells: number): ReturnType<typeof topology> {
  const shape = topology(mesh);
  expect([shape.badEdges, shape.degenerate, shape.shells]).toEqual([0, 0, shells]);
  expect(shape.volume).toBeGreaterThan(0);
  return shape;
}

describe('relief_bend', () => {
  it('bends a plate 90° outward: it stands curved, closed, its box the chord and sagitta, and PrusaSlicer slices it', async () => {
    const straight = buildRelief(flat, base).mesh;
    const [, height, thickness] = size(straight);
    expect(thickness).toBeCloseTo(2.5, 4);
    const { mesh } = buildRelief(flat, { ...base, reliefBend: 90 });
    const shape = expectClosed(mesh, 1);
    expect(shape.euler).toBe(2);

    // The back at radius R = width / (pi / 2), the face at R + thickness: standing, the picture's
    // height is Z, the chord of the face across X, the sagitta plus the thickness deep in Y.
    const radius = WIDTH / (Math.PI / 2);
    const [x, y, z] = size(mesh);
    expect(x).toBeCloseTo(2 * (radius + thickness) * Math.sin(Math.PI / 4), 2);
    expect(y).toBeCloseTo(radius + thickness - radius * Math.cos(Math.PI / 4), 2);
    expect(z).toBeCloseTo(height, 3);
    // Outward: the face's middle is at the front (Y = 0), its ends curve back.
    const p = mesh.positions;
    let front = Infinity;
    for (let i = 0; i < p.length; i += 3) if (Math.abs(p[i]! - x / 2) < 0.5) front = Math.min(front, p[i + 1]!);
    expect(front).toBeCloseTo(0, 3);

    const stl = await expectAdmeshClean(mesh, 'plate-90', 1);
    const info = slicerInfo(stl);
    expect(info.manifold).toBe(true);
    expect(info.size[0]).toBeCloseTo(x, 2);
    expect(info.size[2]).toBeCloseTo(z, 2);
    const gcode = slice(stl);
    expect(gcode).toMatch(/^;LAYER_CHANGE$/m);
    expect(gcode).toMatch(/^G1 X[\d.]+ Y[\d.]+ E[\d.]+/m);
  }, 120_000);

  it('bends a plate 90° inward: the face on the concave side, the back outermost', async () => {
    const { mesh } = buildRelief(flat, { ...base, reliefBend: -90 });
    expectClosed(mesh, 1);
    const radius = WIDTH / (Math.PI / 2);
    const [x, y] = size(mesh);
    expect(x).toBeCloseTo(2 * radius * Math.sin(Math.PI / 4), 2);
    expect(y).toBeCloseTo(radius - (radius - 2.5) * Math.cos(Math.PI / 4), 2);
    // Inward: the middle of the back is the farthest back, the face's ends reach the front.
    const p = mesh.positions;
    let back = -Infinity;
    for (let i = 0; i < p.length; i += 3) if (Math.abs(p[i]! - x / 2) < 0.5) back = Math.max(back, p[i + 1]!);
    expect(back).toBeCloseTo(y, 3);
    await expectAdmeshClean(mesh, 'plate-inward-90', 1);
  }, 60_000);

  it('keeps a relief with shape closed both ways, and its 3MF and GLB pass their readers', async () => {
    const height = size(buildRelief(waves, base).mesh)[1];
    for (const bend of [90, -90, 200, -45]) {
      const { mesh, stats } = buildRelief(waves, { ...base, reliefBend: bend });
      expectClosed(mesh, 1);
      expect(size(mesh)[2], 'standing').toBeCloseTo(height, 3);
      expect(stats.shells).toBe(1);
      await expectAdmeshClean(mesh, `waves-${bend}`, 1);
    }
    const { mesh } = buildRelief(waves, { ...base, reliefBend: 90 });
    const glb = (await encodeRelief('glb', mesh)).bytes;
    const report = await validateBytes(new Uint8Array(glb), { maxIssues: 0, writeTimestamp: false });
    expect(report.issues.messages).toEqual([]);
    const threemf = writeTemp('waves-90.3mf', (await encodeRelief('3mf', mesh)).bytes);
    const info = slicerInfo(threemf);
    expect(info.manifold).toBe(true);
    expect(info.facets).toBe(mesh.indices.length / 3);
    const [x, y, z] = size(mesh);
    expect(info.size[0]).toBeCloseTo(x, 2);
    expect(info.size[1]).toBeCloseTo(y, 2);
    expect(info.size[2]).toBeCloseTo(z, 2);
  }, 120_000);

  it('bends a cut-out 90°: as many closed parts as flat, standing on the bed, and PrusaSlicer slices it', async () => {
    const straight = buildRelief(twoBlobs, base);
    expect(straight.stats.shells).toBe(2);
    const { mesh, stats } = buildRelief(twoBlobs, { ...base, reliefBend: 90 });
    expectClosed(mesh, 2);
    expect(stats.shells).toBe(2);
    const [, , z] = size(mesh);
    expect(z).toBeCloseTo(size(straight.mesh)[1], 3);
    const stl = await expectAdmeshClean(mesh, 'cutout-90', 2);
    const info = slicerInfo(stl);
    expect([info.manifold, info.parts]).toEqual([true, 2]);
    expect(slice(stl)).toMatch(/^G1 X[\d.]+ Y[\d.]+ E[\d.]+/m);
  }, 120_000);

  it('closes a plate into a ring at ±360°: one shell through which a hole runs (V - E + F = 0), the seam merged', async () => {
    for (const bend of [360, -360]) {
      const { mesh } = buildRelief(waves, { ...base, reliefBend: bend });
      const shape = expectClosed(mesh, 1);
      expect(shape.euler).toBe(0);
      await expectAdmeshClean(mesh, `ring-${bend}`, 1);
    }
    // The flat picture's ring is a tube: the face's circle outside (outward), the back's inside.
    const { mesh } = buildRelief(flat, { ...base, reliefBend: 360 });
    const radius = WIDTH / (2 * Math.PI);
    const [x, y] = size(mesh);
    expect(x).toBeCloseTo(2 * (radius + 2.5), 2);
    expect(y).toBeCloseTo(2 * (radius + 2.5), 2);
    const inward = buildRelief(flat, { ...base, reliefBend: -360 }).mesh;
    expect(size(inward)[0]).toBeCloseTo(2 * radius, 2);
  }, 120_000);

  it('leaves a gap in a cut-out or a circle bent 360°, so it never touches itself', async () => {
    for (const [map, params] of [
      [twoBlobs, base],
      [waves, { ...base, shapeBase: 'circle' as const }],
    ] as const) {
      const straight = buildRelief(map, params);
      const flatShells = straight.stats.shells;
      const { mesh } = buildRelief(map, { ...params, reliefBend: 360 });
      const shape = expectClosed(mesh, flatShells);
      expect(shape.euler).toBe(2 * flatShells);
      // Round (as wide as deep, about width / pi across) and standing.
      const [x, y, z] = size(mesh);
      expect(Math.abs(x - y)).toBeLessThan(1.5);
      expect(x).toBeGreaterThan(WIDTH / Math.PI);
      expect(z).toBeCloseTo(size(straight.mesh)[1], 3);
      await expectAdmeshClean(mesh, 'gap-360', flatShells);
    }
  }, 120_000);

  it('is the flat relief at 0°, and refuses an inward bend tighter than the relief is thick', () => {
    const straight = buildRelief(waves, base).mesh;
    const zero = buildRelief(waves, { ...base, reliefBend: 0 }).mesh;
    expect(Buffer.from(zero.positions.buffer).equals(Buffer.from(straight.positions.buffer))).toBe(true);
    expect(Buffer.from(zero.indices.buffer).equals(Buffer.from(straight.indices.buffer))).toBe(true);
    // width 40 at -360°: radius 6.4 mm, less than 1 mm more than 1 + 5 mm thick.
    expect(() => buildRelief(waves, { ...base, heightRelief: 5, reliefBend: -360 })).toThrow(/inward bend of 360° at width 40 mm/);
  });
});
