// Independent readers of our outputs: OpenEXR's exrheader, OpenImageIO's oiiotool and sharp.
// A missing tool fails the test with the Debian package to install (CI installs them).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { tempDir } from './server.js';

export function runTool(bin: string, args: string[]): string {
  try {
    return execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${bin} is not installed (see .ci/run for the Debian package)`, { cause: error });
    }
    throw error;
  }
}

export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * One EXR channel as OpenImageIO reads it: oiiotool converts it to a float TIFF, which sharp
 * (libvips) reads back; our own EXR code is not involved anywhere.
 */
export async function readExrChannelWithOiio(exr: Buffer, channel: string): Promise<Plane> {
  const dir = tempDir('exr');
  const input = join(dir, 'in.exr');
  const output = join(dir, `${channel}.tif`);
  writeFileSync(input, exr);
  runTool('oiiotool', [input, '--ch', channel, '-d', 'float', '-o', output]);
  const { data, info } = await sharp(output).toColourspace('b-w').raw({ depth: 'float' }).toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Float32Array(data.buffer, data.byteOffset, data.length / 4) };
}

/** exrheader's description of the file, as text. */
export function exrHeader(exr: Buffer): string {
  const path = join(tempDir('exrheader'), 'in.exr');
  writeFileSync(path, exr);
  return runTool('exrheader', [path]);
}

/** A 16-bit PNG as sharp reads it: one plane per channel, scaled back to 0..1. */
export async function readPng16(png: Buffer): Promise<{ channels: number; planes: Plane[] }> {
  const meta = await sharp(png).metadata();
  if (meta.format !== 'png' || meta.depth !== 'ushort') throw new Error(`not a 16-bit PNG: ${meta.format} ${meta.depth}`);
  // grey16 keeps grey (and grey+alpha) as it is stored, instead of expanding it to RGB.
  const { data, info } = await sharp(png).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== meta.channels) throw new Error(`sharp gave ${info.channels} channels for ${meta.channels} stored`);
  const values = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  const planes = Array.from({ length: info.channels }, (_, c) => {
    const plane = new Float32Array(info.width * info.height);
    for (let i = 0; i < plane.length; i++) plane[i] = values[i * info.channels + c]! / 65535;
    return { width: info.width, height: info.height, data: plane };
  });
  return { channels: info.channels, planes };
}

/** Fraction of the pixels in a rectangle (fractions of the image) that satisfy a test. */
export function fractionIn(
  plane: Plane,
  rect: { x0: number; y0: number; x1: number; y1: number },
  test: (value: number) => boolean,
): number {
  let hits = 0;
  let count = 0;
  for (let y = Math.floor(rect.y0 * plane.height); y < Math.floor(rect.y1 * plane.height); y++) {
    for (let x = Math.floor(rect.x0 * plane.width); x < Math.floor(rect.x1 * plane.width); x++) {
      count++;
      if (test(plane.data[y * plane.width + x]!)) hits++;
    }
  }
  return hits / count;
}
