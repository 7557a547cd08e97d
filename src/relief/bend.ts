// Bent reliefs (create-task's relief_bend): the flat solid (solid.ts) wrapped around a vertical
// axis, the base following the bend.
//
// The picture's X is arc length along the base's back, which lies at radius R = width / |bend in
// radians|; a point z above the back lies at R + z (bent outward: the face convex) or R - z (inward:
// the face concave). Only vertices move, so first every triangle is cut by vertical planes at most
// one degree (and 1 mm) of arc apart (sliceForBend): then no chord strays from the true curve by
// more than a few micrometres (R (1 - cos 0.5°) ≈ 4e-5 R), and none cuts through the part.
// The bent part stands: the picture's up becomes Z, its bottom edge on the bed, the face towards -Y
// at the middle of the bend, so a slicer prints it layer by layer as an arc, without supports.
//
// ±360 closes the part into a ring. A plate (the whole rectangle) gets a merged seam: the two ends
// become one (prepareSeam, closeSeam), so the ring is one closed shell. Any other outline (a
// circle, a cut-out) meets itself only here and there: it keeps RING_GAP mm between its ends
// rather than touch itself.
import { INWARD_BEND_MIN_RADIUS } from '../contract/create-task-schema.js';
import { ReliefInputError } from './heightfield.js';
import type { Vertices } from './surface.js';

/** Largest angle between neighbouring cutting planes, in radians (also never more than MAX_SLAB_MM of the base apart). */
const MAX_SLAB_ANGLE = Math.PI / 180;
const MAX_SLAB_MM = 1;
/** A vertex this close to a plane (a share of the planes' spacing) counts as on it: no sliver beside it. */
const SNAP = 0.05;
/** Millimetres of the base between the two ends of a ring that cannot merge its seam (not a plate). */
export const RING_GAP = 0.5;

export interface BendPlan {
  /** +1 outward (face convex), -1 inward. */
  sign: 1 | -1;
  /** Millimetres: the radius of the base's back. */
  radius: number;
  /** The X extent of the flat part, in mm: the arc length of the back. */
  width: number;
  /** Cutting planes across the width: `slabs` + 1 of them, the first and last at the ends. */
  slabs: number;
  /** A ring whose ends merge into one (closeSeam). */
  seam: boolean;
}

/**
 * How a part `width` mm wide and up to `thickness` mm thick bends by `degrees`; `plate`: its
 * outline is the whole rectangle, so a full turn can merge its ends.
 */
export function bendPlan(width: number, degrees: number, thickness: number, plate: boolean): BendPlan {
  if (!(Math.abs(degrees) <= 360) || degrees === 0) throw new RangeError(`relief_bend must be from -360 to 360 and not 0, got ${degrees}`);
  const sign = degrees > 0 ? 1 : -1;
  const full = Math.abs(degrees) === 360;
  const seam = full && plate;
  let angle = (Math.abs(degrees) * Math.PI) / 180;
  // The gap is measured where the ends are closest: on the face of an inward ring.
  if (full && !seam) angle -= RING_GAP / Math.max(INWARD_BEND_MIN_RADIUS, sign > 0 ? width / angle : width / angle - thickness);
  const radius = width / angle;
  if (sign < 0 && radius - thickness < INWARD_BEND_MIN_RADIUS) {
    throw new ReliefInputError(
      `relief_bend: an inward bend of ${-degrees}° at width ${width} mm has a radius of ${radius.toFixed(1)} mm, less than the relief's ${thickness.toFixed(1)} mm thickness and ${INWARD_BEND_MIN_RADIUS} mm; bend less or make it wider`,
    );
  }
  const slabs = Math.max(1, Math.ceil(Math.max(angle / MAX_SLAB_ANGLE, width / MAX_SLAB_MM)));
  return { sign, radius, width, slabs, seam };
}

/**
 * Cuts the triangles of a surface (grid coordinates, `vertices` grown in place) by the vertical
 * planes gx = x0 + k (x1 - x0) / slabs: afterwards none spans more than one slab. Each cut point
 * is made once per edge and plane, so the triangles on both sides of an edge share it (no
 * T-junctions); each triangle's pieces are convex polygons of points on its own boundary, fanned
 * into triangles that keep its orientation. A cut point between two rim vertices may be on the
 * outline, so it is rim too. The flat bottom (bottom.ts) is made from these triangles and keeps
 * them no wider (withinSlab).
 */
