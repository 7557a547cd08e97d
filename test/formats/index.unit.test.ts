import { describe, expect, it } from 'vitest';
import { encodeBmp } from '../../src/formats/bmp.js';
import { encodeExr } from '../../src/formats/exr.js';
import { encodeDepthMap, type DepthFormat } from '../../src/formats/index.js';
import { encodePng16 } from '../../src/formats/png16.js';
import { makeMap } from './helpers.js';

describe('encodeDepthMap', () => {
  const map = makeMap(37, 23, true);

  it.each([
    ['exr', 'exr', 'image/x-exr', [0x76, 0x2f, 0x31, 0x01]],
    ['png', 'png', 'image/png', [0x89, 0x50, 0x4e, 0x47]],
    ['bmp', 'bmp', 'image/bmp', [0x42, 0x4d]],
  ] as const)('%s: extension, content type and magic bytes', async (format, extension, contentType, magic) => {
    const out = await encodeDepthMap(format, map);
    expect(out.extension).toBe(extension);
    expect(out.contentType).toBe(contentType);
    expect(Array.from(out.bytes.subarray(0, magic.length))).toEqual(magic);
  });

  it('returns exactly what the format encoders return', async () => {
    expect((await encodeDepthMap('exr', map)).bytes).toEqual(encodeExr(map));
    expect((await encodeDepthMap('bmp', map)).bytes).toEqual(encodeBmp(map));
    expect((await encodeDepthMap('png', map)).bytes).toEqual(await encodePng16(map));
  });

  it('rejects an unknown format', async () => {
    await expect(encodeDepthMap('tiff' as DepthFormat, map)).rejects.toThrow(/unknown depth format/);
  });
});
