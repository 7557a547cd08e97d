// Curved lithophanes (create-task's litho_shape arc or cylinder): the flat plate's closed mesh, bent.
//
// The flat solid (lithophane.ts, buildRelief) has its picture's width along X, its height along Y
// and its thickness along Z, the flat back at z = 0. Bending maps x to the angle x / R around a
// vertical axis and z to the radius R - z: the flat back becomes the outside face at radius R, the
// thickness grows inward, Y becomes the printed part's height (it stands on its edge, no support).
// R follows from the width: the picture's length along the curve is `width` (R = width / angle).
//
// A straight edge stays straight when its ends are bent, so an edge spanning much of the arc would
// cut through the part as a chord: the flat plate's large triangles are first split until no edge
// spans more than SEGMENT_DEGREES of arc or SEGMENT_MM (`refine`), and its walls and back (a
// handful of triangles across the whole plate) are made again in strips that narrow (`wallsAndBack`).
// A cylinder's two ends meet: their walls go and their edges are joined vertex for vertex
// (`joinSeam`), so the tube is one closed part.
import type { ReliefMesh } from './mesh.js';

export type CurvedShape = 'arc' | 'cylinder';

export interface Curve {
  shape: CurvedShape;
  /** Degrees of arc the picture spans: the arc's litho_angle; 360 for a cylinder. */
  angle: number;
}

/**
 * No edge of the bent mesh spans more arc than this, nor more than SEGMENT_MM along the curve (a
 * wide, gentle arc): a facet then lies within 4.4 µm of the true curve (R (1 - cos 1°) under
 * R = 28.6 mm, 1 mm² / 8R over it), a fifth of the 0.022 mm the flat plate's mesh keeps to.
 */
export const SEGMENT_DEGREES = 2;
export const SEGMENT_MM = 1;

/** The flat plate's triangles, as bendMesh is told them: its top (the picture), its flat back, its walls. */
export const TOP = 0;
export const BACK = 1;
export const WALL = 2;

/** Millimetres: the radius of the outside (picture) face, so that `width` mm lie along `angle` degrees. */
export function curveRadius(width: number, angle: number): number {
  return width / ((angle * Math.PI) / 180);
}

/** The longest X step an edge of the flat mesh may have before bending: `width` in equal segments. */
export function segmentLength(width: number, angle: number): number {
  const most = Math.min(SEGMENT_MM, (curveRadius(width, angle) * SEGMENT_DEGREES * Math.PI) / 180);
  return width / Math.ceil(width / most);
}

/** A mesh under construction: positions in doubles, triangles with a class each (what they were in the flat plate). */
interface Work {
  p: number[];
  t: number[];
  /** Per triangle: TOP, BACK or WALL, inherited by its pieces. */
  kind: number[];
}

/**
 * Splits triangles until no edge spans more than `step` along X. A triangle whose X span is too
 * long is halved at its edge of longest X span, at that edge's midpoint; a neighbour that shares the
 * edge uses the same midpoint when its turn comes, and its turn does come: while it still holds the
 * whole edge its span is more than `step`. Each half spans at most half its parent's X, so it ends.
 */
function refine(work: Work, step: number): void {
  const { p, t, kind } = work;
  const midpoints = new Map<number, number>();
  // Keys of undirected edges: exact for up to 2^26 vertices.
  const key = (a: number, b: number) => (a < b ? a * 67_108_864 + b : b * 67_108_864 + a);
  const stack = Array.from({ length: t.length / 3 }, (_, i) => i);
  while (stack.length > 0) {
    const f = stack.pop()!;
    const v = [t[3 * f]!, t[3 * f + 1]!, t[3 * f + 2]!] as const;
    let longest = -1;
    let span = step;
    for (let e = 0; e < 3; e++) {
      const dx = Math.abs(p[3 * v[e]!]! - p[3 * v[(e + 1) % 3]!]!);
      if (dx > span) [span, longest] = [dx, e];
    }
    if (longest < 0) continue;
    const a = v[longest]!;
    const b = v[(longest + 1) % 3]!;
    const c = v[(longest + 2) % 3]!;
    let m = midpoints.get(key(a, b));
    if (m === undefined) {
      m = p.length / 3;
      p.push((p[3 * a]! + p[3 * b]!) / 2, (p[3 * a + 1]! + p[3 * b + 1]!) / 2, (p[3 * a + 2]! + p[3 * b + 2]!) / 2);
      midpoints.set(key(a, b), m);
    }
    // a, m, c and m, b, c: the parent's orientation.
    t[3 * f] = a;
    t[3 * f + 1] = m;
    t[3 * f + 2] = c;
    const g = t.length / 3;
    t.push(m, b, c);
    kind.push(kind[f]!);
    stack.push(f, g);
  }
}