export function sliceForBend(vertices: Vertices, triangles: Int32Array, x0: number, x1: number, slabs: number): Int32Array {
  const step = (x1 - x0) / slabs;
  const original = vertices.count;
  // Each vertex's position across the planes, in plane units, snapped to a plane when within SNAP.
  const raw = new Float64Array(original);
  const at = new Float64Array(original);
  for (let v = 0; v < original; v++) {
    raw[v] = (vertices.gx[v]! - x0) / step;
    const nearest = Math.round(raw[v]!);
    at[v] = Math.abs(raw[v]! - nearest) < SNAP ? nearest : raw[v]!;
  }
  const cuts = new Map<number, number>();
  const planeOf: number[] = [];
  const slabOf = (v: number) => (v < original ? at[v]! : planeOf[v - original]!);
  /** The vertex where the edge a-b crosses plane k (made once per edge and plane). */
  const cut = (a: number, b: number, k: number): number => {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const key = (lo * original + hi) * (slabs + 1) + k;
    let index = cuts.get(key);
    if (index === undefined) {
      const t = (k - raw[lo]!) / (raw[hi]! - raw[lo]!);
      const { gy, z } = vertices;
      const rim = vertices.rim[lo] === 1 && vertices.rim[hi] === 1;
      index = vertices.add(x0 + k * step, gy[lo]! + t * (gy[hi]! - gy[lo]!), z[lo]! + t * (z[hi]! - z[lo]!), rim);
      planeOf.push(k);
      cuts.set(key, index);
    }
    return index;
  };

  const out: number[] = [];
  const polygon: number[] = [];
  for (let t = 0; t < triangles.length; t += 3) {
    const corners = [triangles[t]!, triangles[t + 1]!, triangles[t + 2]!];
    const low = Math.min(...corners.map((v) => at[v]!));
    const high = Math.max(...corners.map((v) => at[v]!));
    if (Math.floor(low) + 1 >= high) {
      // Within one slab (touching its planes at most).
      out.push(...corners);
      continue;
    }
    // The triangle's boundary with every crossing: its corners and cut points, in order.
    polygon.length = 0;
    for (let e = 0; e < 3; e++) {
      const a = corners[e]!;
      const b = corners[(e + 1) % 3]!;
      polygon.push(a);
      const [sa, sb] = [at[a]!, at[b]!];
      if (sa < sb) for (let k = Math.floor(sa) + 1; k < sb; k++) polygon.push(cut(a, b, k));
      else for (let k = Math.ceil(sa) - 1; k > sb; k--) polygon.push(cut(a, b, k));
    }
    // Peel off the piece left of each plane in turn: the points at or left of it, in order.
    let rest = polygon.slice();
    for (let k = Math.floor(low) + 1; k < high; k++) {
      fan(
        rest.filter((v) => slabOf(v) <= k),
        out,
      );
      rest = rest.filter((v) => slabOf(v) >= k);
    }
    fan(rest, out);
  }
  return Int32Array.from(out);
}

/**
 * Whether a triangle is no wider than the slabs sliceForBend cut (a vertex it snapped to a plane
 * may lie SNAP of a slab beyond it): what the flat bottom's simplification must keep.
 */
export function withinSlab(vertices: Vertices, x0: number, x1: number, slabs: number): (a: number, b: number, c: number) => boolean {
  const widest = (1 + 2 * SNAP) * ((x1 - x0) / slabs);
  return (a, b, c) => {
    const { gx } = vertices;
    return Math.max(gx[a]!, gx[b]!, gx[c]!) - Math.min(gx[a]!, gx[b]!, gx[c]!) <= widest;
  };
}

/** A convex polygon (three or more points, in order) as a fan of triangles from its first point. */
function fan(polygon: number[], out: number[]): void {
  for (let i = 1; i + 1 < polygon.length; i++) out.push(polygon[0]!, polygon[i]!, polygon[i + 1]!);
}

/** The vertices on one end of a plate (gx === x), by gy, with the top triangles' edges between them. */
function endChain(vertices: Vertices, x: number): number[] {
  const chain: number[] = [];
  for (let v = 0; v < vertices.count; v++) if (vertices.gx[v] === x) chain.push(v);
  return chain.sort((a, b) => vertices.gy[a]! - vertices.gy[b]!);
}

/** Height along a chain at gy = y (linear between its vertices). */
function heightOn(vertices: Vertices, chain: number[], y: number): number {
  const { gy, z } = vertices;
  let i = 1;
  while (i < chain.length - 1 && gy[chain[i]!]! < y) i++;
  const [a, b] = [chain[i - 1]!, chain[i]!];
  return z[a]! + ((y - gy[a]!) / (gy[b]! - gy[a]!)) * (z[b]! - z[a]!);
}

/**
 * Before the solid of a ring is made: the two ends of the plate's top (gx = x0 and x1) get
 * vertices at the same heights of the picture (gy), each end's where the other has one and where
 * the two ends' heights cross. The triangles along each end are fanned through the new vertices;
 * those are rim, so the bottom has them too. Afterwards every vertex of one end has its partner at
 * the same gy on the other, at the same height where they cross (closeSeam merges those).
 */
