/**
 * The depth-map reader (formats/depth-input.ts) on files other tools made: PNGs written by sharp,
 * EXRs written by OpenImageIO's oiiotool (half and float, none, zips and zip), and the depth maps
 * our own encoders make of a real photo (round trip within the encoding's quantisation).
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readDepthMap, sniffDepthMapType } from '../../src/formats/depth-input.js';
import { encodeExr } from '../../src/formats/exr.js';
import { halfToFloat } from '../../src/formats/exr-read.js';
import { encodePng16 } from '../../src/formats/png16.js';
import { PipelineInputError } from '../../src/pipeline/errors.js';
import type { DepthMap } from '../../src/pipeline/depth-map.js';
import { photoMap } from '../relief/helpers.js';
import { makeMap, makeTmpDir, tool } from './helpers.js';

const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

/** What the reader promises: depth stretched to 0..1 over the footprint (alpha >= 0.5), the same stretch clamped to 0..1 outside. */
function expectedDepth(map: DepthMap): Float32Array {
  const inside = (i: number) => !map.alpha || map.alpha[i]! >= 0.5;
  let min = Infinity;
  let max = -Infinity;
  map.depth.forEach((v, i) => {
    if (inside(i)) [min, max] = [Math.min(min, v), Math.max(max, v)];
  });
  return map.depth.map((v) => Math.min(1, Math.max(0, (v - min) / (max - min))));
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** A 16-bit ramp 0..65535 along x, so normalising leaves it as it is. */
function ramp16(width: number, height: number): Uint16Array {
  const values = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) values[y * width + x] = Math.round((x / (width - 1)) * 65535);
  return values;
}

