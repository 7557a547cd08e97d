// GLB: the Khronos glTF validator finds no errors (nor warnings); the JSON chunk, read by hand,
// says metres and Y up; normals are unit length and point out.
import { describe, expect, it } from 'vitest';
import { validateBytes } from 'gltf-validator';
import { encodeGlb } from '../../src/formats/glb.js';
import { meshBounds } from '../../src/relief/index.js';
import { appleRelief, box, domeRelief } from './mesh-fixtures.js';

interface GltfJson {
  asset: { version: string };
  accessors: Array<{ count: number; type: string; componentType: number; min?: number[]; max?: number[] }>;
  meshes: Array<{ primitives: Array<{ attributes: Record<string, number>; indices: number; mode?: number }> }>;
}

function jsonChunk(glb: Buffer): GltfJson {
  expect(glb.subarray(0, 4).toString('latin1')).toBe('glTF');
  expect(glb.readUInt32LE(4)).toBe(2);
  expect(glb.readUInt32LE(8)).toBe(glb.length);
  const length = glb.readUInt32LE(12);
  expect(glb.subarray(16, 20).toString('latin1')).toBe('JSON');
  return JSON.parse(glb.subarray(20, 20 + length).toString('utf8')) as GltfJson;
}

describe('encodeGlb', () => {
  it.each([
    ['a box', async () => box()],
    ['a synthetic relief', async () => domeRelief()],
    ['the apple cut-out', appleRelief],
  ])('passes the Khronos glTF validator: %s', async (_label, make) => {
    const glb = await encodeGlb(await make());
    const report = await validateBytes(new Uint8Array(glb), { maxIssues: 0, writeTimestamp: false });
    expect(report.issues.messages).toEqual([]);
    expect(report.issues.numErrors).toBe(0);
    expect(report.info?.version).toBe('2.0');
  });

  it('is in metres with Y up: X = width / 1000, Y = the height of the relief', async () => {
    const mesh = domeRelief();
    const { max } = meshBounds(mesh);
    const gltf = jsonChunk(await encodeGlb(mesh));
    expect(gltf.asset.version).toBe('2.0');
    const primitive = gltf.meshes[0]!.primitives[0]!;
    expect(Object.keys(primitive.attributes).sort()).toEqual(['NORMAL', 'POSITION']);
    const position = gltf.accessors[primitive.attributes.POSITION!]!;
    expect(position.max![0]).toBeCloseTo(0.03, 6); // 30 mm
    expect(position.max![1]).toBeCloseTo(max[2] / 1000, 6); // Z up became Y up
    expect(position.min![1]).toBe(0);
    expect(position.max![2]).toBe(0); // mm Y >= 0 became glTF Z <= 0
    expect(position.min![2]).toBeCloseTo(-max[1] / 1000, 6);
    expect(gltf.accessors[primitive.indices]!.count % 3).toBe(0);
  });

  it('gives the box sharp edges: each corner split into three vertices with axis normals', async () => {
    const gltf = jsonChunk(await encodeGlb(box()));
    const primitive = gltf.meshes[0]!.primitives[0]!;
    expect(gltf.accessors[primitive.attributes.POSITION!]!.count).toBe(24);
    expect(gltf.accessors[primitive.attributes.NORMAL!]!.count).toBe(24);
  });
});