export function prepareSeam(vertices: Vertices, triangles: Int32Array, x0: number, x1: number): Int32Array {
  const left = endChain(vertices, x0);
  const right = endChain(vertices, x1);
  const ys = new Set<number>();
  for (const v of [...left, ...right]) ys.add(vertices.gy[v]!);
  const sorted = [...ys].sort((a, b) => a - b);
  const crossings = new Map<number, number>();
  for (let i = 0; i + 1 < sorted.length; i++) {
    const [y0, y1] = [sorted[i]!, sorted[i + 1]!];
    const d0 = heightOn(vertices, left, y0) - heightOn(vertices, right, y0);
    const d1 = heightOn(vertices, left, y1) - heightOn(vertices, right, y1);
    if (d0 * d1 < 0) {
      const y = y0 + ((y1 - y0) * d0) / (d0 - d1);
      crossings.set(y, (heightOn(vertices, left, y) + heightOn(vertices, right, y)) / 2);
    }
  }
  for (const y of crossings.keys()) sorted.push(y);
  sorted.sort((a, b) => a - b);

  const list = Array.from(triangles);
  // The triangle holding each edge between two vertices of an end.
  const holder = new Map<string, number>();
  const { gx } = vertices;
  for (let t = 0; t < list.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const a = list[t + e]!;
      const b = list[t + ((e + 1) % 3)]!;
      if (gx[a] === gx[b] && (gx[a] === x0 || gx[a] === x1)) holder.set(`${a}>${b}`, t);
    }
  }
  for (const [x, chain] of [
    [x0, left],
    [x1, right],
  ] as const) {
    for (let i = 0; i + 1 < chain.length; i++) {
      const [a, b] = [chain[i]!, chain[i + 1]!];
      const [ya, yb] = [vertices.gy[a]!, vertices.gy[b]!];
      const inner = sorted.filter((y) => y > ya && y < yb);
      if (inner.length === 0) continue;
      const added = inner.map((y) => vertices.add(x, y, crossings.get(y) ?? heightOn(vertices, chain, y), true));
      // The edge runs a -> b or b -> a in its triangle; the new points go along it in that order.
      const forward = holder.get(`${a}>${b}`);
      const t = forward ?? holder.get(`${b}>${a}`);
      if (t === undefined) throw new Error('relief: a plate end without its triangle');
      const points = forward !== undefined ? added : added.reverse();
      const [from, to] = forward !== undefined ? [a, b] : [b, a];
      splitEdge(list, t, from, to, points);
    }
  }
  return Int32Array.from(list);
}

/**
 * Replaces triangle `t` (of a flat index list), which has the directed edge from -> to, by a fan
 * from its third corner through `points` (on that edge, in order from `from`); the orientation is kept.
 */
function splitEdge(list: number[], t: number, from: number, to: number, points: number[]): void {
  const corners = [list[t]!, list[t + 1]!, list[t + 2]!];
  const e = corners.findIndex((v, i) => v === from && corners[(i + 1) % 3] === to);
  if (e < 0) throw new Error('relief: the edge to split is not in its triangle');
  const apex = corners[(e + 2) % 3]!;
  const path = [from, ...points, to];
  list[t] = apex;
  list[t + 1] = path[0]!;
  list[t + 2] = path[1]!;
  for (let i = 1; i + 1 < path.length; i++) list.push(apex, path[i]!, path[i + 1]!);
}

/** A closed solid's triangles and flat vertex positions (x, y, z in mm: X across, Y up the picture). */
export interface FlatSolid {
  positions: Float64Array;
  indices: number[];
}

/**
 * A plate's solid (prepared by prepareSeam) closed into a ring: its two ends, at x = 0 and x =
 * width, become the same place. Their end walls go; the bottoms' vertices at the same y merge, and
 * so do the tops' where the heights are equal; where one end is thicker than the other, the step
 * between them is faced (its part of the thicker end's wall), and the corner edges the step meets
 * are split at it. Unused vertices are dropped.
 */
