// Steps 2 and 3 of a relief: the adaptive top surface, then the closed solid around it.
//
// Top: delatin (a greedy Delaunay TIN, Garland and Heckbert) adds the worst sample until every
// triangle is within maxError of the heights. Outside the region the heights are pushed far down,
// so any triangle that mixes inside and outside samples keeps being refined until it holds no
// sample but its corners; marching triangles then cut those along the outline (the zero line of
// the region function, interpolated on their edges). The highest sample is pushed far up, so it
// becomes a vertex and the relief keeps its exact height.
//
// Solid: a flat bottom at z = 0 under the same outline, and a vertical wall quad under every
// boundary edge of the top. Vertices are named by where they sit (a sample, or the crossing of a
// TIN edge), and the top, the bottom and the walls use those names, so every edge ends up shared
// by exactly two triangles, in opposite directions.
import Delatin from 'delatin';
import type { HeightField } from './heightfield.js';
import type { ReliefMesh } from './mesh.js';

/** Where an outline crossing may sit on its edge: never closer than this fraction to a sample. */
const CROSSING_MARGIN = 0.05;
/** Millimetres added to (or taken from) a height to force the TIN to resolve it exactly. */
const FORCE = 1e4;

export interface SolidStats {
  /** Triangles of the top surface, the bottom and the walls. */
  top: number;
  bottom: number;
  walls: number;
  /** Largest vertical distance (mm) between the top surface and the height samples. */
  error: number;
  /** Millimetres per grid step in the mesh. */
  mmPerSample: number;
}

/** Vertices of one surface (top or bottom), each named by a location key. */
class VertexTable {
  private readonly byKey = new Map<number, number>();
  readonly gx: number[] = [];
  readonly gy: number[] = [];
  readonly z: number[] = [];
  /** 1 for vertices that may lie on the region's boundary: crossings and samples on the grid's edge. */
  readonly rim: number[] = [];
  readonly key: number[] = [];

  get count(): number {
    return this.gx.length;
  }

  find(key: number): number | undefined {
    return this.byKey.get(key);
  }

  at(key: number, x: number, y: number, z: number, rim: boolean): number {
    const found = this.byKey.get(key);
    if (found !== undefined) return found;
    const index = this.gx.length;
    this.gx.push(x);
    this.gy.push(y);
    this.z.push(z);
    this.rim.push(rim ? 1 : 0);
    this.key.push(key);
    this.byKey.set(key, index);
    return index;
  }
}

/** Triangles as vertex triples, oriented so their normal points up (top) or down (bottom). */
class Triangles {
  readonly indices: number[] = [];

  constructor(
    private readonly table: VertexTable,
    private readonly up: boolean,
  ) {}

  add(a: number, b: number, c: number): void {
    const { gx, gy } = this.table;
    // Grid y grows downwards and the mesh's Y upwards: counter-clockwise seen from above is a
    // negative cross product in grid coordinates.
    const cross = (gx[b]! - gx[a]!) * (gy[c]! - gy[a]!) - (gy[b]! - gy[a]!) * (gx[c]! - gx[a]!);
    if (cross === 0) throw new Error('relief: degenerate triangle');
    if (cross < 0 === this.up) this.indices.push(a, b, c);
    else this.indices.push(a, c, b);
  }
}

