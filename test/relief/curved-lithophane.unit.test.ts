// Curved lithophanes (litho_shape arc and cylinder): the flat plate bent, checked as a maker's
// software reads it (ADMesh, PrusaSlicer on the STL and the 3MF, the Khronos glTF validator on the
// GLB) and by its geometry: the cylinder's footprint ring, the arc's chord and sagitta, no facet
// cutting through the wall, and the picture upright and unmirrored seen from outside.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { validateBytes } from 'gltf-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeRelief } from '../../src/formats/index.js';
import { meshBounds, type Relief, type ReliefMesh } from '../../src/relief/index.js';
import { buildLithophane, type LithophaneParams } from '../../src/relief/lithophane.js';
import { admesh, admeshFaults, PHOTOS, slicerInfo, topology, writeTemp } from './helpers.js';
import { readPhoto } from '../helpers/fixtures.js';
import { pearson } from '../../bench/eval/stats.js';

const coffee = readPhoto(PHOTOS.coffee); // 600 x 400
const THIN = 0.8;
const THICK = 3;

/** The axis of a bent part: centred on X, R behind the outside face's front (its least Y). */
function axisOf(mesh: ReliefMesh, radius: number): [number, number] {
  const { min, max } = meshBounds(mesh);
  return [(min[0] + max[0]) / 2, min[1] + radius];
}

/** Each triangle's centroid, in cylinder coordinates about the axis: radius and angle (0 at the front, -Y). */
function centroids(mesh: ReliefMesh, axis: [number, number]): { r: number; angle: number; z: number }[] {
  const { positions: p, indices } = mesh;
  const out = [];
  for (let t = 0; t < indices.length; t += 3) {
    const [a, b, c] = [3 * indices[t]!, 3 * indices[t + 1]!, 3 * indices[t + 2]!];
    const x = (p[a]! + p[b]! + p[c]!) / 3 - axis[0];
    const y = (p[a + 1]! + p[b + 1]! + p[c + 1]!) / 3 - axis[1];
    out.push({ r: Math.hypot(x, y), angle: Math.atan2(x, -y), z: (p[a + 2]! + p[b + 2]! + p[c + 2]!) / 3 });
  }
  return out;
}

/**
 * The wall's thickness on a grid of angles (radians, 0 at the front, growing to the right seen from
 * outside) and heights: R less the distance from the axis to the inside face, along level rays.
 * Row by row, over the triangles that reach the row's height only.
 */
function thicknessGrid(mesh: ReliefMesh, axis: [number, number], radius: number, angles: number[], zs: number[]): number[][] {
  const { positions: p, indices } = mesh;
  return zs.map((z) => {
    const near: number[] = [];
    for (let t = 0; t < indices.length; t += 3) {
      const [za, zb, zc] = [p[3 * indices[t]! + 2]!, p[3 * indices[t + 1]! + 2]!, p[3 * indices[t + 2]! + 2]!];
      if (Math.min(za, zb, zc) <= z && Math.max(za, zb, zc) >= z) near.push(t);
    }
    return angles.map((angle) => {
      const dir = [Math.sin(angle), -Math.cos(angle), 0];
      let nearest = Infinity;
      for (const t of near) {
        // Möller-Trumbore, from (axis, z) along dir.
        const [a, b, c] = [3 * indices[t]!, 3 * indices[t + 1]!, 3 * indices[t + 2]!];
        const e1 = [p[b]! - p[a]!, p[b + 1]! - p[a + 1]!, p[b + 2]! - p[a + 2]!];
        const e2 = [p[c]! - p[a]!, p[c + 1]! - p[a + 1]!, p[c + 2]! - p[a + 2]!];
        const h = [dir[1]! * e2[2]! - dir[2]! * e2[1]!, dir[2]! * e2[0]! - dir[0]! * e2[2]!, dir[0]! * e2[1]! - dir[1]! * e2[0]!];
        const det = e1[0]! * h[0]! + e1[1]! * h[1]! + e1[2]! * h[2]!;
        if (Math.abs(det) < 1e-12) continue;
        const s = [axis[0] - p[a]!, axis[1] - p[a + 1]!, z - p[a + 2]!];
        const u = (s[0]! * h[0]! + s[1]! * h[1]! + s[2]! * h[2]!) / det;
        if (u < 0 || u > 1) continue;
        const q = [s[1]! * e1[2]! - s[2]! * e1[1]!, s[2]! * e1[0]! - s[0]! * e1[2]!, s[0]! * e1[1]! - s[1]! * e1[0]!];
        const v = (dir[0]! * q[0]! + dir[1]! * q[1]! + dir[2]! * q[2]!) / det;
        if (v < 0 || u + v > 1) continue;
        const distance = (e2[0]! * q[0]! + e2[1]! * q[1]! + e2[2]! * q[2]!) / det;
        if (distance > 0 && distance < nearest) nearest = distance;
      }
      return radius - nearest;
    });
  });
}

