/**
 * 16-bit PNG, read back by sharp (libvips/libpng) and by oiiotool (its own libpng reader), plus
 * the IHDR bytes themselves. oiiotool premultiplies PNG alpha on read unless told not to, hence
 * `--iconfig oiio:UnassociatedAlpha 1`.
 */
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePng16 } from '../../src/formats/png16.js';
import type { DepthMap } from '../../src/raster/depth-map.js';
import { expectSameValues, makeMap, makeTmpDir, parseDumpdata, tool } from './helpers.js';

const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

function expected(values: Float32Array): Uint16Array {
  return Uint16Array.from(values, (v) => Math.round(Math.min(1, Math.max(0, v)) * 65535));
}

/** Decodes with sharp at 16 bits. Without toColourspace('grey16') sharp hands back sRGB scaled to 0..255. */
async function readWithSharp(png: Buffer): Promise<{ channels: number; planes: Uint16Array[] }> {
  const { data, info } = await sharp(png).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const all = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  const planes = Array.from({ length: info.channels }, (_, c) => all.filter((_, i) => i % info.channels === c));
  return { channels: info.channels, planes };
}

function checkIhdr(png: Buffer, map: DepthMap): void {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  expect(png.readUInt32BE(16)).toBe(map.width);
  expect(png.readUInt32BE(20)).toBe(map.height);
  expect(png[24]).toBe(16); // bit depth
  expect(png[25]).toBe(map.alpha ? 4 : 0); // colour type: grey+alpha / grey
}

describe('encodePng16', () => {
  for (const [w, h] of [
    [37, 23],
    [640, 480],
  ] as const) {
    for (const withAlpha of [false, true]) {
      const label = `${w}x${h} ${withAlpha ? 'grey+alpha' : 'grey'}`;

      it(`${label}: 16-bit, values round(v * 65535), read back by sharp`, async () => {
        const map = makeMap(w, h, withAlpha, 3);
        const png = await encodePng16(map);
        checkIhdr(png, map);
        const meta = await sharp(png).metadata();
        expect(meta).toMatchObject({ format: 'png', width: w, height: h, depth: 'ushort', channels: withAlpha ? 2 : 1 });
        const { channels, planes } = await readWithSharp(png);
        expect(channels).toBe(withAlpha ? 2 : 1);
        expectSameValues(planes[0] as Uint16Array, expected(map.depth), 'sharp Y');
        if (map.alpha) expectSameValues(planes[1] as Uint16Array, expected(map.alpha), 'sharp A');
        // Spot values independent of the formula above: EXACT_VALUES start row 0.
        expect(Array.from((planes[0] as Uint16Array).subarray(0, 4))).toEqual([65535, 0, 32768, 21845]);
      });
    }
  }

  for (const withAlpha of [false, true]) {
    it(`37x23 ${withAlpha ? 'grey+alpha' : 'grey'}: oiiotool reads the same 16-bit values`, async () => {
      const map = makeMap(37, 23, withAlpha, 4);
      const file = tmp.write(`d-${withAlpha}.png`, await encodePng16(map));
      const text = tool('oiiotool', ['--iconfig', 'oiio:UnassociatedAlpha', '1', '--info', '--dumpdata', file]);
      expect(text).toMatch(new RegExp(`37 x\\s+23, ${withAlpha ? 2 : 1} channel, uint16 png`));
      const planes = parseDumpdata(text, 37, 23, withAlpha ? 2 : 1);
      expectSameValues(planes[0] as Float64Array, expected(map.depth), 'oiiotool Y');
      if (map.alpha) expectSameValues(planes[1] as Float64Array, expected(map.alpha), 'oiiotool A');
    });
  }

  it('clamps out-of-range values and NaN', async () => {
    const depth = Float32Array.from([-0.5, 1.5, Number.NaN, 1, 0, 0.5]);
    const { planes } = await readWithSharp(await encodePng16({ width: 3, height: 2, depth }));
    expect(Array.from(planes[0] as Uint16Array)).toEqual([0, 65535, 0, 65535, 0, 32768]);
  });

  it('rejects arrays that do not match the size', async () => {
    await expect(encodePng16({ width: 4, height: 4, depth: new Float32Array(15) })).rejects.toThrow(RangeError);
  });
});