export function closeSeam(solid: FlatSolid, atEnd: (v: number) => -1 | 0 | 1): FlatSolid {
  const p = solid.positions;
  const y = (v: number) => p[3 * v + 1]!;
  const z = (v: number) => p[3 * v + 2]!;
  const count = p.length / 3;
  // The ends' walls: triangles with every corner on one end.
  let list: number[] = [];
  for (let t = 0; t < solid.indices.length; t += 3) {
    const [a, b, c] = [solid.indices[t]!, solid.indices[t + 1]!, solid.indices[t + 2]!];
    const end = atEnd(a);
    if (end !== 0 && atEnd(b) === end && atEnd(c) === end) continue;
    list.push(a, b, c);
  }
  // Each end's top and bottom vertices, by y.
  const ends = {
    top: [new Map<number, number>(), new Map<number, number>()],
    bottom: [new Map<number, number>(), new Map<number, number>()],
  };
  for (let v = 0; v < count; v++) {
    const end = atEnd(v);
    if (end === 0) continue;
    (z(v) === 0 ? ends.bottom : ends.top)[end < 0 ? 0 : 1]!.set(y(v), v);
  }
  const merged = Int32Array.from({ length: count }, (_, i) => i);
  for (const [at, left] of ends.bottom[0]!) {
    const right = ends.bottom[1]!.get(at);
    if (right === undefined) throw new Error("relief: the ring's bottom ends do not match");
    merged[right] = left;
  }
  const ys = [...ends.top[0]!.keys()].sort((a, b) => a - b);
  if (ys.length !== ends.top[1]!.size) throw new Error("relief: the ring's top ends do not match");
  const L = ys.map((at) => ends.top[0]!.get(at)!);
  const R = ys.map((at) => {
    const v = ends.top[1]!.get(at);
    if (v === undefined) throw new Error("relief: the ring's top ends do not match");
    return v;
  });
  for (let i = 0; i < ys.length; i++) if (Math.abs(z(L[i]!) - z(R[i]!)) < 1e-9) merged[R[i]!] = L[i]!;
  list = list.map((v) => merged[v]!);
  const Rm = R.map((v) => merged[v]!);

  // The corner edges (front and back of the picture) where the two ends differ in height: the
  // thinner end's top lies on the thicker end's vertical edge, which is split there.
  for (const i of [0, ys.length - 1]) {
    const [l, r] = [L[i]!, Rm[i]!];
    if (l === r) continue;
    const base = merged[ends.bottom[0]!.get(ys[i]!)!]!;
    const [tall, short] = z(l) > z(r) ? [l, r] : [r, l];
    const t = findEdge(list, tall, base);
    if (t >= 0) splitEdge(list, t, tall, base, [short]);
    else {
      const back = findEdge(list, base, tall);
      if (back < 0) throw new Error("relief: the ring's corner edge is missing");
      splitEdge(list, back, base, tall, [short]);
    }
  }
  // The steps: between neighbouring heights, the quad between the two ends' tops, facing out of the thicker end.
  for (let i = 0; i + 1 < ys.length; i++) {
    const [l0, l1, r0, r1] = [L[i]!, L[i + 1]!, Rm[i]!, Rm[i + 1]!];
    const excess = z(l0) + z(l1) - z(r0) - z(r1);
    if (excess === 0) continue;
    const quad = excess > 0 ? [l0, l1, r1, r0] : [r0, l0, l1, r1];
    for (const [a, b, c] of [
      [quad[0]!, quad[1]!, quad[2]!],
      [quad[0]!, quad[2]!, quad[3]!],
    ] as const) {
      if (a !== b && b !== c && c !== a) list.push(a, b, c);
    }
  }
  // Only the vertices still in use, renumbered.
  const renumber = new Int32Array(count).fill(-1);
  let used = 0;
  for (const v of list) if (renumber[v]! < 0) renumber[v] = used++;
  const positions = new Float64Array(3 * used);
  for (let v = 0; v < count; v++) {
    const to = renumber[v]!;
    if (to >= 0) positions.set(p.subarray(3 * v, 3 * v + 3), 3 * to);
  }
  return { positions, indices: list.map((v) => renumber[v]!) };
}

/** The first triangle with the directed edge a -> b, or -1. */
function findEdge(list: number[], a: number, b: number): number {
  for (let t = 0; t < list.length; t += 3) {
    for (let e = 0; e < 3; e++) if (list[t + e] === a && list[t + ((e + 1) % 3)] === b) return t;
  }
  return -1;
}

/**
 * The flat positions bent: x along the arc of the back (radius R), z out along the radius (out for
 * an outward bend, in for an inward one), y up the picture becomes Z. The bounding box then starts
 * at (0, 0, 0).
 */
export function bendPositions(flat: Float64Array, plan: BendPlan): Float32Array {
  const { sign, radius, width } = plan;
  const out = new Float64Array(flat.length);
  const min = [Infinity, Infinity, Infinity];
  for (let i = 0; i < flat.length; i += 3) {
    const theta = (flat[i]! - width / 2) / radius;
    const r = radius + sign * flat[i + 2]!;
    out[i] = r * Math.sin(theta);
    out[i + 1] = sign * (radius - r * Math.cos(theta));
    out[i + 2] = flat[i + 1]!;
    for (let k = 0; k < 3; k++) min[k] = Math.min(min[k]!, out[i + k]!);
  }
  const positions = new Float32Array(flat.length);
  for (let i = 0; i < flat.length; i++) positions[i] = out[i]! - min[i % 3]!;
  return positions;
}