describe('PNG depth maps', () => {
  it('reads a 16-bit grey PNG exactly (near = bright)', async () => {
    const values = ramp16(9, 4);
    const png = await sharp(values, { raw: { width: 9, height: 4, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    const map = await readDepthMap(png);
    expect([map.width, map.height, map.alpha]).toEqual([9, 4, undefined]);
    expect(maxDifference(map.depth, Float32Array.from(values, (v) => v / 65535))).toBeLessThan(1e-7);
  });

  it('stretches an 8-bit grey PNG to 0..1', async () => {
    const png = await sharp(Buffer.from([50, 100, 150, 50]), { raw: { width: 2, height: 2, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    expect(Array.from((await readDepthMap(png)).depth, (v) => +v.toFixed(6))).toEqual([0, 0.5, 1, 0]);
  });

  it('takes the first channel of an RGBA PNG and its alpha as the footprint', async () => {
    // Red is the depth; the transparent pixel's 250 must not stretch the range (it is clamped to 1).
    const rgba = Buffer.from([100, 9, 9, 255, 250, 9, 9, 0, 200, 9, 9, 200, 150, 9, 9, 255]);
    const map = await readDepthMap(await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer());
    expect(Array.from(map.depth, (v) => +v.toFixed(6))).toEqual([0, 1, 1, 0.5]);
    expect(Array.from(map.alpha!).map((a) => Math.round(a * 255))).toEqual([255, 0, 200, 255]);
  });

  it('drops an alpha that covers everything (a plate, not a cut-out)', async () => {
    const png = await sharp(new Uint16Array([0, 65535, 65535, 65535]), { raw: { width: 2, height: 1, channels: 2 } }).toColourspace('grey16').png().toBuffer();
    expect((await readDepthMap(png)).alpha).toBeUndefined();
  });

  it('round-trips our own 16-bit PNG of a real photo within 16-bit quantisation', async () => {
    const original = await photoMap('apple', true);
    const map = await readDepthMap(await encodePng16(original));
    expect([map.width, map.height]).toEqual([original.width, original.height]);
    expect(maxDifference(map.alpha!, original.alpha!)).toBeLessThan(1 / 65535);
    // Quantisation of 1/65535 of the stored value, grown by the stretch over the footprint.
    expect(maxDifference(map.depth, expectedDepth(original))).toBeLessThan(4 / 65535);
  });
});

describe('EXR depth maps', () => {
  it('round-trips our own EXR of a real photo (float32: exact up to the stretch)', async () => {
    for (const rmbg of [true, false]) {
      const original = await photoMap('apple', rmbg);
      const map = await readDepthMap(encodeExr(original));
      expect(maxDifference(map.depth, expectedDepth(original))).toBeLessThan(1e-5);
      if (rmbg) expect(maxDifference(map.alpha!, original.alpha!)).toBe(0);
      else expect(map.alpha).toBeUndefined();
    }
  });

  it('reads what oiiotool writes: half and float, none, zips and zip, Y, Z or R, with A', async () => {
    const source = makeMap(37, 23, true); // odd size: the last ZIP block has 7 lines
    const ours = tmp.write('ours.exr', encodeExr(source));
    const expected = expectedDepth(source);
    const cases: [string, string[], number][] = [
      ['float none', ['-d', 'float', '--compression', 'none'], 1e-6],
      ['float zips', ['-d', 'float', '--compression', 'zips'], 1e-6],
      ['half zip', ['-d', 'half', '--compression', 'zip'], 2e-3],
      ['half none', ['-d', 'half', '--compression', 'none'], 2e-3],
      // oiiotool lists alpha last whatever the file's order, so its names go Y's then A's.
      ['Z half zip', ['--chnames', 'Z,A', '-d', 'half', '--compression', 'zip'], 2e-3],
      ['RGB float zip', ['--ch', 'Y,Y,Y,A', '--chnames', 'R,G,B,A', '-d', 'float', '--compression', 'zip'], 1e-6],
    ];
    for (const [name, args, tolerance] of cases) {
      const out = `${tmp.dir}/${name.replace(/ /g, '_')}.exr`;
      tool('oiiotool', [ours, ...args, '-o', out]);
      const map = await readDepthMap(readFileSync(out));
      expect([name, map.width, map.height]).toEqual([name, 37, 23]);
      expect(maxDifference(map.depth, expected), name).toBeLessThan(tolerance);
      expect(maxDifference(map.alpha!, source.alpha!), name).toBeLessThan(tolerance);
    }
  });

  it('takes any range, near = larger, and leaves non-finite values out of it', async () => {
    const out = `${tmp.dir}/metres.exr`;
    // A 4x1 float Y image of 10, 20, 30 and +inf, written by oiiotool from a raw float file.
    tool('oiiotool', ['--pattern', 'constant:color=10', '4x1', '1', '--chnames', 'Y', '-d', 'float', '--compression', 'none', '-o', out]);
    const bytes = readFileSync(out);
    const at = bytes.length - 16; // the one scanline is the file's last 16 bytes
    [10, 20, 30, Infinity].forEach((v, i) => bytes.writeFloatLE(v, at + 4 * i));
    expect(Array.from((await readDepthMap(bytes)).depth)).toEqual([0, 0.5, 1, 0]);
  });

  it('decodes halfs, subnormals and infinities included', () => {
    expect([0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00].map(halfToFloat)).toEqual([1, -2, 2 ** -24, 65504, Infinity]);
  });
});

describe('refusals', () => {
  const refused = async (bytes: Uint8Array, message: RegExp, maxPixels = 50_000_000) => {
    const error = await readDepthMap(bytes, { limits: { maxPixels, timeoutSeconds: 20 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PipelineInputError);
    expect((error as Error).message).toMatch(message);
  };

  it('refuses what is neither PNG nor EXR, and EXRs outside the subset', async () => {
    const source = tmp.write('src.exr', encodeExr(makeMap(20, 20, false)));
    const jpeg = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#888' } }).jpeg().toBuffer();
    await refused(jpeg, /PNG .* or OpenEXR/);
    expect(sniffDepthMapType(jpeg)).toBeUndefined();
    for (const [args, message] of [
      [['--tile', '16', '16'], /tiled/],
      [['--compression', 'piz'], /piz compression/],
      [['--chnames', 'V'], /no Y, Z or R channel/],
    ] as const) {
      const out = `${tmp.dir}/refused-${args[0]}.exr`;
      tool('oiiotool', [source, ...args, '-o', out]);
      await refused(readFileSync(out), message);
    }
    const whole = readFileSync(source);
    await refused(whole.subarray(0, whole.length - 10), /truncated|past the end|zlib|inflates/);
  });

  it('keeps to the pixel limit before decoding, and refuses a footprint with nothing in it', async () => {
    await refused(encodeExr(makeMap(100, 100, false)), /too large/, 5_000);
    const png = await sharp(ramp16(100, 100), { raw: { width: 100, height: 100, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    await refused(png, /too large/, 5_000);
    const clear = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 0 } } }).png().toBuffer();
    await refused(clear, /nothing to print/);
  });
});