/**
 * The walls and the flat back (z = 0) under the refined top, made again as buildSolid makes them
 * (solid.ts): the plate's own are a few triangles across its whole width, which halving would only
 * turn into fans of slivers. A wall quad under every edge of the top's outline, down to a copy of
 * its ends at z = 0, so no wall is wider than the top's edges. The back's outline is a rectangle:
 * its bottom and top edges (vertices at most `step` apart in X) and its ends (the top's rim
 * samples). A fan from the second vertex of the bottom edge covers the left end, a fan from the
 * last but one of the top edge the right end, and between them the two edges are zipped by X, each
 * triangle two neighbours of one edge and one vertex of the other: never flat, about `step` wide.
 */
function wallsAndBack(work: Work, width: number): void {
  const { p, t, kind } = work;
  const EPS = 1e-3;
  // The top's outline: its directed edges a -> b with no b -> a.
  const edges = new Set<number>();
  const key = (a: number, b: number) => a * 67_108_864 + b;
  for (let i = 0; i < t.length; i += 3) for (let k = 0; k < 3; k++) edges.add(key(t[i + k]!, t[i + ((k + 1) % 3)]!));
  const copyOf = new Map<number, number>();
  const copy = (v: number) => {
    let c = copyOf.get(v);
    if (c === undefined) {
      copyOf.set(v, (c = p.length / 3));
      p.push(p[3 * v]!, p[3 * v + 1]!, 0);
    }
    return c;
  };
  const faces = t.length;
  for (let i = 0; i < faces; i += 3) {
    for (let k = 0; k < 3; k++) {
      const a = t[i + k]!;
      const b = t[i + ((k + 1) % 3)]!;
      if (edges.has(key(b, a))) continue;
      // Seen from outside: b, a, a0 and b, a0, b0 (solid.ts).
      const [a0, b0] = [copy(a), copy(b)];
      t.push(b, a, a0, b, a0, b0);
      kind.push(WALL, WALL);
    }
  }

  const outline = [...copyOf.values()];
  let height = 0;
  for (const v of outline) height = Math.max(height, p[3 * v + 1]!);
  const x = (v: number) => p[3 * v]!;
  const y = (v: number) => p[3 * v + 1]!;
  const chain = (on: (v: number) => boolean, by: (v: number) => number) => outline.filter(on).sort((a, b) => by(a) - by(b));
  const bottom = chain((v) => y(v) < EPS, x);
  const top = chain((v) => y(v) > height - EPS, x);
  const left = chain((v) => x(v) < EPS, y);
  const right = chain((v) => x(v) > width - EPS, y);
  const corners = [bottom[0], left[0], top[0], left.at(-1), bottom.at(-1), right[0], top.at(-1), right.at(-1)];
  if (
    bottom.length < 3 ||
    top.length < 3 ||
    corners[0] !== corners[1] ||
    corners[2] !== corners[3] ||
    corners[4] !== corners[5] ||
    corners[6] !== corners[7]
  ) {
    throw new Error("relief: the plate's back is not a rectangle");
  }
  const add = (a: number, b: number, c: number) => {
    // Facing down (the back's outside): clockwise seen from above.
    const cross = (x(b) - x(a)) * (y(c) - y(a)) - (y(b) - y(a)) * (x(c) - x(a));
    if (cross > 0) t.push(a, c, b);
    else t.push(a, b, c);
    kind.push(BACK);
  };
  for (let i = 0; i + 1 < left.length; i++) add(left[i]!, left[i + 1]!, bottom[1]!);
  const last = top.length - 2;
  for (let i = 0; i + 1 < right.length; i++) add(right[i]!, right[i + 1]!, top[last]!);
  let i = 1;
  let j = 0;
  while (i < bottom.length - 1 || j < last) {
    if (j === last || (i < bottom.length - 1 && x(bottom[i + 1]!) <= x(top[j + 1]!))) {
      add(bottom[i]!, bottom[i + 1]!, top[j]!);
      i++;
    } else {
      add(bottom[i]!, top[j + 1]!, top[j]!);
      j++;
    }
  }
}

