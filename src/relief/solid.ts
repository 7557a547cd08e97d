// Step 3 of a relief: the closed solid around the top surface (top.ts).
//
// A flat bottom at z = 0 under the same outline (bottom.ts), and a vertical wall quad under every
// boundary edge of the top. The bottom is made of the top's own vertices, so the walls join the
// two by vertex index and every edge ends up shared by exactly two triangles, in opposite
// directions.
import { bendPlan, bendPositions, closeSeam, prepareSeam, sliceForBend, withinSlab, type BendPlan, type FlatSolid } from './bend.js';
import { flatBottom } from './bottom.js';
import { ReliefInputError, type HeightField } from './heightfield.js';
import type { ReliefMesh } from './mesh.js';
import type { Vertices } from './surface.js';
import { topSurface } from './top.js';

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

/**
 * Directed edges a -> b (pairs in one array) between rim vertices that no triangle uses as b -> a:
 * the surface's boundary. Only rim vertices can be on it, so only their edges are collected.
 */
function boundaryEdges(triangles: Int32Array, rim: Uint8Array, vertexCount: number): Int32Array {
  const edges = new Set<number>();
  for (let t = 0; t < triangles.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const a = triangles[t + e]!;
      const b = triangles[t + (e === 2 ? 0 : e + 1)]!;
      if (rim[a] && rim[b]) edges.add(a * vertexCount + b);
    }
  }
  const out: number[] = [];
  for (const key of edges) {
    const a = Math.floor(key / vertexCount);
    const b = key - a * vertexCount;
    if (!edges.has(b * vertexCount + a)) out.push(a, b);
  }
  return Int32Array.from(out);
}

/**
 * The closed solid of a height field. Scaled so its X extent is `width` mm, Y flipped so the
 * image's top row is at the largest Y (the relief reads right way round from above). With `bend`
 * (degrees, relief_bend), bent around the vertical axis and standing (bend.ts).
 */
export function buildSolid(
  hf: HeightField,
  width: number,
  maxError: number,
  maxTriangles = Infinity,
  maxMeshTriangles = Infinity,
  bend = 0,
): { mesh: ReliefMesh; stats: SolidStats } {
  // The top's budget leaves room for a plate's walls and bottom (at most 3 per border step), so a
  // plate fits and only a cut-out's long outline can go over; never less than half the limit.
  const topBudget = Math.min(maxTriangles, Math.max(Math.floor(maxMeshTriangles / 2), maxMeshTriangles - 6 * (hf.cols + hf.rows)));
  const top = topSurface(hf, maxError, topBudget);
  const { vertices } = top;
  let topTriangles = top.triangles.view();
  let plan: BendPlan | undefined;
  let fits: ((a: number, b: number, c: number) => boolean) | undefined;
  if (bend !== 0) {
    const { minX, maxX } = extentX(vertices);
    let thickness = 0;
    for (let v = 0; v < vertices.count; v++) thickness = Math.max(thickness, vertices.z[v]!);
    plan = bendPlan(
      width,
      bend,
      thickness,
      hf.inside.every((inside) => inside === 1),
    );
    topTriangles = sliceForBend(vertices, topTriangles, minX, maxX, plan.slabs);
    if (plan.seam) topTriangles = prepareSeam(vertices, topTriangles, minX, maxX);
    fits = withinSlab(vertices, minX, maxX, plan.slabs);
  }
  const { gx, gy, z, rim } = vertices;
  const count = vertices.count;
  const topEdges = boundaryEdges(topTriangles, rim, count);
  // Two wall triangles per outline edge and about one bottom triangle: known before either is
  // built, so an outline of noise fails here, not after gigabytes of mesh.
  const expected = topTriangles.length / 3 + (3 * topEdges.length) / 2;
  if (expected > maxMeshTriangles) {
    throw new ReliefInputError(
      `relief: this would be a mesh of about ${Math.round(expected).toLocaleString('en')} triangles, more than the ${maxMeshTriangles.toLocaleString('en')} a relief may have; ` +
        'make it smaller (width), smoother (relief_smooth), or drop small parts (min_feature, or rmbg=0 for one plate)',
    );
  }
  const bottomUp = flatBottom(vertices, topTriangles, fits);

  // The bottom's own vertices: those of the top its triangles still use, numbered after the top's.
  const bottomOf = new Int32Array(count).fill(-1);
  let bottomCount = 0;
  for (const v of bottomUp) if (bottomOf[v]! < 0) bottomOf[v] = count + bottomCount++;
  // The bottom faces down: each triangle turned over, and it must have the top's outline, reversed.
  const bottom = new Int32Array(bottomUp.length);
  for (let t = 0; t < bottomUp.length; t += 3) {
    bottom[t] = bottomOf[bottomUp[t]!]!;
    bottom[t + 1] = bottomOf[bottomUp[t + 2]!]!;
    bottom[t + 2] = bottomOf[bottomUp[t + 1]!]!;
  }
  const bottomEdges = new Set<number>();
  const upEdges = boundaryEdges(bottomUp, rim, count);
  for (let e = 0; e < upEdges.length; e += 2) bottomEdges.add(upEdges[e]! * count + upEdges[e + 1]!);
  if (bottomEdges.size !== topEdges.length / 2) throw new Error('relief: the bottom outline does not match the top outline');

  // Walls: under every boundary edge a -> b of the top (region on its left, seen from above), the
  // quad b, a, a0, b0 seen from outside.
  const walls = new Int32Array(3 * topEdges.length);
  for (let e = 0; e < topEdges.length; e += 2) {
    const a = topEdges[e]!;
    const b = topEdges[e + 1]!;
    if (!bottomEdges.has(a * count + b) || bottomOf[a]! < 0 || bottomOf[b]! < 0)
      throw new Error('relief: the bottom outline does not match the top outline');
    const a0 = bottomOf[a]!;
    const b0 = bottomOf[b]!;
    walls.set([b, a, a0, b, a0, b0], 3 * e);
  }

  const { minX, maxX, maxY } = extentX(vertices);
  const scale = width / (maxX - minX);
  if (plan)
    return bentSolid({ gx, gy, z, count, minX, maxX, maxY, scale, bottomOf, bottomCount }, [topTriangles, bottom, walls], plan, top.error);
  const positions = new Float32Array((count + bottomCount) * 3);
  for (let v = 0; v < count; v++) {
    positions[3 * v] = (gx[v]! - minX) * scale;
    positions[3 * v + 1] = (maxY - gy[v]!) * scale;
    positions[3 * v + 2] = z[v]!;
    const b = bottomOf[v]!;
    if (b >= 0) {
      positions[3 * b] = positions[3 * v]!;
      positions[3 * b + 1] = positions[3 * v + 1]!;
      positions[3 * b + 2] = 0;
    }
  }
  const indices = new Uint32Array(topTriangles.length + bottom.length + walls.length);
  indices.set(topTriangles, 0);
  indices.set(bottom, topTriangles.length);
  indices.set(walls, topTriangles.length + bottom.length);
  return {
    mesh: { positions, indices },
    stats: {
      top: topTriangles.length / 3,
      bottom: bottom.length / 3,
      walls: walls.length / 3,
      error: top.error,
      mmPerSample: scale,
    },
  };
}