/** The photo's darkness (1 - grey, blurred) at shares (fx, fy) of its width and height, top left origin. */
async function darkness(photo: Buffer): Promise<(fx: number, fy: number) => number> {
  const { data, info } = await sharp(photo).greyscale().resize(60, 40, { fit: 'fill' }).blur(1).raw().toBuffer({ resolveWithObject: true });
  return (fx, fy) =>
    1 -
    data[Math.min(info.height - 1, Math.floor(fy * info.height)) * info.width + Math.min(info.width - 1, Math.floor(fx * info.width))]! /
      255;
}

/** An async slice by PrusaSlicer (its default printer and print), so a long slice does not stall the test worker. */
async function slice(path: string): Promise<string> {
  await promisify(execFile)('prusa-slicer', ['--export-gcode', path, '--output', `${path}.gcode`], { maxBuffer: 64 * 1024 * 1024 });
  return readFileSync(`${path}.gcode`, 'utf8');
}

/** PrusaSlicer reads it as one manifold of this mesh's facets, at its size in mm, and slices it into extruding moves. */
async function expectSliced(path: string, mesh: ReliefMesh): Promise<void> {
  const info = slicerInfo(path);
  const { min, max } = meshBounds(mesh);
  expect(info.manifold).toBe(true);
  expect(info.parts).toBe(1);
  expect(info.facets).toBe(mesh.indices.length / 3);
  for (let k = 0; k < 3; k++) expect(info.size[k]).toBeCloseTo(max[k]! - min[k]!, 3);
  const gcode = await slice(path);
  expect(gcode).toMatch(/^;LAYER_CHANGE$/m);
  expect(gcode).toMatch(/^G1 X[\d.]+ Y[\d.]+ E[\d.]+/m);
}

/** What a maker's tools say of it: one closed part, nothing for ADMesh to fix. */
async function expectOneClosedPart(relief: Relief, name: string): Promise<string> {
  const shape = topology(relief.mesh);
  expect([shape.shells, shape.badEdges, shape.degenerate]).toEqual([1, 0, 0]);
  expect(shape.volume).toBeGreaterThan(0); // faces point out
  expect(shape.euler).toBe(name === 'cylinder' ? 0 : 2); // a tube has a hole through it; an arc is a ball's shape
  expect(relief.stats.shells).toBe(1);
  expect(relief.stats.triangles.total).toBe(shape.triangles);
  const path = writeTemp(`${name}.stl`, (await encodeRelief('stl', relief.mesh)).bytes);
  const report = admesh(path);
  expect(report.parts).toBe(1);
  expect(admeshFaults(report)).toEqual([0, 0, 0, 0, 0, 0]);
  return path;
}

const base: LithophaneParams = { width: 100, shapeBase: 'square', lithoMin: THIN, lithoMax: THICK, lithoFrame: 2 };