/**
 * A cylinder's seam: the flat plate's ends (x = 0 and x = `width`) meet once bent. Their walls are
 * dropped; each end's open outline (the top's edge, the back's edge, the corners) gets the other
 * end's vertices it lacks, on its own edges; then every vertex of the far end is the same vertex as
 * its partner at x = 0, at their mean thickness (the ends' samples are the same picture column, so
 * they differ by at most the mesh's error). Returns, per vertex, the vertex it becomes.
 */
function joinSeam(work: Work, width: number): Int32Array {
  const { p, t, kind } = work;
  const EPS = 1e-3;
  const end = (v: number): 0 | 1 | -1 => (p[3 * v]! < EPS ? 0 : p[3 * v]! > width - EPS ? 1 : -1);
  // The ends' walls: triangles wholly on one end.
  for (let f = t.length / 3 - 1; f >= 0; f--) {
    const e = end(t[3 * f]!);
    if (e < 0 || end(t[3 * f + 1]!) !== e || end(t[3 * f + 2]!) !== e) continue;
    const last = t.length / 3 - 1;
    for (let k = 0; k < 3; k++) t[3 * f + k] = t[3 * last + k]!;
    kind[f] = kind[last]!;
    t.length -= 3;
    kind.length -= 1;
  }
  // The back (z = 0) and the top (z > 0) meet only at the corners: a vertex is matched by its class and height (y).
  const matchKey = (v: number) => `${p[3 * v + 2]! < EPS ? 'b' : 't'}${Math.round(p[3 * v + 1]! * 1e4)}`;
  const directed = new Set<string>();
  const open: { f: number; e: number }[] = [];
  for (let f = 0; f < t.length / 3; f++) {
    for (let e = 0; e < 3; e++) {
      const a = t[3 * f + e]!;
      const b = t[3 * f + ((e + 1) % 3)]!;
      if (end(a) >= 0 && end(a) === end(b)) {
        directed.add(`${a},${b}`);
        open.push({ f, e });
      }
    }
  }
  const boundary = open.filter(({ f, e }) => !directed.has(`${t[3 * f + ((e + 1) % 3)]!},${t[3 * f + e]!}`));
  // Each end's outline vertices, by class, sorted by height.
  const outline: [Map<string, number>, Map<string, number>] = [new Map(), new Map()];
  for (const { f, e } of boundary) {
    for (const v of [t[3 * f + e]!, t[3 * f + ((e + 1) % 3)]!]) outline[end(v) as 0 | 1].set(matchKey(v), v);
  }
  const heights = (side: 0 | 1, cls: string) =>
    [...outline[side]]
      .filter(([k]) => k[0] === cls)
      .map(([, v]) => p[3 * v + 1]!)
      .sort((x, y) => x - y);
  const ys = [0, 1].map((side) => ({ b: heights(side as 0 | 1, 'b'), t: heights(side as 0 | 1, 't') }));
  const changed = new Set<number>();
  for (const { f, e } of boundary) {
    const a = t[3 * f + e]!;
    const b = t[3 * f + ((e + 1) % 3)]!;
    const c = t[3 * f + ((e + 2) % 3)]!;
    const cls = matchKey(a)[0]!;
    if (matchKey(b)[0] !== cls) continue; // a corner's upright edge: both ends have the same two vertices
    const side = end(a) as 0 | 1;
    const [ya, yb] = [p[3 * a + 1]!, p[3 * b + 1]!];
    const [lo, hi] = ya < yb ? [ya, yb] : [yb, ya];
    const missing = ys[1 - side]![cls as 'b' | 't'].filter((y) => y > lo + EPS && y < hi - EPS);
    if (missing.length === 0) continue;
    if (ya > yb) missing.reverse();
    if (changed.has(f)) throw new Error("relief: a triangle with two edges on the cylinder's seam");
    changed.add(f);
    // The fan a, m1, c; m1, m2, c; ...; mk, b, c over the new points along a -> b.
    const chain = [a];
    for (const y of missing) {
      const s = (y - ya) / (yb - ya);
      chain.push(p.length / 3);
      p.push(p[3 * a]!, y, p[3 * a + 2]! + s * (p[3 * b + 2]! - p[3 * a + 2]!));
    }
    chain.push(b);
    const k = kind[f]!;
    t[3 * f] = chain[0]!;
    t[3 * f + 1] = chain[1]!;
    t[3 * f + 2] = c;
    for (let i = 1; i < chain.length - 1; i++) {
      t.push(chain[i]!, chain[i + 1]!, c);
      kind.push(k);
    }
    for (const v of chain.slice(1, -1)) outline[side].set(matchKey(v), v);
  }
  const into = Int32Array.from({ length: p.length / 3 }, (_, i) => i);
  if (outline[0].size !== outline[1].size)
    throw new Error(`relief: the cylinder's ends do not match (${outline[0].size} and ${outline[1].size} vertices)`);
  for (const [k, far] of outline[1]) {
    const near = outline[0].get(k);
    if (near === undefined) throw new Error("relief: the cylinder's ends do not match");
    into[far] = near;
    p[3 * near + 2] = (p[3 * near + 2]! + p[3 * far + 2]!) / 2;
  }
  return into;
}

