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
  const count = indices.length / 3;
  const normals = faceNormals(mesh);
  const out = Buffer.alloc(84 + 50 * count);
  out.write(HEADER.padEnd(80, ' '), 0, 80, 'latin1');
  out.writeUInt32LE(count, 80);
  let offset = 84;
  for (let t = 0; t < count; t++) {
    out.writeFloatLE(normals[3 * t]!, offset);
    out.writeFloatLE(normals[3 * t + 1]!, offset + 4);
    out.writeFloatLE(normals[3 * t + 2]!, offset + 8);
    offset += 12;
    for (let k = 0; k < 3; k++) {
      const v = indices[3 * t + k]! * 3;
      if (v + 2 >= positions.length) throw new RangeError(`STL: index ${indices[3 * t + k]} out of range`);
      out.writeFloatLE(positions[v]!, offset);
      out.writeFloatLE(positions[v + 1]!, offset + 4);
      out.writeFloatLE(positions[v + 2]!, offset + 8);
      offset += 12;
    }
    offset += 2; // attribute byte count: 0
  }
  return out;
}
