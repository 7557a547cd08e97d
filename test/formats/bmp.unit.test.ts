/**
 * 8-bit grey BMP: header fields checked byte by byte, pixels read back by oiiotool's own BMP reader.
 * sharp is not used: its prebuilt libvips has no BMP loader (sharp.format has no `bmp` entry).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBmp } from '../../src/formats/bmp.js';
import { expectSameValues, makeMap, makeTmpDir, parseDumpdata, tool } from './helpers.js';

const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

function expected(values: Float32Array): number[] {
  return Array.from(values, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}

describe('encodeBmp', () => {
  for (const [w, h] of [
    [37, 23], // stride 40: 3 padding bytes per row
    [64, 3], // no padding
    [1, 1],
    [2, 5],
  ] as const) {
    it(`${w}x${h}: 8-bit paletted grey, bottom-up, padded rows; oiiotool reads round(v * 255)`, () => {
      const map = makeMap(w, h, false, 11);
      const bmp = encodeBmp(map);
      const stride = Math.ceil(w / 4) * 4;

      // BITMAPFILEHEADER + BITMAPINFOHEADER
      expect(bmp.toString('latin1', 0, 2)).toBe('BM');
      expect(bmp.readUInt32LE(2)).toBe(bmp.length);
      expect(bmp.readUInt32LE(10)).toBe(14 + 40 + 1024);
      expect(bmp.readUInt32LE(14)).toBe(40);
      expect([bmp.readInt32LE(18), bmp.readInt32LE(22)]).toEqual([w, h]); // positive height: bottom-up
      expect(bmp.readUInt16LE(26)).toBe(1);
      expect(bmp.readUInt16LE(28)).toBe(8);
      expect(bmp.readUInt32LE(30)).toBe(0); // BI_RGB
      expect(bmp.readUInt32LE(34)).toBe(stride * h);
      expect(bmp.readUInt32LE(46)).toBe(256);
      expect(bmp.length).toBe(1078 + stride * h);
      for (let i = 0; i < 256; i++) {
        expect(Array.from(bmp.subarray(54 + i * 4, 58 + i * 4))).toEqual([i, i, i, 0]);
      }
      // The bottom stored row is image row h-1; padding bytes are zero.
      for (let y = 0; y < h; y++) {
        const row = bmp.subarray(1078 + (h - 1 - y) * stride, 1078 + (h - y) * stride);
        expect(Array.from(row.subarray(0, w))).toEqual(expected(map.depth.subarray(y * w, (y + 1) * w)));
        expect(Array.from(row.subarray(w))).toEqual(new Array(stride - w).fill(0));
      }

      const file = tmp.write(`d-${w}x${h}.bmp`, bmp);
      const text = tool('oiiotool', ['-v', '--info', '--dumpdata', file]);
      expect(text).toMatch(new RegExp(`${w} x\\s+${h}, 1 channel, uint8 bmp`));
      expect(text).toContain('bmp:bitsperpixel: 8');
      const [grey] = parseDumpdata(text, w, h, 1);
      expectSameValues(grey as Float64Array, expected(map.depth), 'oiiotool grey');
      if (w * h >= 4) expect(Array.from((grey as Float64Array).subarray(0, 4))).toEqual([255, 0, 128, 85]);
    });
  }

  it('a 640x480 map with alpha reads back exactly (alpha is not stored)', () => {
    const map = makeMap(640, 480, true, 12);
    const file = tmp.write('big.bmp', encodeBmp(map));
    expect(readFileSync(file).length).toBe(1078 + 640 * 480);
    const text = tool('oiiotool', ['--info', '--dumpdata', file]);
    expect(text).toMatch(/640 x\s+480, 1 channel, uint8 bmp/);
    const [grey] = parseDumpdata(text, 640, 480, 1);
    expectSameValues(grey as Float64Array, expected(map.depth), 'oiiotool grey');
  });

  it('clamps out-of-range values and NaN', () => {
    const bmp = encodeBmp({ width: 4, height: 1, depth: Float32Array.from([-1, 2, Number.NaN, 0.5]) });
    expect(Array.from(bmp.subarray(1078, 1082))).toEqual([0, 255, 0, 128]);
  });

  it('rejects arrays that do not match the size', () => {
    expect(() => encodeBmp({ width: 4, height: 4, depth: new Float32Array(15) })).toThrow(RangeError);
  });
});
