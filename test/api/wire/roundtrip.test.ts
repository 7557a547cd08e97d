// A full round trip on real photos, as a user does it: token, create with a file, poll, download;
// every output read back by an independent reader.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce } from '../../helpers/api.js';
import { exrHeader, fractionIn, readExrChannelWithOiio, readPng16, runTool } from '../../helpers/readers.js';
import { signIn, startServer, tempDir, type TestServer } from '../../helpers/server.js';
import { readPhoto } from '../../helpers/fixtures.js';

const APPLE = readPhoto('opencv_apple.jpg');
// 1500 × 1000: a landscape photo, so the aspect ratio matters.
const LANDSCAPE = readPhoto('metric3d_randy-fath-G1yhU1Ej-9A-unsplash.jpg');

let server: TestServer;
let accessToken: string;

async function depthOf(image: Buffer, fields: Record<string, string>): Promise<Buffer> {
  return (await produce(server.url, accessToken, image, fields)).bytes;
}

beforeAll(async () => {
  server = await startServer();
  ({ accessToken } = await signIn(server));
});

afterAll(async () => {
  await server?.stop();
});

describe('round trip on a real photo', () => {
  it('gives an EXR that OpenEXR and OpenImageIO read, agreeing with the 16-bit PNG of the same task', async () => {
    const fields = { model_type: 'pro', rmbg: '0' };
    const exr = await depthOf(LANDSCAPE, { ...fields, format: '1' });
    const png = await depthOf(LANDSCAPE, { ...fields, format: '2' });

    const header = exrHeader(exr);
    expect(header).toMatch(/compression \(type compression\): zip/);
    expect(header).toMatch(/Y, 32-bit floating-point/);
    expect(header).not.toMatch(/\bA, 32-bit/);
    expect(header).toMatch(/dataWindow \(type box2i\): \(0 0\) - \(2047 1364\)/); // 1500×1000 → 2048×1365

    const y = await readExrChannelWithOiio(exr, 'Y');
    expect([y.width, y.height]).toEqual([2048, 1365]);
    let min = Infinity;
    let max = -Infinity;
    for (const value of y.data) {
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    expect(min).toBe(0);
    expect(max).toBe(1);

    const { channels, planes } = await readPng16(png);
    expect(channels).toBe(1);
    expect([planes[0]!.width, planes[0]!.height]).toEqual([2048, 1365]);
    let worst = 0;
    for (let i = 0; i < y.data.length; i++) worst = Math.max(worst, Math.abs(y.data[i]! - planes[0]!.data[i]!));
    // Same task parameters, two encoders, two independent readers: equal up to 16-bit rounding.
    expect(worst).toBeLessThanOrEqual(0.5 / 65535 + 1e-6);

    // Near is bright: in this street scene the bottom of the frame (the road at the camera's
    // feet) is nearer than the top (sky and far buildings).
    const bottom = fractionIn(y, { x0: 0.2, y0: 0.85, x1: 0.8, y1: 1 }, (v) => v > 0.5);
    const top = fractionIn(y, { x0: 0.2, y0: 0, x1: 0.8, y1: 0.15 }, (v) => v > 0.5);
    expect(bottom).toBeGreaterThan(top);
  });

  it('removes a plain background: alpha 0 and depth 0 there, alpha 1 on the object (EXR Y+A, PNG grey+alpha)', async () => {
    const exr = await depthOf(APPLE, { model_type: 'base', format: '1' }); // rmbg defaults to 1
    expect(exrHeader(exr)).toMatch(/A, 32-bit floating-point[\s\S]*Y, 32-bit floating-point/);
    const alpha = await readExrChannelWithOiio(exr, 'A');
    const depth = await readExrChannelWithOiio(exr, 'Y');
    expect([alpha.width, alpha.height]).toEqual([1024, 1024]);

    // The apple fills the middle; the top corners are wall.
    expect(fractionIn(alpha, { x0: 0.35, y0: 0.35, x1: 0.65, y1: 0.65 }, (a) => a === 1)).toBeGreaterThan(0.99);
    for (const corner of [
      { x0: 0, y0: 0, x1: 0.1, y1: 0.1 },
      { x0: 0.9, y0: 0, x1: 1, y1: 0.1 },
    ]) {
      expect(fractionIn(alpha, corner, (a) => a === 0)).toBeGreaterThan(0.95);
    }
    for (let i = 0; i < alpha.data.length; i++) {
      if (alpha.data[i] === 0 && depth.data[i] !== 0) throw new Error(`background pixel ${i} has depth ${depth.data[i]}`);
    }

    const png = await readPng16(await depthOf(APPLE, { model_type: 'base', format: '2' }));
    expect(png.channels).toBe(2);
    expect(fractionIn(png.planes[1]!, { x0: 0, y0: 0, x1: 0.1, y1: 0.1 }, (a) => a === 0)).toBeGreaterThan(0.95);
  });

  it('gives an 8-bit grey BMP of 1024 px for base that OpenImageIO reads', async () => {
    const bmp = await depthOf(LANDSCAPE, { model_type: 'base', rmbg: '0', format: '6' });
    const path = join(tempDir('bmp'), 'depth.bmp');
    writeFileSync(path, bmp); // sharp's libvips cannot load BMP: OpenImageIO reads it
    const info = runTool('oiiotool', ['--info', '-v', path]);
    expect(info).toMatch(/1024 x +683, 1 channel, uint8 bmp/);
    const stats = runTool('oiiotool', [path, '--printstats']);
    expect(stats).toMatch(/Stats Min: 0 \(of 255\)/);
    expect(stats).toMatch(/Stats Max: 255 \(of 255\)/);
  });
});
