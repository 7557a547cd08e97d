/**
 * Format 7, the normal map, read back by sharp (libvips/libpng): 16 bits, RGB (RGBA with the cut's
 * alpha), the depth map's size; and its normals, decoded from the file as a user's renderer would
 * (n = v / 65535 * 2 - 1, OpenGL: +X right, +Y up, +Z towards the viewer): unit length, facing the
 * viewer, and tilted against the depth's slope. The depth (near 1) is a height field whose full
 * range rises half the map's width (NORMAL_HEIGHT_SHARE), so for h(x, y) with y up the normal is
 * (-dh/dx, -dh/dy, 1) normalised.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeDepthMap } from '../../src/formats/index.js';
import { NORMAL_HEIGHT_SHARE } from '../../src/formats/normal-map.js';
import type { DepthMap } from '../../src/raster/depth-map.js';

interface Decoded {
  width: number;
  height: number;
  channels: number;
  /** The normal of pixel i (row-major, rows going down the image). */
  normal: (i: number) => [number, number, number];
  alpha: (i: number) => number;
}

async function decode(png: Buffer): Promise<Decoded> {
  const meta = await sharp(png).metadata();
  expect(meta).toMatchObject({ format: 'png', depth: 'ushort' });
  const { data, info } = await sharp(png).toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const samples = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  const c = info.channels;
  const unit = (v: number) => (v / 65535) * 2 - 1;
  return {
    width: info.width,
    height: info.height,
    channels: meta.channels!,
    normal: (i) => [unit(samples[i * c]!), unit(samples[i * c + 1]!), unit(samples[i * c + 2]!)],
    alpha: (i) => (c === 4 ? samples[i * c + 3]! / 65535 : 1),
  };
}

function mapOf(
  width: number,
  height: number,
  depthAt: (x: number, y: number) => number,
  alphaAt?: (x: number, y: number) => number,
): DepthMap {
  const depth = new Float32Array(width * height);
  const alpha = alphaAt ? new Float32Array(width * height) : undefined;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      depth[y * width + x] = depthAt(x, y);
      if (alpha) alpha[y * width + x] = alphaAt!(x, y);
    }
  }
  return alpha ? { width, height, depth, alpha } : { width, height, depth };
}

async function normalMap(map: DepthMap): Promise<{ bytes: Buffer; contentType: string; extension: string; read: Decoded }> {
  const output = await encodeDepthMap('normal', map);
  return { ...output, read: await decode(output.bytes) };
}

const length = ([x, y, z]: number[]) => Math.hypot(x!, y!, z!);

