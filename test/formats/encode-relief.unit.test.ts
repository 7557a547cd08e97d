import { describe, expect, it } from 'vitest';
import { encodeRelief, isMeshFormat, type MeshFormat } from '../../src/formats/index.js';
import { encodeStl } from '../../src/formats/stl.js';
import { encode3mf } from '../../src/formats/threemf.js';
import { box } from './mesh-fixtures.js';

describe('encodeRelief', () => {
  it.each([
    ['stl', 'stl', 'model/stl', [0x44, 0x65, 0x70, 0x74]], // the header: "Dept(hmill ...)"
    ['glb', 'glb', 'model/gltf-binary', [0x67, 0x6c, 0x54, 0x46]], // "glTF"
    ['3mf', '3mf', 'model/3mf', [0x50, 0x4b, 0x03, 0x04]], // a zip's first local header
  ] as const)('%s: extension, content type and magic bytes', async (format, extension, contentType, magic) => {
    const out = await encodeRelief(format, box());
    expect(out.extension).toBe(extension);
    expect(out.contentType).toBe(contentType);
    expect(Array.from(out.bytes.subarray(0, magic.length))).toEqual(magic);
  });

  it('returns exactly what the format encoders return', async () => {
    expect((await encodeRelief('stl', box())).bytes).toEqual(encodeStl(box()));
    expect((await encodeRelief('3mf', box())).bytes).toEqual(encode3mf(box()));
  });

  it('tells mesh formats from depth formats, and rejects an unknown one', async () => {
    expect(['stl', 'glb', '3mf', 'exr', 'png', 'bmp'].map(isMeshFormat)).toEqual([true, true, true, false, false, false]);
    await expect(encodeRelief('obj' as MeshFormat, box())).rejects.toThrow(/unknown mesh format/);
  });
});
