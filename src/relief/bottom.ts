// The flat bottom of a relief: the top's triangulation at z = 0, facing down, with its inner
// vertices collapsed away (it is flat, so they carry nothing) wherever that keeps every triangle
// the right way up. The outline vertices stay, so the bottom meets the walls exactly; holes need
// nothing special.
import type { Vertices } from './surface.js';

/** A collapse must leave every triangle at least this tall, in units of its longest side. */
const MIN_ASPECT = 1e-3;

/**
 * The bottom's triangles, as indices into the top's vertices and oriented like the top's (up):
 * the caller turns them over. With `fits`, a collapse must also leave every triangle it changes
 * fitting it (a bent relief's: no wider than the slab its bend was cut into, bend.ts).
 */
export function flatBottom(vertices: Vertices, topTriangles: Int32Array, fits?: (a: number, b: number, c: number) => boolean): Int32Array {
  const { gx, gy, rim } = vertices;
  const vertexCount = vertices.count;
  const tri = topTriangles.slice();
  const triangleCount = tri.length / 3;
  const alive = new Uint8Array(triangleCount).fill(1);
  // The live triangles around each vertex, kept exact as collapses go.
  const around: number[][] = Array.from({ length: vertexCount }, () => []);
  for (let t = 0; t < triangleCount; t++) for (let k = 0; k < 3; k++) around[tri[3 * t + k]!]!.push(t);

  const holds = (t: number, w: number) => tri[3 * t] === w || tri[3 * t + 1] === w || tri[3 * t + 2] === w;
  const cross = (a: number, b: number, c: number) => (gx[b]! - gx[a]!) * (gy[c]! - gy[a]!) - (gy[b]! - gy[a]!) * (gx[c]! - gx[a]!);
  const squared = (a: number, b: number) => (gx[b]! - gx[a]!) ** 2 + (gy[b]! - gy[a]!) ** 2;
  /** Whether a, b, c (cross product `area2`) is taller than MIN_ASPECT of its longest side. */
  const tall = (a: number, b: number, c: number, area2: number) =>
    area2 * area2 > MIN_ASPECT * MIN_ASPECT * Math.max(squared(a, b), squared(b, c), squared(c, a));

  // Neighbour sets without allocating: w is in the last set marked when mark[w] === stamp.
  const mark = new Int32Array(vertexCount);
  let stamp = 0;
  let ring = new Int32Array(64);
  let order = new Int32Array(64);
  /** Marks the neighbours of v; with `list`, also writes them to `ring` in the order met. */
  const markNeighbours = (v: number, list: boolean): number => {
    stamp++;
    mark[v] = stamp;
    let count = 0;
    for (const t of around[v]!) {
      for (let k = 0; k < 3; k++) {
        const w = tri[3 * t + k]!;
        if (mark[w] === stamp) continue;
        mark[w] = stamp;
        if (!list) continue;
        if (count === ring.length) {
          const grown = new Int32Array(2 * count);
          grown.set(ring);
          ring = grown;
          order = new Int32Array(2 * count);
        }
        ring[count++] = w;
      }
    }
    return count;
  };
  const removeFrom = (w: number, t: number) => {
    const list = around[w]!;
    list[list.indexOf(t)] = list[list.length - 1]!;
    list.pop();
  };

  // A vertex whose neighbourhood changed since it last failed to collapse is worth another try.
  const dirty = new Uint8Array(vertexCount).fill(1);
  /** Moves v onto its neighbour u when the bottom stays a valid triangulation; false otherwise. */
  const collapse = (v: number, u: number, ringOfV: Int32Array, ringSize: number): boolean => {
    const triangles = around[v]!;
    let shared = 0;
    for (const t of triangles) if (holds(t, u)) shared++;
    if (shared !== 2) return false;
    for (const t of triangles) {
      if (holds(t, u)) continue;
      const a = tri[3 * t]!;
      const b = tri[3 * t + 1]!;
      const c = tri[3 * t + 2]!;
      const a2 = a === v ? u : a;
      const b2 = b === v ? u : b;
      const c2 = c === v ? u : c;
      const after = cross(a2, b2, c2);
      if (Math.sign(after) !== Math.sign(cross(a, b, c)) || !tall(a2, b2, c2, after)) return false;
      if (fits && !fits(a2, b2, c2)) return false;
    }
    // Link condition: u and v have exactly the two common neighbours across their shared edge.
    markNeighbours(u, false);
    let common = 0;
    for (let i = 0; i < ringSize; i++) if (ringOfV[i] !== u && mark[ringOfV[i]!] === stamp) common++;
    if (common !== 2) return false;

    for (const t of triangles) {
      for (let k = 0; k < 3; k++) dirty[tri[3 * t + k]!] = 1;
      if (holds(t, u)) {
        alive[t] = 0;
        for (let k = 0; k < 3; k++) if (tri[3 * t + k] !== v) removeFrom(tri[3 * t + k]!, t);
        continue;
      }
      for (let k = 0; k < 3; k++) if (tri[3 * t + k] === v) tri[3 * t + k] = u;
      around[u]!.push(t);
    }
    around[v] = [];
    return true;
  };

  for (let changed = true; changed;) {
    changed = false;
    for (let v = 0; v < vertexCount; v++) {
      if (rim[v] || !dirty[v] || around[v]!.length === 0) continue;
      dirty[v] = 0;
      const size = markNeighbours(v, true);
      // Into the neighbour with the fewest triangles first: no vertex becomes a hub of slivers.
      // (Insertion sort, stable: a handful of neighbours.)
      for (let i = 0; i < size; i++) {
        const w = ring[i]!;
        let j = i;
        for (; j > 0 && around[order[j - 1]!]!.length > around[w]!.length; j--) order[j] = order[j - 1]!;
        order[j] = w;
      }
      for (let i = 0; i < size; i++) {
        if (collapse(v, order[i]!, ring, size)) {
          changed = true;
          break;
        }
      }
    }
  }

  let live = 0;
  for (let t = 0; t < triangleCount; t++) live += alive[t]!;
  const out = new Int32Array(3 * live);
  let o = 0;
  for (let t = 0; t < triangleCount; t++) {
    if (!alive[t]) continue;
    out[o++] = tri[3 * t]!;
    out[o++] = tri[3 * t + 1]!;
    out[o++] = tri[3 * t + 2]!;
  }
  return out;
}
