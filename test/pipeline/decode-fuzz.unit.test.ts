// Image bytes, fuzzed (fast-check): truncated, corrupted, lying headers, huge declared dimensions.
// decodeImage either decodes or throws a PipelineInputError with a plain message; nothing else.
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, PipelineInputError } from '../../src/raster/decode.js';
import { readPhoto } from '../helpers/fixtures.js';

const JPEG = readPhoto('opencv_orange.jpg');
const PNG = readPhoto('skimage_coffee.png');

async function outcome(bytes: Uint8Array): Promise<'decoded' | 'refused'> {
  try {
    const image = await decodeImage(bytes, { maxPixels: 50_000_000, timeoutSeconds: 10 });
    expect(image.rgb.length).toBe(image.width * image.height * 3);
    return 'decoded';
  } catch (error) {
    if (!(error instanceof PipelineInputError)) throw error;
    expect(error.message).toMatch(/^the image (could not be decoded|is too large|took too long)/);
    expect(error.message).not.toMatch(/\n\s+at /);
    return 'refused';
  }
}

describe('decodeImage under fuzzing', () => {
  it('decodes or refuses cleanly: truncated, corrupted, random and lying inputs', async () => {
    const counts = { decoded: 0, refused: 0 };
    const source = fc.constantFrom(JPEG, PNG);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(source, fc.nat()).map(([image, end]) => image.subarray(0, end % image.length)),
          fc
            .tuple(source, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }))
            .map(([image, edits]) => {
              const copy = Buffer.from(image);
              for (const [at, value] of edits) copy[at % copy.length] = value;
              return copy;
            }),
          fc.uint8Array({ maxLength: 4096 }),
          fc.uint8Array({ maxLength: 256 }).map((tail) => Buffer.concat([PNG.subarray(0, 8), tail])),
        ),
        async (bytes) => {
          counts[await outcome(bytes)]++;
        },
      ),
      { numRuns: 1500, seed: 7 },
    );
    console.log(`decode fuzz: ${counts.decoded} decoded, ${counts.refused} refused, 0 other errors`);
    expect(counts.refused).toBeGreaterThan(0);
  }, 300_000);

  it('refuses huge declared dimensions from the header, before decoding pixels', async () => {
    const png = Buffer.from(
      await sharp({ create: { width: 16, height: 16, channels: 3, background: '#888' } })
        .png()
        .toBuffer(),
    );
    png.writeUInt32BE(100_000, 16); // IHDR width
    png.writeUInt32BE(100_000, 20); // IHDR height: 10 gigapixels declared
    await expect(decodeImage(png)).rejects.toThrow(/the image is too large/);
    const small = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    await expect(decodeImage(small, { maxPixels: 5_000_000, timeoutSeconds: 10 })).rejects.toThrow(/too large/);
    expect((await decodeImage(small)).width).toBe(3000);
  });

  it('reads the first frame of an animated image', async () => {
    const red = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } })
      .png()
      .toBuffer();
    const blue = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } })
      .png()
      .toBuffer();
    const animated = await sharp([red, blue], { join: { animated: true } })
      .webp({ loop: 0, lossless: true })
      .toBuffer();
    expect((await sharp(animated, { pages: -1 }).metadata()).pages).toBe(2);
    const decoded = await decodeImage(animated);
    // One 8x8 frame (the red one), not the two frames stacked into 8x16.
    expect([decoded.width, decoded.height]).toEqual([8, 8]);
    expect([...decoded.rgb.subarray(0, 3)]).toEqual([255, 0, 0]);
  });
});