export interface BentMesh {
  mesh: ReliefMesh;
  /** Triangles of each kind (TOP, BACK, WALL), bent. */
  counts: number[];
}

/**
 * The flat rectangular plate's mesh (X from 0 to `width`, the back at z = 0, closed, normals out)
 * bent along the curve: the back outside at radius R, the picture reading left to right from
 * outside, Y up as Z. `kinds` says which triangles are its TOP, BACK and WALLs (their counts after
 * bending come back). Z up, the bounding box from the origin.
 */
export function bendMesh(flat: ReliefMesh, width: number, curve: Curve, kinds: Uint8Array): BentMesh {
  // The top alone: the walls and the back are made again under it once it is refined.
  const work: Work = { p: Array.from(flat.positions), t: [], kind: [] };
  for (let f = 0; f < kinds.length; f++) {
    if (kinds[f] !== TOP) continue;
    work.t.push(flat.indices[3 * f]!, flat.indices[3 * f + 1]!, flat.indices[3 * f + 2]!);
    work.kind.push(TOP);
  }
  const step = segmentLength(width, curve.angle);
  refine(work, step);
  wallsAndBack(work, width);
  // Only the back's zip can still have edges too long: its diagonals (its outline is short already).
  refine(work, step);
  const into = curve.shape === 'cylinder' ? joinSeam(work, width) : undefined;
  const { p, t, kind } = work;
  const radius = curveRadius(width, curve.angle);
  const half = (curve.angle * Math.PI) / 360;
  // Vertices in use, renumbered; the far end of a seam is its partner.
  const number = new Int32Array(p.length / 3).fill(-1);
  let count = 0;
  for (let i = 0; i < t.length; i++) {
    const v = into ? into[t[i]!]! : t[i]!;
    t[i] = v;
    if (number[v]! < 0) number[v] = count++;
  }
  const positions = new Float64Array(3 * count);
  for (let v = 0; v < number.length; v++) {
    const n = number[v]!;
    if (n < 0) continue;
    const phi = p[3 * v]! / radius - half;
    const r = radius - p[3 * v + 2]!;
    // Centred on the Y axis, the outside towards -Y (the slicer's front): x to the right seen from there.
    positions[3 * n] = r * Math.sin(phi);
    positions[3 * n + 1] = -r * Math.cos(phi);
    positions[3 * n + 2] = p[3 * v + 1]!;
  }
  const min = [Infinity, Infinity, Infinity];
  for (let i = 0; i < positions.length; i++) if (positions[i]! < min[i % 3]!) min[i % 3] = positions[i]!;
  const out = new Float32Array(positions.length);
  for (let i = 0; i < positions.length; i++) out[i] = positions[i]! - min[i % 3]!;
  // The bend mirrors (x to the right from outside is x to the right seen from the back): each
  // triangle is turned over so its normal still points out.
  const indices = new Uint32Array(t.length);
  for (let i = 0; i < t.length; i += 3) {
    indices[i] = number[t[i]!]!;
    indices[i + 1] = number[t[i + 2]!]!;
    indices[i + 2] = number[t[i + 1]!]!;
  }
  const counts: number[] = [];
  for (const k of kind) counts[k] = (counts[k] ?? 0) + 1;
  return { mesh: { positions: out, indices }, counts };
}
