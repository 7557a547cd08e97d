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

/** The unit normal of every triangle (x, y, z per triangle), from the right-hand rule. */
export function faceNormals(mesh: ReliefMesh): Float32Array {
  const { positions: p, indices } = mesh;
  const out = new Float32Array(indices.length);
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
    const nx = uy * vz - uz * vy;
    const ny = uz * vx - ux * vz;
    const nz = ux * vy - uy * vx;
    const length = Math.hypot(nx, ny, nz) || 1;
    out[t] = nx / length;
    out[t + 1] = ny / length;
    out[t + 2] = nz / length;
  }
  return out;
}