/** The extent of the vertices across (gx) and their largest gy. */
function extentX(vertices: Vertices): { minX: number; maxX: number; maxY: number } {
  const { gx, gy } = vertices;
  let minX = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let v = 0; v < vertices.count; v++) {
    if (gx[v]! < minX) minX = gx[v]!;
    if (gx[v]! > maxX) maxX = gx[v]!;
    if (gy[v]! > maxY) maxY = gy[v]!;
  }
  return { minX, maxX, maxY };
}

interface Layout {
  gx: Float64Array;
  gy: Float64Array;
  z: Float64Array;
  /** Top vertices; the bottom's are numbered after them (bottomOf). */
  count: number;
  minX: number;
  maxX: number;
  maxY: number;
  scale: number;
  bottomOf: Int32Array;
  bottomCount: number;
}

/** The solid laid out flat in float64 millimetres, its ring's seam closed, then bent (bend.ts). */
function bentSolid(
  layout: Layout,
  [top, bottom, walls]: Int32Array[],
  plan: BendPlan,
  error: number,
): { mesh: ReliefMesh; stats: SolidStats } {
  const { gx, gy, z, count, minX, maxX, maxY, scale, bottomOf, bottomCount } = layout;
  const flat = new Float64Array((count + bottomCount) * 3);
  const end = new Int8Array(count + bottomCount);
  for (let v = 0; v < count; v++) {
    const at = gx[v] === minX ? -1 : gx[v] === maxX ? 1 : 0;
    flat.set([(gx[v]! - minX) * scale, (maxY - gy[v]!) * scale, z[v]!], 3 * v);
    end[v] = at;
    const b = bottomOf[v]!;
    if (b >= 0) {
      flat.set([flat[3 * v]!, flat[3 * v + 1]!, 0], 3 * b);
      end[b] = at;
    }
  }
  let solid: FlatSolid = { positions: flat, indices: [...top!, ...bottom!, ...walls!] };
  if (plan.seam) solid = closeSeam(solid, (v) => end[v] as -1 | 0 | 1);
  const seamFaces = solid.indices.length / 3 - (top!.length + bottom!.length + walls!.length) / 3;
  return {
    mesh: { positions: bendPositions(solid.positions, plan), indices: Uint32Array.from(solid.indices) },
    stats: {
      top: top!.length / 3,
      bottom: bottom!.length / 3,
      walls: walls!.length / 3 + seamFaces,
      error,
      mmPerSample: scale,
    },
  };
}