/** The top surface: a TIN within maxError of the heights, cut along the outline. */
function topSurface(hf: HeightField, maxError: number): { table: VertexTable; triangles: number[]; error: number } {
  const { cols, rows, z, inside, field, peak } = hf;
  const n = cols * rows;
  const heights = new Float64Array(n);
  for (let i = 0; i < n; i++) heights[i] = inside[i] ? z[i]! : -FORCE;
  heights[peak] = z[peak]! + FORCE;
  const tin = new Delatin(heights, cols, rows);
  tin.run(maxError);
  const { coords, triangles: tinTriangles } = tin;
  const tinVertices = coords.length / 2;

  const table = new VertexTable();
  const sampleOf = (v: number) => coords[2 * v + 1]! * cols + coords[2 * v]!;
  const sample = (s: number) => {
    const x = s % cols;
    const y = (s - x) / cols;
    return table.at(s, x, y, z[s]!, x === 0 || y === 0 || x === cols - 1 || y === rows - 1);
  };
  // The outline's crossing of the TIN edge from an inside sample to an outside one.
  const crossing = (vi: number, vo: number) => {
    const key = n + Math.min(vi, vo) * tinVertices + Math.max(vi, vo);
    const found = table.find(key);
    if (found !== undefined) return found;
    const si = sampleOf(vi);
    const so = sampleOf(vo);
    const fi = field[si]!;
    const fo = field[so]!;
    const t = Math.min(1 - CROSSING_MARGIN, Math.max(CROSSING_MARGIN, fi / (fi - fo)));
    const xi = coords[2 * vi]!;
    const yi = coords[2 * vi + 1]!;
    return table.at(key, xi + (coords[2 * vo]! - xi) * t, yi + (coords[2 * vo + 1]! - yi) * t, z[si]!, true);
  };

  const top = new Triangles(table, true);
  for (let t = 0; t < tinTriangles.length; t += 3) {
    const v = [tinTriangles[t]!, tinTriangles[t + 1]!, tinTriangles[t + 2]!];
    const s = v.map(sampleOf);
    const count = inside[s[0]!]! + inside[s[1]!]! + inside[s[2]!]!;
    if (count === 0) continue;
    if (count === 3) {
      top.add(sample(s[0]!), sample(s[1]!), sample(s[2]!));
      continue;
    }
    // Rotate so that a is the odd one out: the only inside corner (count 1) or the only outside one.
    const odd = [0, 1, 2].find((k) => (inside[s[k]!] === 1) === (count === 1))!;
    const [a, b, c] = [odd, (odd + 1) % 3, (odd + 2) % 3];
    if (count === 1) {
      top.add(sample(s[a]!), crossing(v[a]!, v[b]!), crossing(v[a]!, v[c]!));
    } else {
      const ab = crossing(v[b]!, v[a]!);
      const ac = crossing(v[c]!, v[a]!);
      top.add(sample(s[b]!), sample(s[c]!), ac);
      top.add(sample(s[b]!), ac, ab);
    }
  }
  return { table, triangles: top.indices, error: tin.getMaxError() };
}

/** Directed edges (a, b) between rim vertices that no triangle uses as (b, a): the surface's boundary. */
function boundaryEdges(triangles: number[], table: VertexTable): Array<[number, number]> {
  const count = table.count;
  const edges = new Set<number>();
  const rim = table.rim;
  for (let t = 0; t < triangles.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const a = triangles[t + e]!;
      const b = triangles[t + ((e + 1) % 3)]!;
      if (rim[a] && rim[b]) edges.add(a * count + b);
    }
  }
  const out: Array<[number, number]> = [];
  for (const key of edges) {
    const a = Math.floor(key / count);
    const b = key - a * count;
    if (!edges.has(b * count + a)) out.push([a, b]);
  }
  return out;
}

/**
 * The bottom: the top's triangulation at z = 0, facing down, with its inner vertices collapsed
 * away (it is flat, so they carry nothing) wherever that keeps every triangle the right way up.
 * The outline vertices stay, so the bottom meets the walls exactly; holes need nothing special.
 */
function flatBottom(top: VertexTable, topTriangles: number[]): { table: VertexTable; triangles: number[] } {
  const { gx, gy, rim } = top;
  const tri = topTriangles.slice();
  const triangleCount = tri.length / 3;
  const alive = new Uint8Array(triangleCount).fill(1);
  const around: number[][] = gx.map(() => []);
  for (let t = 0; t < triangleCount; t++) for (let k = 0; k < 3; k++) around[tri[3 * t + k]!]!.push(t);
  const live = (v: number) => (around[v] = around[v]!.filter((t) => alive[t]));
  const neighbours = (v: number) => {
    const out = new Set<number>();
    for (const t of live(v)) for (let k = 0; k < 3; k++) out.add(tri[3 * t + k]!);
    out.delete(v);
    return out;
  };
  // Twice the signed area, and whether a triangle is a sliver (height under 1/1000 of a sample).
  const cross = (a: number, b: number, c: number) => (gx[b]! - gx[a]!) * (gy[c]! - gy[a]!) - (gy[b]! - gy[a]!) * (gx[c]! - gx[a]!);
  const longest = (a: number, b: number, c: number) =>
    Math.max(Math.hypot(gx[b]! - gx[a]!, gy[b]! - gy[a]!), Math.hypot(gx[c]! - gx[b]!, gy[c]! - gy[b]!), Math.hypot(gx[a]! - gx[c]!, gy[a]! - gy[c]!));

  // A vertex whose neighbourhood changed since it last failed to collapse is worth another try.
  const dirty = new Uint8Array(gx.length).fill(1);
  const collapse = (v: number, u: number): boolean => {
    const triangles = live(v);
    const holds = (t: number, w: number) => tri[3 * t] === w || tri[3 * t + 1] === w || tri[3 * t + 2] === w;
    const shared = triangles.filter((t) => holds(t, u));
    if (shared.length !== 2) return false;
    for (const t of triangles) {
      if (shared.includes(t)) continue;
      const [a, b, c] = [tri[3 * t]!, tri[3 * t + 1]!, tri[3 * t + 2]!];
      const before = cross(a, b, c);
      const [a2, b2, c2] = [a === v ? u : a, b === v ? u : b, c === v ? u : c];
      const after = cross(a2, b2, c2);
      if (Math.sign(after) !== Math.sign(before) || Math.abs(after) / longest(a2, b2, c2) <= 1e-3) return false;
    }
    // Link condition: u and v have exactly the two common neighbours across their shared edge.
    let common = 0;
    for (const w of neighbours(v)) if (w !== u && live(w).some((t) => holds(t, u))) common++;
    if (common !== 2) return false;
    for (const t of triangles) {
      for (let k = 0; k < 3; k++) dirty[tri[3 * t + k]!] = 1;
      if (shared.includes(t)) {
        alive[t] = 0;
        continue;
      }
      for (let k = 0; k < 3; k++) if (tri[3 * t + k] === v) tri[3 * t + k] = u;
      around[u]!.push(t);
    }
    around[v] = [];
    return true;
  };

  for (let changed = true; changed; ) {
    changed = false;
    for (let v = 0; v < gx.length; v++) {
      if (rim[v] || !dirty[v] || around[v]!.length === 0) continue;
      dirty[v] = 0;
      // Into the neighbour with the fewest triangles first: no vertex becomes a hub of slivers.
      const order = [...neighbours(v)].sort((a, b) => around[a]!.length - around[b]!.length);
      for (const u of order) {
        if (collapse(v, u)) {
          changed = true;
          break;
        }
      }
    }
  }

  const table = new VertexTable();
  const bottom = new Triangles(table, false);
  const copy = (v: number) => table.at(top.key[v]!, gx[v]!, gy[v]!, 0, rim[v] === 1);
  for (let t = 0; t < triangleCount; t++) {
    if (alive[t]) bottom.add(copy(tri[3 * t]!), copy(tri[3 * t + 1]!), copy(tri[3 * t + 2]!));
  }
  return { table, triangles: bottom.indices };
}

