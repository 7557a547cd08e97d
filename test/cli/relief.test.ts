// `depthmill relief` as a maker uses it: a 16-bit depth PNG from another tool in, a printable STL
// out (checked by ADMesh), with no model and no server; and the refusals, each saying what to do.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { slicerInfo, admesh, admeshFaults } from '../relief/helpers.js';
import { cli, tempDir } from '../helpers/server.js';

/** A 16-bit grey PNG: a dome (near = bright) on a far background, as a depth tool saves it. */
async function domePng(width: number, height: number): Promise<Buffer> {
  const values = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - width / 2, y - height / 2) / (Math.min(width, height) / 2.5);
      values[y * width + x] = Math.round(Math.max(0, 1 - r * r) * 60000) + 2000;
    }
  }
  return sharp(values, { raw: { width, height, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toBuffer();
}

describe('depthmill relief', () => {
  const dir = tempDir('relief-cli');
  const data = tempDir('relief-cli-data');

  it('makes a closed STL of the requested size from a 16-bit PNG, without a server or a model', async () => {
    const input = join(dir, 'dome.depth.png');
    writeFileSync(input, await domePng(240, 160));
    const output = join(dir, 'dome.stl');
    const run = cli(data, ['relief', input, '-o', output, '--width', '60', '--height-relief', '5', '--thickness-base', '2']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = admesh(output);
    expect(report.parts).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`dome\\.stl: \\d+ bytes, ${report.facets} triangles in `));
    expect(admeshFaults(report)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(report.volume).toBeGreaterThan(60 * 40 * 2);
    // The plate is 60 x 40 mm (the PNG's 3:2; Y within one 0.25 mm sample), 2 mm of base and 5 of relief.
    const size = slicerInfo(output).size;
    expect(size[0]).toBeCloseTo(60, 1);
    expect(Math.abs(size[1] - 40)).toBeLessThan(0.25);
    expect(size[2]).toBeCloseTo(7, 1);

    // Exists: refused without --force; -f must agree with the name.
    expect(cli(data, ['relief', input, '-o', output]).stderr).toMatch(/exists: add --force/);
    expect(cli(data, ['relief', input, '-o', join(dir, 'x.glb'), '-f', 'stl']).stderr).toMatch(/make them agree/);
    // The default output: beside the map, NAME.stl; -f 3mf picks the format.
    expect(cli(data, ['relief', input, '-f', '3mf']).status).toBe(0);
    expect(readFileSync(join(dir, 'dome.depth.3mf')).subarray(0, 2).toString()).toBe('PK');
  });

  it('says how many separate parts a map with several blobs in its alpha gives, as ADMesh counts them', async () => {
    // Three domes on a transparent background: three pieces, each its own closed shell.
    const [width, height] = [300, 100];
    const pixels = new Uint16Array(width * height * 2);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const r = Math.hypot((x % 100) - 50, y - 50) / 35;
        pixels[2 * (y * width + x)] = Math.round(Math.max(0, 1 - r * r) * 65535);
        pixels[2 * (y * width + x) + 1] = r < 1 ? 65535 : 0;
      }
    }
    const input = join(dir, 'domes.png');
    writeFileSync(
      input,
      await sharp(pixels, { raw: { width, height, channels: 2 } })
        .toColourspace('grey16')
        .png()
        .toBuffer(),
    );
    const output = join(dir, 'domes.stl');
    const run = cli(data, ['relief', input, '-o', output]);
    expect(run.status).toBe(0);
    expect(admesh(output).parts).toBe(3);
    expect(run.stdout).toMatch(/triangles, 3 separate parts in /);
  });

  it('bends the relief with --relief-bend (a minus sign too): a standing, closed, curved part; too tight inward is refused', async () => {
    const input = join(dir, 'bend.depth.png');
    writeFileSync(input, await domePng(240, 160));
    for (const bend of ['90', '-90']) {
      const output = join(dir, `bend${bend}.stl`);
      const run = cli(data, ['relief', input, '-o', output, '--width', '60', '--relief-bend', bend]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const report = admesh(output);
      expect(report.parts).toBe(1);
      expect(admeshFaults(report)).toEqual([0, 0, 0, 0, 0, 0]);
      // 60 mm of base around a quarter circle (radius 38.2 mm): a chord of about 54 mm, the 40 mm
      // of the picture's height standing up.
      const size = slicerInfo(output).size;
      expect(size[0]).toBeGreaterThan(50);
      expect(size[0]).toBeLessThan(58);
      expect(Math.abs(size[2] - 40)).toBeLessThan(0.25);
    }
    const tight = cli(data, [
      'relief',
      input,
      '-o',
      join(dir, 'tight.stl'),
      '--width',
      '20',
      '--thickness-base',
      '5',
      '--relief-bend',
      '-360',
    ]);
    expect(tight.status).toBe(1);
    expect(tight.stderr).toMatch(/--relief-bend .*inward/);
  });

  it('refuses a photo, a bad field, and a depth-map format (exr) as the output', async () => {
    const jpeg = join(dir, 'photo.jpg');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#777' } })
      .jpeg()
      .toFile(jpeg);
    const photo = cli(data, ['relief', jpeg, '-o', join(dir, 'photo.stl')]);
    expect(photo.status).toBe(1);
    expect(photo.stderr).toMatch(/PNG .*or OpenEXR/);
    expect(existsSync(join(dir, 'photo.stl'))).toBe(false);
    const png = join(dir, 'small.png');
    writeFileSync(png, await domePng(40, 40));
    expect(cli(data, ['relief', png, '--width', '5']).stderr).toMatch(/--width .*20/);
    expect(cli(data, ['relief', png, '-f', 'exr']).status).not.toBe(0);
  });

  it('makes a 600 mm relief of a 7000 x 7000 PNG in under a minute: the map is used at 2048 px, as a photo is', async () => {
    // A dome with a fine ripple, 8-bit; at full size this took 100-190 s and 3.4 GB of memory.
    const side = 7000;
    const pixels = new Uint8Array(side * side);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const r = Math.hypot(x - side / 2, y - side / 2) / (side / 2.5);
        pixels[y * side + x] = Math.round(Math.max(0, 1 - r * r) * 200) + 20 + ((x * 7 + y * 13) % 5);
      }
    }
    const input = join(dir, 'huge.png');
    await sharp(pixels, { raw: { width: side, height: side, channels: 1 } })
      .png()
      .toFile(input);
    const output = join(dir, 'huge.stl');
    const started = performance.now();
    const run = cli(data, ['relief', input, '-o', output, '--width', '600', '--height-relief', '50', '--no-rmbg']);
    const seconds = (performance.now() - started) / 1000;
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(seconds).toBeLessThan(60);
    const size = slicerInfo(output).size;
    expect(size[0]).toBeCloseTo(600, 0);
    expect(size[1]).toBeCloseTo(600, 0);
  }, 300_000);
});
