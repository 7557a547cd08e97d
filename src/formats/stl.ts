/**
 * Binary STL of a relief mesh, in millimetres (the unit slicers assume for STL).
 * Layout: an 80-byte header (never starting with "solid", which would read as ASCII STL), the
 * triangle count (uint32), then per triangle its unit normal and three vertices as float32 x, y, z
 * and a zero uint16 attribute: 50 bytes. Little-endian throughout.
 */
import { faceNormals, type ReliefMesh } from '../relief/mesh.js';

const HEADER = 'Depthmill relief, binary STL, millimetres, Z up';

export function encodeStl(mesh: ReliefMesh): Buffer {
  const { positions, indices } = mesh;
  if (indices.length % 3 !== 0) throw new RangeError('STL: index count is not a multiple of 3');
  const vertexCount = positions.length / 3;
  for (const v of indices) if (v >= vertexCount) throw new RangeError(`STL: index ${v} out of range`);
  const count = indices.length / 3;
  const normals = faceNormals(mesh);
  const out = Buffer.alloc(84 + 50 * count);
  out.write(HEADER.padEnd(80, ' '), 0, 80, 'latin1');
  // Records are 50 bytes, so float32 fields are not 4-aligned: a DataView writes them in place.
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(80, count, true);
  let offset = 84;
  for (let t = 0; t < count; t++) {
    view.setFloat32(offset, normals[3 * t]!, true);
    view.setFloat32(offset + 4, normals[3 * t + 1]!, true);
    view.setFloat32(offset + 8, normals[3 * t + 2]!, true);
    offset += 12;
    for (let k = 0; k < 3; k++) {
      const v = indices[3 * t + k]! * 3;
      view.setFloat32(offset, positions[v]!, true);
      view.setFloat32(offset + 4, positions[v + 1]!, true);
      view.setFloat32(offset + 8, positions[v + 2]!, true);
      offset += 12;
    }
    offset += 2; // attribute byte count: 0
  }
  return out;
}