describe('normal map (format 7)', () => {
  it("is a 16-bit RGB PNG at the depth map's size, RGBA with the cut's alpha", async () => {
    const plain = await normalMap(mapOf(37, 23, (x) => x / 36));
    expect(plain.read).toMatchObject({ width: 37, height: 23, channels: 3 });
    expect([plain.contentType, plain.extension]).toEqual(['image/png', 'png']);
    expect(plain.bytes[25]).toBe(2); // IHDR colour type: RGB
    expect(plain.bytes[24]).toBe(16); // bit depth

    const inDisc = (x: number, y: number) => (Math.hypot(x - 20, y - 15) < 10 ? 1 : 0);
    const cut = await normalMap(mapOf(40, 30, (x, y) => 0.5 * inDisc(x, y), inDisc));
    expect(cut.read).toMatchObject({ width: 40, height: 30, channels: 4 });
    expect(cut.bytes[25]).toBe(6); // RGBA
    expect([cut.read.alpha(15 * 40 + 20), cut.read.alpha(0)]).toEqual([1, 0]);
  });

  it('tilts towards -X on a ramp rising to the right, by the documented strength', async () => {
    const width = 64;
    const { read } = await normalMap(mapOf(width, 32, (x) => x / (width - 1)));
    // h = d * NORMAL_HEIGHT_SHARE * width: the slope is that over width - 1 pixels.
    const slope = (NORMAL_HEIGHT_SHARE * width) / (width - 1);
    const expected = [-slope, 0, 1].map((v) => v / Math.hypot(slope, 1));
    for (const i of [0, 16 * width + 10, 31 * width + 63]) {
      const n = read.normal(i);
      for (let c = 0; c < 3; c++) expect(n[c]).toBeCloseTo(expected[c]!, 4);
    }
  });

  it('tilts towards +Y (up) where the depth rises down the image, towards -Y where it rises up', async () => {
    const rising = await normalMap(mapOf(16, 40, (_, y) => y / 39));
    const falling = await normalMap(mapOf(16, 40, (_, y) => 1 - y / 39));
    const [x0, yDown, z0] = rising.read.normal(20 * 16 + 8);
    const [x1, yUp, z1] = falling.read.normal(20 * 16 + 8);
    expect([Math.abs(x0) < 1e-4, yDown > 0.2, z0 > 0]).toEqual([true, true, true]);
    expect([Math.abs(x1) < 1e-4, yUp < -0.2, z1 > 0]).toEqual([true, true, true]);
    expect(yDown).toBeCloseTo(-yUp, 4);
  });

  it('has the same normals at any resolution of the same depth', async () => {
    const small = await normalMap(mapOf(64, 64, (x, y) => (x + y) / 126));
    const large = await normalMap(mapOf(128, 128, (x, y) => (x + y) / 254));
    const a = small.read.normal(32 * 64 + 32);
    const b = large.read.normal(64 * 128 + 64);
    for (let c = 0; c < 3; c++) expect(a[c]).toBeCloseTo(b[c]!, 2);
  });

  it("gives a dome filling the width a hemisphere's normals: unit length, facing the viewer, away from its centre", async () => {
    // d = sqrt(1 - r^2 / R^2) with R half the width: h = d * width / 2 is then a hemisphere of
    // radius R, whose normal at (x, y up) is (x, y, h) / R.
    const size = 129;
    const R = size / 2;
    const c = (size - 1) / 2;
    const inside = (x: number, y: number) => (Math.hypot(x - c, y - c) < R ? 1 : 0);
    const dome = mapOf(size, size, (x, y) => Math.sqrt(Math.max(0, 1 - ((x - c) ** 2 + (y - c) ** 2) / R ** 2)), inside);
    const { read } = await normalMap(dome);
    let worst = 1;
    const wrong: string[] = [];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = y * size + x;
        const n = read.normal(i);
        if (Math.abs(length(n) - 1) > 1e-3 || !(n[2] > 0))
          wrong.push(`(${x}, ${y}): ${n.join(', ')} is not a unit normal facing the viewer`);
        if (!inside(x, y)) {
          if (Math.abs(n[0]) > 1e-4 || Math.abs(n[1]) > 1e-4 || read.alpha(i) !== 0)
            wrong.push(`(${x}, ${y}) outside: ${n.join(', ')}, alpha ${read.alpha(i)}`);
          continue;
        }
        const [dx, dyUp] = [x - c, c - y];
        if (Math.hypot(dx, dyUp) > 0.8 * R) continue; // the rim's slope runs to infinity: central differences lag there
        const h = Math.sqrt(R * R - dx * dx - dyUp * dyUp);
        worst = Math.min(worst, (n[0] * dx + n[1] * dyUp + n[2] * h) / R);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    // cos of the angle to the true normal: within 2.6 degrees everywhere inside 0.8 R.
    expect(worst).toBeGreaterThan(0.999);
  });

  it("reads no wall at the cut's edge: a flat plateau stays flat up to its border", async () => {
    const inSquare = (x: number, y: number) => (x >= 8 && x < 24 && y >= 8 && y < 24 ? 1 : 0);
    const { read } = await normalMap(mapOf(32, 32, (x, y) => 0.7 * inSquare(x, y), inSquare));
    for (let i = 0; i < 32 * 32; i++) {
      const n = read.normal(i);
      expect([i, ...n.map((v) => Math.round(v * 1e4) / 1e4)]).toEqual([i, 0, 0, 1]);
    }
  });
});
