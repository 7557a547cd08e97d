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
import { halfToFloat, readExrHeader } from '../../src/formats/exr-read.js';
import { encodePng16 } from '../../src/formats/png16.js';
import { PipelineInputError } from '../../src/raster/errors.js';
import type { DepthMap } from '../../src/raster/depth-map.js';
import { photoMap } from '../relief/helpers.js';
import { channelNames, craftExr, craftHeader } from './exr-craft.js';
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
    const png = await sharp(values, { raw: { width: 9, height: 4, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    const map = await readDepthMap(png);
    expect([map.width, map.height, map.alpha]).toEqual([9, 4, undefined]);
    expect(
      maxDifference(
        map.depth,
        Float32Array.from(values, (v) => v / 65535),
      ),
    ).toBeLessThan(1e-7);
  });

  it('stretches an 8-bit grey PNG to 0..1', async () => {
    const png = await sharp(Buffer.from([50, 100, 150, 50]), { raw: { width: 2, height: 2, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect(Array.from((await readDepthMap(png)).depth, (v) => +v.toFixed(6))).toEqual([0, 0.5, 1, 0]);
  });

  it('takes the first channel of an RGBA PNG and its alpha as the footprint', async () => {
    // Red is the depth; the transparent pixel's 250 must not stretch the range (it is clamped to 1).
    const rgba = Buffer.from([100, 9, 9, 255, 250, 9, 9, 0, 200, 9, 9, 200, 150, 9, 9, 255]);
    const map = await readDepthMap(
      await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } })
        .png()
        .toBuffer(),
    );
    expect(Array.from(map.depth, (v) => +v.toFixed(6))).toEqual([0, 1, 1, 0.5]);
    expect(Array.from(map.alpha!).map((a) => Math.round(a * 255))).toEqual([255, 0, 200, 255]);
  });

  it('drops an alpha that covers everything (a plate, not a cut-out)', async () => {
    const png = await sharp(new Uint16Array([0, 65535, 65535, 65535]), { raw: { width: 2, height: 1, channels: 2 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
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
    const jpeg = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
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
    const png = await sharp(ramp16(100, 100), { raw: { width: 100, height: 100, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    await refused(png, /too large/, 5_000);
    const clear = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 0 } } })
      .png()
      .toBuffer();
    await refused(clear, /nothing to print/);
  });
});

describe('untrusted EXRs: every size in the file bounded before it costs anything', () => {
  const limits = { maxPixels: 50_000_000, timeoutSeconds: 20 };
  const outcome = async (bytes: Uint8Array, options: Parameters<typeof readDepthMap>[1] = { limits }) => {
    const started = performance.now();
    const result = await readDepthMap(bytes, options).then(
      (map) => ({ map, error: undefined }),
      (error: unknown) => ({ map: undefined, error: error as Error }),
    );
    return { ...result, seconds: (performance.now() - started) / 1000 };
  };

  it('answers the 18 KB bomb (5000 x 10000, 40 half channels, every offset at one zip chunk) within seconds, refused', async () => {
    const bomb = craftExr({ width: 5000, height: 10000, channels: [...channelNames(39), 'Y'], compression: 'zip', sharedChunk: true });
    expect(bomb.length).toBeLessThan(20_000);
    // Unbounded, this read inflated the one chunk 625 times (4 GB): minutes per task on a worker.
    const { error, seconds } = await outcome(bomb);
    expect(error).toBeInstanceOf(PipelineInputError);
    expect(error!.message).toMatch(/too large: its 40 channels decode to 4000 MB.*save the depth channel alone/);
    expect(seconds).toBeLessThan(5);
  });

  it('refuses an offset table whose entries share one chunk, before inflating any', async () => {
    // One channel: under every size bound, so only the table gives it away.
    const shared = craftExr({ width: 2000, height: 2000, channels: ['Y'], compression: 'zip', sharedChunk: true });
    expect((await outcome(shared)).error?.message).toMatch(/chunk 1 does not hold the rows its entry of the offset table is for/);
    // The same file with its own chunks reads.
    const honest = craftExr({ width: 2000, height: 2000, channels: ['Y'], compression: 'zip', sample: (_, x) => (x % 2 ? 0x3c00 : 0) });
    expect((await outcome(honest)).map?.width).toBe(2000);
  });

  it('refuses chunks that overlap', async () => {
    // Two lines, one per chunk, uncompressed: chunk 1's entry moved into chunk 0's data, which
    // holds a plausible chunk header (y = 1, 8 bytes).
    const file = craftExr({ width: 4, height: 2, channels: ['Y'], compression: 'none', sample: () => 0x3c00 });
    const table = file.length - 2 * (8 + 8) - 16;
    const first = Number(file.readBigUInt64LE(table));
    file.writeInt32LE(1, first + 8);
    file.writeInt32LE(8, first + 12);
    file.writeBigUInt64LE(BigInt(first + 8), table + 8);
    expect((await outcome(file)).error?.message).toMatch(/two chunks overlap/);
  });

  it('refuses more than 64 channels, and a header over 1 MiB (a million channels) unread', () => {
    expect(() =>
      readExrHeader(craftHeader({ width: 8, height: 8, channels: ['Y', ...channelNames(64)], compression: 'zip' }), 1e6),
    ).toThrow(/more than 64 channels/);
    expect(() =>
      readExrHeader(craftHeader({ width: 8, height: 8, channels: ['Y', ...channelNames(63)], compression: 'zip' }), 1e6),
    ).toThrow(/offset table is truncated/);
    const huge = craftHeader({ width: 1, height: 1, channels: channelNames(1_100_000), compression: 'none' });
    expect(huge.length).toBeGreaterThan(20e6);
    expect(() => readExrHeader(huge, 1e6)).toThrow(/the header is larger than 1024 KiB/);
  });

  it("keeps to the photos' decode deadline (DEPTHMILL_DECODE_TIMEOUT_S)", async () => {
    const exr = encodeExr(makeMap(2000, 2000, true));
    expect((await outcome(exr)).map?.width).toBe(2000);
    const late = await outcome(exr, { limits: { ...limits, timeoutSeconds: 0.001 } });
    expect(late.error).toBeInstanceOf(PipelineInputError);
    expect(late.error!.message).toBe('the depth map took too long to decode');
  });
});

describe("large depth maps: used at most at pro's 2048 px, as a photo is", () => {
  it('area-averages a 4096 x 2048 PNG to 2048 x 1024: one-pixel stripes average out, not alias', async () => {
    const [width, height] = [4096, 2048];
    const pixels = new Uint8Array(width * height);
    // Left half: columns alternately 0 and 255 (every second one kept would be all 0 or all 1);
    // right half: 0 at the top to 255 at the bottom.
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) pixels[y * width + x] = x < width / 2 ? (x % 2) * 255 : Math.round((y / (height - 1)) * 255);
    const map = await readDepthMap(
      await sharp(pixels, { raw: { width, height, channels: 1 } })
        .png()
        .toBuffer(),
    );
    expect([map.width, map.height]).toEqual([2048, 1024]);
    const row = (y: number) => map.depth.subarray(y * 2048, (y + 1) * 2048);
    for (const y of [0, 500, 1023])
      expect(
        Math.max(
          ...row(y)
            .subarray(0, 1024)
            .map((v) => Math.abs(v - 0.5)),
        ),
      ).toBeLessThan(1e-6);
    // The ramp keeps its ends (within a grey level) and its middle.
    expect([row(0)[1500]!, row(512)[1500]!, row(1023)[1500]!].map((v) => Math.round(v * 255))).toEqual([0, 128, 255]);
  });

  it('averages depth weighted by alpha (the background does not pull the outline), alpha into coverage', async () => {
    // Columns alternately opaque at depth 0.25 + x / width and transparent at depth 0.
    const [width, height] = [4096, 64];
    const depth = new Float32Array(width * height);
    const alpha = new Float32Array(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) [depth[y * width + x], alpha[y * width + x]] = x % 2 ? [0, 0] : [0.25 + x / width, 1];
    const map = await readDepthMap(encodeExr({ width, height, depth, alpha }));
    expect([map.width, map.height]).toEqual([2048, 32]);
    // Each output pixel: one opaque column and one transparent: coverage one half, and the opaque
    // column's depth (stretched over the footprint 0.25 .. 0.25 + 4094/4096), not half of it.
    expect(Math.max(...map.alpha!.map((a) => Math.abs(a - 0.5)))).toBeLessThan(1e-6);
    expect(map.depth[0]).toBeCloseTo(0, 5);
    expect(map.depth[2047]).toBeCloseTo(1, 5);
    expect(map.depth[1024]).toBeCloseTo(2048 / 4094, 5);
  });
});
