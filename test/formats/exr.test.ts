/**
 * EXR is checked by two independent readers: OpenEXR's `exrheader` for the header, and
 * OpenImageIO's `oiiotool` (which decodes through the OpenEXR library) for the pixels:
 * --printstats per channel, and a bit-exact float dump via the Pixar zfile format that oiiotool
 * writes (gzip of a 136-byte header plus native float32 rows), one channel at a time.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeExr } from '../../src/formats/exr.js';
import type { DepthMap } from '../../src/raster/depth-map.js';
import { CONVENTION, type DepthMetadata } from '../../src/contract/depth-metadata.js';
import { makeMap, makeTmpDir, rng, tool } from './helpers.js';

const tmp = makeTmpDir();
afterAll(() => tmp.cleanup());

const SIZES: [number, number][] = [
  [37, 23], // odd, non-square, last ZIP block 7 lines
  [640, 480], // 30 full blocks
  [1, 1],
  [3, 17], // one full block plus a 1-line block
];

function channelsOf(map: DepthMap): { name: 'A' | 'Y'; data: Float32Array }[] {
  return map.alpha
    ? [
        { name: 'A', data: map.alpha },
        { name: 'Y', data: map.depth },
      ]
    : [{ name: 'Y', data: map.depth }];
}

/** Decodes `file` with oiiotool and returns channel `name` as float32, bit for bit. */
function readChannelViaZfile(file: string, name: string, width: number, height: number): Float32Array {
  const out = `${file}.${name}.zfile`;
  tool('oiiotool', [file, '--ch', name, '-d', 'float', '-o', out]);
  let bytes = readFileSync(out);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  expect(bytes.readUInt32LE(0)).toBe(0x2f0867ab); // zfile magic, native (little-endian) order
  expect([bytes.readUInt16LE(4), bytes.readUInt16LE(6)]).toEqual([width, height]);
  expect(bytes.length).toBe(136 + width * height * 4);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset + 136, bytes.byteOffset + bytes.length));
}

function expectSameBits(actual: Float32Array, expected: Float32Array): void {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  expect(a.length).toBe(e.length);
  let mismatches = 0;
  let first = -1;
  for (let i = 0; i < e.length; i++) {
    if (a[i] !== e[i]) {
      mismatches++;
      if (first < 0) first = i;
    }
  }
  expect(mismatches, `first mismatch at index ${first}: ${actual[first]} vs ${expected[first]}`).toBe(0);
}

/** Our own chunk table: the stored data size of each chunk (to see which blocks went raw). */
function chunkSizes(file: Buffer, height: number): number[] {
  let pos = 8;
  for (;;) {
    const nameEnd = file.indexOf(0, pos);
    if (nameEnd === pos) break;
    const typeEnd = file.indexOf(0, nameEnd + 1);
    pos = typeEnd + 1 + 4 + file.readInt32LE(typeEnd + 1);
  }
  pos += 1;
  const sizes: number[] = [];
  for (let b = 0; b < Math.ceil(height / 16); b++) {
    const chunk = Number(file.readBigUInt64LE(pos + b * 8));
    expect(file.readInt32LE(chunk)).toBe(b * 16); // chunk's first scanline
    sizes.push(file.readInt32LE(chunk + 4));
  }
  return sizes;
}

