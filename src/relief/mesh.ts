/** A closed triangle mesh as the relief builder makes it and the mesh encoders (stl, glb, 3mf) take it. */
export interface ReliefMesh {
  /** x, y, z per vertex, in millimetres; Z up, the bottom at z = 0, the bounding box from (0, 0). */
  positions: Float32Array;
  /** Three vertex indices per triangle, counter-clockwise seen from outside (normals point out). */
  indices: Uint32Array;
}

export function triangleCount(mesh: ReliefMesh): number {
  return mesh.indices.length / 3;
}

/**
 * Separate closed parts (shells): triangles joined through shared vertices. The builder shares
 * vertices within a part and never across parts, so this is what ADMesh and slicers count too.
 */
export function shellCount(mesh: ReliefMesh): number {
  const parent = new Int32Array(mesh.positions.length / 3).map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const { indices } = mesh;
  for (let t = 0; t < indices.length; t += 3) {
    const a = root(indices[t]!);
    parent[root(indices[t + 1]!)] = a;
    parent[root(indices[t + 2]!)] = a;
  }
  const roots = new Set<number>();
  for (let t = 0; t < indices.length; t += 3) roots.add(root(indices[t]!));
  return roots.size;
}

/** Min and max of each coordinate, in millimetres. */
export function meshBounds(mesh: ReliefMesh): { min: [number, number, number]; max: [number, number, number] } {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  const p = mesh.positions;
  for (let i = 0; i < p.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      const v = p[i + k]!;
      if (v < min[k]!) min[k] = v;
      if (v > max[k]!) max[k] = v;
    }
  }
  return { min, max };
}

/**
 * Every triangle's cross product (b - a) x (c - a), x, y, z per triangle: its normal by the
 * right-hand rule, scaled by twice its area (the weight an area-weighted vertex normal wants).
 */
export function faceAreaVectors(mesh: ReliefMesh): Float64Array {
  const { positions: p, indices } = mesh;
  const out = new Float64Array(indices.length);
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t]! * 3;
    const b = indices[t + 1]! * 3;
    const c = indices[t + 2]! * 3;
    const ux = p[b]! - p[a]!;
    const uy = p[b + 1]! - p[a + 1]!;
    const uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!;
    const vy = p[c + 1]! - p[a + 1]!;
    const vz = p[c + 2]! - p[a + 2]!;
    out[t] = uy * vz - uz * vy;
    out[t + 1] = uz * vx - ux * vz;
    out[t + 2] = ux * vy - uy * vx;
  }
  return out;
}

/** Each (x, y, z) of `vectors` scaled to unit length, into `out` (a zero vector stays zero). */
export function unitVectors<T extends Float32Array | Float64Array>(vectors: ArrayLike<number>, out: T): T {
  for (let t = 0; t < vectors.length; t += 3) {
    const length = Math.hypot(vectors[t]!, vectors[t + 1]!, vectors[t + 2]!) || 1;
    out[t] = vectors[t]! / length;
    out[t + 1] = vectors[t + 1]! / length;
    out[t + 2] = vectors[t + 2]! / length;
  }
  return out;
}

/** The unit normal of every triangle (x, y, z per triangle), from the right-hand rule. */
export function faceNormals(mesh: ReliefMesh): Float32Array {
  const vectors = faceAreaVectors(mesh);
  return unitVectors(vectors, new Float32Array(vectors.length));
}