describe('curved lithophanes', () => {
  let cylinder: Relief;
  let arc: Relief;
  beforeAll(async () => {
    cylinder = await buildLithophane(coffee, { ...base, lithoShape: 'cylinder' });
    arc = await buildLithophane(coffee, { ...base, lithoShape: 'arc', lithoAngle: 120 });
  }, 120_000);

  it('makes a 100 mm cylinder one closed tube standing on a ring of diameter width / π, its facets within the wall', async () => {
    const path = await expectOneClosedPart(cylinder, 'cylinder');
    const radius = 100 / (2 * Math.PI);
    const { min, max } = meshBounds(cylinder.mesh);
    expect(max[0] - min[0]).toBeCloseTo(2 * radius, 2);
    expect(max[1] - min[1]).toBeCloseTo(2 * radius, 2);
    expect(min[2]).toBe(0);
    expect(max[2] - min[2]).toBeCloseTo((100 * 400) / 600, 0); // the photo's height stands upright

    // The footprint: what lies on the bed (z = 0) is a ring between R - litho_max and R.
    const axis = axisOf(cylinder.mesh, radius);
    const p = cylinder.mesh.positions;
    let onBed = 0;
    for (let v = 0; v < p.length; v += 3) {
      if (p[v + 2]! !== 0) continue;
      onBed++;
      const r = Math.hypot(p[v]! - axis[0], p[v + 1]! - axis[1]);
      expect(r).toBeGreaterThan(radius - THICK - 0.01);
      expect(r).toBeLessThan(radius + 0.01);
    }
    expect(onBed).toBeGreaterThan(360);
    // No facet cuts through the wall: a chord across more than a sliver of the circle would pass
    // inside R - litho_max (a flat plate's big triangles, merely bent, do).
    for (const { r } of centroids(cylinder.mesh, axis)) {
      expect(r).toBeGreaterThan(radius - THICK - 0.01);
      expect(r).toBeLessThan(radius + 1e-3);
    }
    await expectSliced(path, cylinder.mesh);
  }, 300_000);

  it('makes a 120° arc whose extents are its chord and sagitta, the picture upright and unmirrored from outside', async () => {
    await expectOneClosedPart(arc, 'arc');
    const radius = 100 / ((120 * Math.PI) / 180);
    const half = Math.PI / 3;
    const { min, max } = meshBounds(arc.mesh);
    expect(max[0] - min[0]).toBeCloseTo(2 * radius * Math.sin(half), 2); // the chord
    // The sagitta of the outside face, and the frame's litho_max at the ends, seen along the chord's normal.
    expect(max[1] - min[1]).toBeCloseTo(radius * (1 - Math.cos(half)) + THICK * Math.cos(half), 2);
    expect(max[2] - min[2]).toBeCloseTo((100 * 400) / 600, 0);
    const axis = axisOf(arc.mesh, radius);
    for (const { r, angle } of centroids(arc.mesh, axis)) {
      expect(r).toBeGreaterThan(radius - THICK - 0.01);
      expect(r).toBeLessThan(radius + 1e-3);
      expect(Math.abs(angle)).toBeLessThan(half + 1e-3);
    }

    // The wall is thick where the photo is dark, where a viewer outside sees it: the photo's left on
    // the left (seen from the front, -Y), its top at the top; not mirrored, not upside down.
    const dark = await darkness(coffee);
    const fxs = Array.from({ length: 12 }, (_, i) => 0.06 + (i * 0.88) / 11);
    const fys = Array.from({ length: 8 }, (_, j) => 0.08 + (j * 0.84) / 7);
    const height = max[2] - min[2];
    const grid = thicknessGrid(
      arc.mesh,
      axis,
      radius,
      fxs.map((fx) => (fx - 0.5) * 2 * half),
      fys.map((fy) => (1 - fy) * height),
    ).flat();
    const photo = (flip: (fx: number, fy: number) => [number, number]) => fys.flatMap((fy) => fxs.map((fx) => dark(...flip(fx, fy))));
    const upright = pearson(
      grid,
      photo((fx, fy) => [fx, fy]),
    );
    expect(upright).toBeGreaterThan(0.8);
    expect(
      upright -
        pearson(
          grid,
          photo((fx, fy) => [1 - fx, fy]),
        ),
    ).toBeGreaterThan(0.2);
    expect(
      upright -
        pearson(
          grid,
          photo((fx, fy) => [fx, 1 - fy]),
        ),
    ).toBeGreaterThan(0.2);
    for (const t of grid) expect(t).toBeGreaterThan(THIN - 0.05);
    // The frame: litho_max at the arc's ends.
    for (const t of thicknessGrid(arc.mesh, axis, radius, [-half + 0.005, half - 0.005], [height / 2]).flat())
      expect(t).toBeCloseTo(THICK, 1);
  }, 300_000);

  it('reads as a manifold in PrusaSlicer from 3MF, and passes the Khronos glTF validator as GLB', async () => {
    const threemf = await encodeRelief('3mf', arc.mesh);
    await expectSliced(writeTemp('arc.3mf', threemf.bytes), arc.mesh);
    for (const relief of [arc, cylinder]) {
      const glb = await encodeRelief('glb', relief.mesh);
      const report = await validateBytes(new Uint8Array(glb.bytes), { maxIssues: 0, writeTimestamp: false });
      expect(report.issues.messages).toEqual([]);
      expect(report.issues.numErrors).toBe(0);
    }
  }, 300_000);

  it('refuses a circle, and a radius under litho_max', async () => {
    await expect(buildLithophane(coffee, { ...base, shapeBase: 'circle', lithoShape: 'arc' })).rejects.toThrow(/shape_base must be square/);
    await expect(buildLithophane(coffee, { ...base, width: 20, lithoMax: 3.5, lithoShape: 'cylinder' })).rejects.toThrow(
      /radius of 3.18 mm, not more than litho_max/,
    );
  });
});
