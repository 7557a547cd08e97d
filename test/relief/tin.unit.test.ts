// The relief's own greedy TIN (src/relief/tin.ts) against stock delatin, the implementation of the
// same Garland-Heckbert refinement it replaced, and against a brute-force scan of every sample.
import Delatin from 'delatin';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/eval/stats.js';
import { refineTin, type Tin } from '../../src/relief/tin.js';

/** Smooth hills, a step and a little noise: what a relief's heights look like (mm). */
function terrain(cols: number, rows: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const hills = Array.from({ length: 6 }, () => ({ x: next() * cols, y: next() * rows, r: 5 + next() * cols * 0.3, h: next() * 2 }));
  const z = new Float32Array(cols * rows);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let h = x > cols * 0.6 ? 0.4 : 0;
      for (const hill of hills) h += hill.h * Math.exp(-((x - hill.x) ** 2 + (y - hill.y) ** 2) / (hill.r * hill.r));
      z[y * cols + x] = h + (next() - 0.5) * 0.02;
    }
  }
  return z;
}

/** The largest |TIN - heights| over every sample, each sample weighed in a triangle holding it. */
function bruteForceError(tin: Tin, z: Float32Array, cols: number): number {
  const { coords, triangles } = tin;
  let worst = 0;
  for (let t = 0; t < triangles.length; t += 3) {
    const [ax, ay, bx, by, cx, cy] = [0, 1, 2].flatMap((k) => [coords[2 * triangles[t + k]!]!, coords[2 * triangles[t + k]! + 1]!]) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    const [za, zb, zc] = [z[ay * cols + ax]!, z[by * cols + bx]!, z[cy * cols + cx]!];
    for (let y = Math.min(ay, by, cy); y <= Math.max(ay, by, cy); y++) {
      for (let x = Math.min(ax, bx, cx); x <= Math.max(ax, bx, cx); x++) {
        const wa = (bx - x) * (cy - y) - (by - y) * (cx - x);
        const wb = (cx - x) * (ay - y) - (cy - y) * (ax - x);
        const wc = (ax - x) * (by - y) - (ay - y) * (bx - x);
        if (wa * area < 0 || wb * area < 0 || wc * area < 0) continue;
        worst = Math.max(worst, Math.abs((wa * za + wb * zb + wc * zc) / area - z[y * cols + x]!));
      }
    }
  }
  return worst;
}

/** Checks that the triangles tile the grid's rectangle: positive areas that add up to it. */
function expectTiling(tin: Tin, cols: number, rows: number): void {
  const { coords, triangles } = tin;
  let total = 0;
  for (let t = 0; t < triangles.length; t += 3) {
    const [a, b, c] = [2 * triangles[t]!, 2 * triangles[t + 1]!, 2 * triangles[t + 2]!];
    const area =
      (coords[b]! - coords[a]!) * (coords[c + 1]! - coords[a + 1]!) - (coords[b + 1]! - coords[a + 1]!) * (coords[c]! - coords[a]!);
    expect(area).toBeGreaterThan(0);
    total += area;
  }
  expect(total).toBe(2 * (cols - 1) * (rows - 1));
}

/** Checks the Delaunay property: no vertex lies strictly inside the circle of a triangle next to it. */
function expectDelaunay(tin: Tin): void {
  const { coords, triangles } = tin;
  const across = new Map<string, number>(); // directed edge "a,b" -> the third corner of its triangle
  for (let t = 0; t < triangles.length; t += 3) {
    for (let k = 0; k < 3; k++) across.set(`${triangles[t + k]},${triangles[t + ((k + 1) % 3)]}`, triangles[t + ((k + 2) % 3)]!);
  }
  const at = (v: number) => [coords[2 * v]!, coords[2 * v + 1]!] as const;
  let violations = 0;
  for (const [edge, c] of across) {
    const [a, b] = edge.split(',').map(Number) as [number, number];
    const d = across.get(`${b},${a}`);
    if (d === undefined) continue;
    const [[ax, ay], [bx, by], [cx, cy], [dx, dy]] = [at(a), at(b), at(c), at(d)];
    const m = [
      [ax - dx, ay - dy],
      [bx - dx, by - dy],
      [cx - dx, cy - dy],
    ].map(([x, y]) => [x!, y!, x! * x! + y! * y!]) as number[][];
    const det =
      m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[2]![0]! * m[1]![1]!) +
      m[1]![2]! * (m[2]![0]! * m[0]![1]! - m[0]![0]! * m[2]![1]!) +
      m[2]![2]! * (m[0]![0]! * m[1]![1]! - m[1]![0]! * m[0]![1]!);
    if (det > 0) violations++;
  }
  expect(violations).toBe(0);
}

describe('the relief TIN against stock delatin', () => {
  const cases = [
    { cols: 120, rows: 80, seed: 1, maxError: 0.05 },
    { cols: 200, rows: 200, seed: 2, maxError: 0.02 },
    { cols: 257, rows: 64, seed: 3, maxError: 0.1 },
  ];
  for (const { cols, rows, seed, maxError } of cases) {
    it(`meets the same bound with about as many triangles (${cols} x ${rows}, ${maxError} mm)`, () => {
      const z = terrain(cols, rows, seed);
      const ours = refineTin(z, cols, rows, maxError);
      const stock = new Delatin(z, cols, rows);
      stock.run(maxError);

      expectTiling(ours, cols, rows);
      expectDelaunay(ours);
      const measured = bruteForceError(ours, z, cols);
      expect(measured).toBeLessThanOrEqual(maxError);
      expect(ours.error).toBeCloseTo(measured, 9);
      expect(stock.getMaxError()).toBeLessThanOrEqual(maxError);
      // Same greedy order, ties aside: the two triangle counts differ by a percent at most.
      const ratio = ours.triangles.length / stock.triangles.length;
      expect(ratio).toBeGreaterThan(0.99);
      expect(ratio).toBeLessThan(1.01);
    });
  }

  it('splits cells that straddle an outline, and counts samples on shared and outer edges', () => {
    // A disc inside a sea of "outside" samples, as top.ts builds a cut-out's heights.
    const cols = 90;
    const rows = 70;
    const outside = -1e4;
    const z = terrain(cols, rows, 4);
    for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) if ((x - 45) ** 2 + (y - 35) ** 2 > 28 ** 2) z[y * cols + x] = outside;
    const ours = refineTin(z, cols, rows, 0.03, outside);
    expectTiling(ours, cols, rows);
    expectDelaunay(ours);
    expect(bruteForceError(ours, z, cols)).toBeLessThanOrEqual(0.03);
    const stock = new Delatin(z, cols, rows);
    stock.run(0.03);
    // Every outside sample next to the outline ties for worst: which one is taken first differs.
    const ratio = ours.triangles.length / stock.triangles.length;
    expect(ratio).toBeGreaterThan(0.9);
    expect(ratio).toBeLessThan(1.1);
  });

  it('stops at a triangle budget and reports the error it reached', () => {
    const z = terrain(150, 150, 5);
    const capped = refineTin(z, 150, 150, 0.001, Number.NaN, 200);
    expect(capped.triangles.length / 3).toBeLessThan(203);
    expect(capped.error).toBeGreaterThan(0.001);
    expect(capped.error).toBeCloseTo(bruteForceError(capped, z, 150), 9);
  });
});