/**
 * The closed solid of a height field. Scaled so its X extent is `width` mm, Y flipped so the
 * image's top row is at the largest Y (the relief reads right way round from above).
 */
export function buildSolid(hf: HeightField, width: number, maxError: number): { mesh: ReliefMesh; stats: SolidStats } {
  const top = topSurface(hf, maxError);
  const topEdges = boundaryEdges(top.triangles, top.table);
  const bottom = flatBottom(top.table, top.triangles);

  // Walls: under every boundary edge a -> b of the top (region on its left, seen from above),
  // the quad b, a, a0, b0 seen from outside. The bottom must have the same edge, reversed.
  const offset = top.table.count;
  const bottomEdges = new Set(boundaryEdges(bottom.triangles, bottom.table).map(([a, b]) => a * bottom.table.count + b));
  if (bottomEdges.size !== topEdges.length) throw new Error('relief: the bottom outline does not match the top outline');
  const walls: number[] = [];
  for (const [a, b] of topEdges) {
    const a0 = bottom.table.find(top.table.key[a]!);
    const b0 = bottom.table.find(top.table.key[b]!);
    if (a0 === undefined || b0 === undefined || !bottomEdges.has(b0 * bottom.table.count + a0)) {
      throw new Error('relief: the bottom outline does not match the top outline');
    }
    walls.push(b, a, a0 + offset, b, a0 + offset, b0 + offset);
  }

  let minX = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let v = 0; v < top.table.count; v++) {
    minX = Math.min(minX, top.table.gx[v]!);
    maxX = Math.max(maxX, top.table.gx[v]!);
    maxY = Math.max(maxY, top.table.gy[v]!);
  }
  const scale = width / (maxX - minX);
  const positions = new Float32Array((top.table.count + bottom.table.count) * 3);
  for (const [table, base] of [[top.table, 0], [bottom.table, offset]] as const) {
    for (let v = 0; v < table.count; v++) {
      positions[(base + v) * 3] = (table.gx[v]! - minX) * scale;
      positions[(base + v) * 3 + 1] = (maxY - table.gy[v]!) * scale;
      positions[(base + v) * 3 + 2] = table.z[v]!;
    }
  }
  const indices = new Uint32Array(top.triangles.length + bottom.triangles.length + walls.length);
  indices.set(top.triangles, 0);
  for (let i = 0; i < bottom.triangles.length; i++) indices[top.triangles.length + i] = bottom.triangles[i]! + offset;
  indices.set(walls, top.triangles.length + bottom.triangles.length);
  return {
    mesh: { positions, indices },
    stats: {
      top: top.triangles.length / 3,
      bottom: bottom.triangles.length / 3,
      walls: walls.length / 3,
      error: top.error,
      mmPerSample: scale,
    },
  };
}
