// Every input variant becomes upright 8-bit RGB (+ alpha when transparent), or a PipelineInputError.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, PipelineInputError } from '../../src/raster/decode.js';
import { photo } from './helpers.js';

const coffee = photo('skimage_coffee.png'); // 600x400 RGB

describe('decodeImage', () => {
  it('decodes an 8-bit RGB photo unchanged', async () => {
    const decoded = await decodeImage(readFileSync(coffee));
    const { data, info } = await sharp(coffee).raw().toBuffer({ resolveWithObject: true });
    expect(decoded).toMatchObject({ width: info.width, height: info.height });
    expect(decoded.alpha).toBeUndefined();
    expect(Buffer.from(decoded.rgb).equals(data)).toBe(true);
  });

  it('applies the EXIF orientation (6: rotate 90 degrees clockwise)', async () => {
    const tagged = await sharp(coffee).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const meta = await sharp(tagged).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([600, 400, 6]);
    const decoded = await decodeImage(tagged);
    expect([decoded.width, decoded.height]).toEqual([400, 600]);
  });

  it('shrinks to a long side while decoding, upright, and never enlarges', async () => {
    const tagged = await sharp(coffee).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const shrunk = await decodeImage(tagged, undefined, 300);
    expect([shrunk.width, shrunk.height]).toEqual([200, 300]);
    expect(shrunk.rgb.length).toBe(200 * 300 * 3);
    // The same picture as decoding everything and shrinking afterwards (libvips' own filters).
    const full = await decodeImage(tagged);
    const reference = await sharp(full.rgb, { raw: { width: full.width, height: full.height, channels: 3 } })
      .resize(200, 300)
      .raw()
      .toBuffer();
    let diff = 0;
    for (let i = 0; i < reference.length; i++) diff += Math.abs(shrunk.rgb[i]! - reference[i]!);
    expect(diff / reference.length).toBeLessThan(3);
    const small = await decodeImage(readFileSync(coffee), undefined, 1024);
    expect([small.width, small.height]).toEqual([600, 400]);
  });

  it('reduces 16-bit PNG to the same 8-bit pixels', async () => {
    const png16 = await sharp(coffee).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const decoded = await decodeImage(png16);
    const reference = await decodeImage(readFileSync(coffee));
    expect(decoded.width).toBe(600);
    let maxDiff = 0;
    for (let i = 0; i < decoded.rgb.length; i++) maxDiff = Math.max(maxDiff, Math.abs(decoded.rgb[i]! - reference.rgb[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1);
  });

  it('expands 8-bit and 16-bit greyscale to three equal channels', async () => {
    for (const colourspace of ['b-w', 'grey16'] as const) {
      const grey = await sharp(coffee).toColourspace(colourspace).png().toBuffer();
      expect((await sharp(grey).metadata()).channels).toBe(1);
      const decoded = await decodeImage(grey);
      expect(decoded.rgb.length).toBe(600 * 400 * 3);
      for (let i = 0; i < decoded.rgb.length; i += 3001 * 3) {
        expect(decoded.rgb[i + 1]).toBe(decoded.rgb[i]);
        expect(decoded.rgb[i + 2]).toBe(decoded.rgb[i]);
      }
    }
  });

  it('keeps alpha and flattens transparent colour onto white', async () => {
    // Left half fully transparent over black colour, right half opaque.
    const rgba = Buffer.alloc(4 * 2 * 4);
    for (let i = 0; i < 8; i++) {
      const x = i % 4;
      rgba.set(x < 2 ? [0, 0, 0, 0] : [10, 20, 30, 255], i * 4);
    }
    const png = await sharp(rgba, { raw: { width: 4, height: 2, channels: 4 } })
      .png()
      .toBuffer();
    const decoded = await decodeImage(png);
    expect(Array.from(decoded.alpha!)).toEqual([0, 0, 255, 255, 0, 0, 255, 255]);
    expect(Array.from(decoded.rgb.subarray(0, 12))).toEqual([255, 255, 255, 255, 255, 255, 10, 20, 30, 10, 20, 30]);
  });

  it('handles greyscale with alpha, and drops an alpha channel that is fully opaque', async () => {
    const greyAlpha = await sharp(coffee).toColourspace('b-w').ensureAlpha(0.5).png().toBuffer();
    expect((await sharp(greyAlpha).metadata()).channels).toBe(2);
    const decoded = await decodeImage(greyAlpha);
    expect(Math.abs(decoded.alpha![0]! - 128)).toBeLessThanOrEqual(1);
    const opaque = await decodeImage(await sharp(coffee).ensureAlpha(1).png().toBuffer());
    expect(opaque.alpha).toBeUndefined();
  });

  it('throws PipelineInputError, with a plain message, for bytes that are not an image', async () => {
    const jpeg = readFileSync(photo('opencv_apple.jpg'));
    const cases: Array<[string, Uint8Array]> = [
      ['garbage', Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)],
      ['text', Buffer.from('hello, this is not a picture')],
      ['empty', Buffer.alloc(0)],
      ['truncated jpeg', jpeg.subarray(0, Math.floor(jpeg.length / 2))],
    ];
    for (const [label, bytes] of cases) {
      const error = await decodeImage(bytes).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, label).toBeInstanceOf(PipelineInputError);
      const message = (error as Error).message;
      expect(message, label).toMatch(/^the image could not be decoded/);
      expect(message, label).not.toMatch(/\n|\s+at\s+\S+\s+\(|node_modules|\.cjs/);
    }
  });
});