describe('encodeExr', () => {
  for (const [w, h] of SIZES) {
    for (const withAlpha of [false, true]) {
      const label = `${w}x${h} ${withAlpha ? 'Y+A' : 'Y'}`;

      it(`${label}: exrheader reads a single-part ZIP scanline file with the right header`, () => {
        const map = makeMap(w, h, withAlpha);
        const file = tmp.write(`hdr-${w}x${h}-${withAlpha}.exr`, encodeExr(map));
        const text = tool('exrheader', [file]);
        expect(text).toContain('file format version: 2, flags 0x0');
        const channelLines = text
          .split('\n')
          .filter((l) => /^\s+[A-Z], /.test(l))
          .map((l) => l.trim());
        expect(channelLines).toEqual(channelsOf(map).map((c) => `${c.name}, 32-bit floating-point, sampling 1 1`));
        expect(text).toMatch(/compression \(type compression\): zip, multi-scanline blocks/);
        expect(text).toContain(`dataWindow (type box2i): (0 0) - (${w - 1} ${h - 1})`);
        expect(text).toContain(`displayWindow (type box2i): (0 0) - (${w - 1} ${h - 1})`);
        expect(text).toContain('lineOrder (type lineOrder): increasing y');
        expect(text).toContain('pixelAspectRatio (type float): 1');
        expect(text).toContain('screenWindowCenter (type v2f): (0 0)');
        expect(text).toContain('screenWindowWidth (type float): 1');
      });

      it(`${label}: oiiotool decodes every pixel bit-exactly and its stats match`, () => {
        const map = makeMap(w, h, withAlpha, w * 1000 + h);
        const file = tmp.write(`px-${w}x${h}-${withAlpha}.exr`, encodeExr(map));
        const channels = channelsOf(map);

        // --printstats prints per channel, in the order --ch asks for.
        const stats = tool('oiiotool', [file, '--ch', channels.map((c) => c.name).join(','), '--printstats']);
        expect(stats).toMatch(new RegExp(`${w} x\\s+${h}, ${channels.length} channel, float`)); // after --ch the
        // image is oiiotool's own copy, so no file format is named here
        const row = (label: string): number[] => {
          const m = new RegExp(`Stats ${label}: ([^(\\n]+)`).exec(stats);
          if (!m) throw new Error(`no "Stats ${label}" in:\n${stats}`);
          return (m[1] as string).trim().split(/\s+/).map(Number);
        };
        const [mins, maxs, avgs] = [row('Min'), row('Max'), row('Avg')];
        channels.forEach(({ data }, c) => {
          let min = Infinity;
          let max = -Infinity;
          let sum = 0;
          for (const v of data) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
          }
          expect(Math.abs((mins[c] as number) - min)).toBeLessThanOrEqual(1e-6);
          expect(Math.abs((maxs[c] as number) - max)).toBeLessThanOrEqual(1e-6);
          expect(Math.abs((avgs[c] as number) - sum / data.length)).toBeLessThanOrEqual(1e-6);
        });

        for (const { name, data } of channels) expectSameBits(readChannelViaZfile(file, name, w, h), data);
      });
    }
  }

  it('compresses smooth depth: every ZIP block of a 640x480 map is stored deflated and smaller', () => {
    const map = makeMap(640, 480, true);
    const bytes = encodeExr(map);
    const sizes = chunkSizes(bytes, 480);
    expect(sizes).toHaveLength(30);
    for (const s of sizes) expect(s).toBeLessThan(16 * 640 * 4 * 2);
    expect(bytes.length).toBeLessThan(640 * 480 * 8 * 0.6);
  });

  it('stores an incompressible block raw, next to compressed ones, and both decode exactly', () => {
    // Block 0 is random float bits (finite, normal): deflate cannot shrink it. Blocks 1-2 are smooth.
    const w = 64;
    const h = 40;
    const map = makeMap(w, h, true, 7);
    const bits = new Uint32Array(map.depth.buffer);
    const alphaBits = new Uint32Array((map.alpha as Float32Array).buffer);
    const next = rng(99);
    const randomFloatBits = (): number => {
      const exponent = 1 + Math.floor(next() * 254); // 1..254: no zero/subnormal, no Inf/NaN
      return ((next() < 0.5 ? 0x80000000 : 0) | (exponent << 23) | Math.floor(next() * 0x800000)) >>> 0;
    };
    for (let i = 0; i < 16 * w; i++) {
      bits[i] = randomFloatBits();
      alphaBits[i] = randomFloatBits();
    }
    const bytes = encodeExr(map);
    const file = tmp.write('mixed.exr', bytes);
    const lineBytes = w * 4 * 2;
    const sizes = chunkSizes(bytes, h);
    expect(sizes[0]).toBe(16 * lineBytes); // raw: exactly the uncompressed size
    expect(sizes[1]).toBeLessThan(16 * lineBytes);
    expect(sizes[2]).toBeLessThan(8 * lineBytes); // partial last block, compressed
    expectSameBits(readChannelViaZfile(file, 'Y', w, h), map.depth);
    expectSameBits(readChannelViaZfile(file, 'A', w, h), map.alpha as Float32Array);
  });

  it('stores a partial last block raw when it does not compress', () => {
    const w = 29;
    const h = 19; // blocks of 16 and 3 lines
    const depth = new Float32Array(w * h);
    const bits = new Uint32Array(depth.buffer);
    const next = rng(5);
    for (let i = 0; i < bits.length; i++) bits[i] = ((1 + Math.floor(next() * 254)) << 23) | Math.floor(next() * 0x800000);
    const bytes = encodeExr({ width: w, height: h, depth });
    expect(chunkSizes(bytes, h)).toEqual([16 * w * 4, 3 * w * 4]);
    expectSameBits(readChannelViaZfile(tmp.write('noise.exr', bytes), 'Y', w, h), depth);
  });

  it('rejects maps whose arrays do not match their size', () => {
    expect(() => encodeExr({ width: 4, height: 4, depth: new Float32Array(15) })).toThrow(RangeError);
    expect(() => encodeExr({ width: 4, height: 4, depth: new Float32Array(16), alpha: new Float32Array(4) })).toThrow(RangeError);
    expect(() => encodeExr({ width: 0, height: 4, depth: new Float32Array(0) })).toThrow(RangeError);
  });

  it('reads from a depth array that is a view into a larger buffer', () => {
    const backing = new Float32Array(100).map((_, i) => i / 100);
    const depth = backing.subarray(10, 10 + 6 * 5);
    const file = tmp.write('view.exr', encodeExr({ width: 6, height: 5, depth }));
    expectSameBits(readChannelViaZfile(file, 'Y', 6, 5), depth.slice());
  });

  describe('metadata', () => {
    const metadata: DepthMetadata = {
      model: 'fastdepth',
      pipeline: 'pro+objects',
      convention: CONVENTION,
      rawMin: 0.15,
      rawMax: 0.8125,
      rawUnit: '1/m',
    };

    it('exrheader lists the model, the convention and the raw range as string and float attributes', () => {
      const text = tool('exrheader', [tmp.write('meta.exr', encodeExr(makeMap(37, 23, true), metadata))]);
      expect(text).toContain('depthModel (type string): "fastdepth"');
      expect(text).toContain('depthPipeline (type string): "pro+objects"');
      expect(text).toContain(`depthConvention (type string): "${CONVENTION}"`);
      expect(text).toContain('depthRawUnit (type string): "1/m"');
      expect(text).toContain('depthRawMin (type float): 0.15');
      expect(text).toContain('depthRawMax (type float): 0.8125');
      // The required attributes are still there and the channels unchanged.
      expect(text).toMatch(/A, 32-bit floating-point[\s\S]*Y, 32-bit floating-point/);
      expect(text).toContain('dataWindow (type box2i): (0 0) - (36 22)');
    });

    it('a user recovers the raw inverse depth from Y and the two attributes', () => {
      const w = 40;
      const h = 20;
      const raw = Float32Array.from({ length: w * h }, (_, i) => 0.15 + (0.6625 * ((i * 37) % 101)) / 100);
      const depth = raw.map((v) => (v - metadata.rawMin) / (metadata.rawMax - metadata.rawMin));
      const file = tmp.write('recover.exr', encodeExr({ width: w, height: h, depth }, metadata));
      const text = tool('exrheader', [file]);
      const attribute = (name: string): number => Number(new RegExp(`${name} \\(type float\\): (\\S+)`).exec(text)?.[1]);
      const [lo, hi] = [attribute('depthRawMin'), attribute('depthRawMax')];
      const y = readChannelViaZfile(file, 'Y', w, h);
      let worst = 0;
      for (let i = 0; i < raw.length; i++) worst = Math.max(worst, Math.abs(lo + y[i]! * (hi - lo) - raw[i]!));
      expect(worst).toBeLessThan(1e-5);
    });

    it('pixels are the same bits with or without metadata, and without it no depth attribute is written', () => {
      const map = makeMap(64, 40, false, 3);
      const plain = tmp.write('plain.exr', encodeExr(map));
      expect(tool('exrheader', [plain])).not.toMatch(/depth\w+ \(type/);
      expectSameBits(readChannelViaZfile(tmp.write('with.exr', encodeExr(map, metadata)), 'Y', 64, 40), map.depth);
    });
  });
});
