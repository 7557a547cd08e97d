/**
 * GLB (glTF 2.0 binary) of a relief mesh, written with @gltf-transform/core.
 *
 * glTF's unit is the metre and its up axis +Y (glTF 2.0 spec, "Coordinate System and Units"), so
 * a vertex (x, y, z) in millimetres with Z up becomes (x, z, -y) / 1000: the same solid, lying on
 * the ground plane, seen from its front. Normals are per vertex: a vertex is split wherever the
 * faces around it turn by more than CREASE_DEGREES (the rim of the walls, steep steps), and smooth
 * (area-weighted) elsewhere, so the relief shades as a surface and its edges stay sharp.
 */
import { Document, NodeIO } from '@gltf-transform/core';
import { faceAreaVectors, unitVectors, type ReliefMesh } from '../relief/mesh.js';

const CREASE_DEGREES = 45;

interface Shaded {
  positions: Float32Array;
  normals: Float32Array;
  indices: Uint32Array;
}

/** Splits vertices at creases and gives every resulting vertex an area-weighted normal. */
export function shade(mesh: ReliefMesh, creaseDegrees = CREASE_DEGREES): Shaded {
  const { positions: p, indices } = mesh;
  const vertexCount = p.length / 3;
  // Face normals scaled by twice the area (the raw cross product), and as unit vectors.
  const face = faceAreaVectors(mesh);
  const unit = unitVectors(face, new Float64Array(face.length));

  // Corners around each vertex (compressed rows).
  const start = new Int32Array(vertexCount + 1);
  for (const v of indices) start[v + 1]!++;
  let widest = 0;
  for (let v = 0; v < vertexCount; v++) {
    widest = Math.max(widest, start[v + 1]!);
    start[v + 1]! += start[v]!;
  }
  const fill = start.slice(0, vertexCount);
  const corners = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) corners[fill[indices[i]!]!++] = i;

  const cosCrease = Math.cos((creaseDegrees * Math.PI) / 180);
  // At most one output vertex per corner; trimmed at the end.
  const outPositions = new Float32Array(3 * indices.length);
  const outNormals = new Float32Array(3 * indices.length);
  const outIndices = new Uint32Array(indices.length);
  let out = 0;
  // Per vertex, reused: each group's first face and summed area vectors, each corner's group.
  const seeds = new Int32Array(widest);
  const sums = new Float64Array(3 * widest);
  const groupOf = new Int32Array(widest);
  for (let v = 0; v < vertexCount; v++) {
    // Group the faces around v: each joins the first group whose first face is within the crease.
    let groups = 0;
    const first = start[v]!;
    for (let j = first; j < start[v + 1]!; j++) {
      const corner = corners[j]!;
      const t = 3 * ((corner - (corner % 3)) / 3);
      let group = 0;
      for (; group < groups; group++) {
        const s = 3 * seeds[group]!;
        if (unit[s]! * unit[t]! + unit[s + 1]! * unit[t + 1]! + unit[s + 2]! * unit[t + 2]! >= cosCrease) break;
      }
      if (group === groups) {
        seeds[groups] = t / 3;
        sums[3 * groups] = sums[3 * groups + 1] = sums[3 * groups + 2] = 0;
        groups++;
      }
      for (let k = 0; k < 3; k++) sums[3 * group + k]! += face[t + k]!;
      groupOf[j - first] = group;
    }
    for (let g = 0; g < groups; g++) {
      outPositions[3 * out] = p[3 * v]!;
      outPositions[3 * out + 1] = p[3 * v + 1]!;
      outPositions[3 * out + 2] = p[3 * v + 2]!;
      const x = sums[3 * g]!;
      const y = sums[3 * g + 1]!;
      const z = sums[3 * g + 2]!;
      const length = Math.hypot(x, y, z) || 1;
      outNormals[3 * out] = x / length;
      outNormals[3 * out + 1] = y / length;
      outNormals[3 * out + 2] = z / length;
      for (let j = first; j < start[v + 1]!; j++) if (groupOf[j - first] === g) outIndices[corners[j]!] = out;
      out++;
    }
  }
  return { positions: outPositions.slice(0, 3 * out), normals: outNormals.slice(0, 3 * out), indices: outIndices };
}

export async function encodeGlb(mesh: ReliefMesh): Promise<Buffer> {
  const shaded = shade(mesh);
  // Millimetres, Z up -> metres, Y up: (x, y, z) -> (x, z, -y) / 1000; a rotation, so faces keep
  // their winding.
  const positions = new Float32Array(shaded.positions.length);
  const normals = new Float32Array(shaded.normals.length);
  for (let i = 0; i < positions.length; i += 3) {
    positions[i] = shaded.positions[i]! / 1000;
    positions[i + 1] = shaded.positions[i + 2]! / 1000;
    positions[i + 2] = -shaded.positions[i + 1]! / 1000;
    normals[i] = shaded.normals[i]!;
    normals[i + 1] = shaded.normals[i + 2]!;
    normals[i + 2] = -shaded.normals[i + 1]!;
  }
  const vertexCount = positions.length / 3;

  const document = new Document();
  document.getRoot().getAsset().generator = 'Depthmill';
  const buffer = document.createBuffer();
  const position = document.createAccessor('position').setType('VEC3').setArray(positions).setBuffer(buffer);
  const normal = document.createAccessor('normal').setType('VEC3').setArray(normals).setBuffer(buffer);
  const indices = document
    .createAccessor('indices')
    .setType('SCALAR')
    .setArray(vertexCount <= 65535 ? Uint16Array.from(shaded.indices) : shaded.indices)
    .setBuffer(buffer);
  const material = document.createMaterial('relief').setBaseColorFactor([0.8, 0.8, 0.8, 1]).setMetallicFactor(0).setRoughnessFactor(0.7);
  const primitive = document
    .createPrimitive()
    .setAttribute('POSITION', position)
    .setAttribute('NORMAL', normal)
    .setIndices(indices)
    .setMaterial(material);
  const node = document.createNode('relief').setMesh(document.createMesh('relief').addPrimitive(primitive));
  const scene = document.createScene('relief').addChild(node);
  document.getRoot().setDefaultScene(scene);
  const glb = await new NodeIO().writeBinary(document);
  return Buffer.from(glb.buffer, glb.byteOffset, glb.byteLength);
}
