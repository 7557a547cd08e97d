// Stage 1: bytes -> 8-bit RGB pixels (+ alpha when the image has transparency), upright.
//
// Everything after this stage assumes one pixel format, so every input variant is folded here:
// EXIF orientation, 16-bit, greyscale, palette, CMYK, alpha.
import sharp, { type OutputInfo } from 'sharp';
import { PipelineInputError } from './errors.js';

export { PipelineInputError } from './errors.js';

export interface DecodedImage {
  /** Upright size, EXIF orientation applied. */
  width: number;
  height: number;
  /** Row-major RGB, 3 bytes per pixel; transparent areas flattened onto white (see below). */
  rgb: Uint8Array;
  /** Row-major alpha 0..255, one byte per pixel; absent when the image is fully opaque. */
  alpha?: Uint8Array;
}

/** Bounds on what one image may cost to decode (see docs/API.md "Limits"). */
export interface DecodeLimits {
  /** Width x height above which an image is refused before its pixels are decoded (decompression bombs). */
  maxPixels: number;
  /** Wall-clock seconds libvips may spend on the decode. */
  timeoutSeconds: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxPixels: 50_000_000, timeoutSeconds: 20 };

/**
 * Epoch ms by which a decode starting now must end. sharp gets limits.timeoutSeconds through its
 * timeout(); a decoder of our own (the EXR reader) checks this between its pieces of work, so every
 * input has the same bound.
 */
export function decodeDeadline(limits: DecodeLimits): number {
  return Date.now() + limits.timeoutSeconds * 1000;
}

/**
 * The shapes a photo may have. A strip like 16383 x 1 is no photo of anything, yet at 2048 px it
 * becomes thousands of model windows (minutes of work) or an empty depth map: refused from the
 * header, before anything is decoded.
 */
export const MIN_SIDE = 16;
export const MAX_ASPECT = 16;

/** Why an image of this size cannot be a depth map's input, or undefined. */
export function shapeRefusal(width: number, height: number): string | undefined {
  if (Math.min(width, height) < MIN_SIDE) return `the image is ${width} x ${height} px: each side must be at least ${MIN_SIDE} px`;
  if (Math.max(width, height) > MAX_ASPECT * Math.min(width, height)) {
    return `the image is ${width} x ${height} px: its long side may be at most ${MAX_ASPECT} times its short side`;
  }
  return undefined;
}

/** Refuses a photo of a shape no depth map can come from, reading only its header. */
export async function checkPhotoShape(bytes: Buffer | Uint8Array): Promise<void> {
  const header = await sharp(bytes, { pages: 1, page: 0 })
    .metadata()
    .catch((error: unknown) => {
      throw new PipelineInputError(describeDecodeFailure(error), { cause: error });
    });
  const refusal = header.width && header.height ? shapeRefusal(header.width, header.height) : undefined;
  if (refusal) throw new PipelineInputError(refusal);
}

/** White: what a cut-out PNG shows on in most viewers, and a plain background U2-Net-p handles well. */
const FLATTEN_BACKGROUND = 255;

/** Sharp's message for undecodable input, reworded for the user (no paths, no stack). */
function describeDecodeFailure(error: unknown): string {
  const detail = error instanceof Error ? error.message.split('\n')[0]?.trim() : '';
  if (!detail) return 'the image could not be decoded';
  if (/unsupported image format/i.test(detail)) {
    return 'the image could not be decoded: not a supported image format (png, jpeg or webp expected)';
  }
  if (/empty/i.test(detail)) return 'the image could not be decoded: the file is empty';
  if (/exceeds pixel limit/i.test(detail)) return 'the image is too large: more pixels than the limit (DEPTHMILL_MAX_PIXELS)';
  if (/timeout/i.test(detail)) return 'the image took too long to decode';
  // Drop libvips' loader prefixes ("VipsJpeg: ", "vipspng: "): they name internals, not the problem.
  return `the image could not be decoded: ${detail.replace(/\bvips\w*:\s*/gi, '')}`;
}

/**
 * Decodes an image file's bytes; with `maxLongSide`, an image whose long side is larger comes out
 * shrunk to that long side (aspect kept) in the same libvips pass. Nothing downstream needs more
 * pixels than the output has, and shrinking while decoding is far cheaper than decoding everything
 * and shrinking afterwards: libjpeg decodes straight at 1/2, 1/4 or 1/8 scale when the factor
 * allows, and every later resize starts from the smaller image.
 *
 * Throws PipelineInputError for anything that is not a decodable image (including truncated or
 * corrupt files: sharp's default failOn 'warning' rejects them rather than handing half a grey
 * picture to the models).
 */
export async function decodeImage(
  bytes: Buffer | Uint8Array,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
  maxLongSide?: number,
): Promise<DecodedImage> {
  let data: Buffer;
  let info: OutputInfo;
  try {
    // The pixel limit is checked against the header's dimensions, before any pixel is decoded.
    // An animated or multi-page image (animated WebP, APNG) is read as its first frame, deliberately:
    // a depth map is of one picture.
    let pipeline = sharp(bytes, { failOn: 'warning', limitInputPixels: limits.maxPixels, pages: 1, page: 0 })
      .timeout({ seconds: limits.timeoutSeconds })
      // Apply the EXIF orientation: phones store portraits as rotated landscapes plus a tag.
      .rotate();
    if (maxLongSide !== undefined) {
      pipeline = pipeline.resize({ width: maxLongSide, height: maxLongSide, fit: 'inside', withoutEnlargement: true });
    }
    ({ data, info } = await pipeline
      // 16-bit, greyscale, palette and CMYK all become 8-bit sRGB (with alpha if there is one).
      // 8 bits are enough: the models see 0..1 values at 224 or 320 pixels.
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }));
  } catch (error) {
    throw new PipelineInputError(describeDecodeFailure(error), { cause: error });
  }

  const { width, height, channels } = info;
  if (channels === 3) {
    // The common case (opaque colour photo): sharp's buffer already is the layout we want.
    return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  }
  const pixels = width * height;
  const rgb = new Uint8Array(pixels * 3);
  // After toColourspace('srgb') sharp gives 3 or 4 channels; 1 and 2 are handled all the same.
  const hasAlpha = channels === 2 || channels === 4;
  const colourChannels = hasAlpha ? channels - 1 : channels;
  const alpha = hasAlpha ? new Uint8Array(pixels) : undefined;
  let opaque = true;
  for (let i = 0; i < pixels; i++) {
    const src = i * channels;
    const a = alpha ? data[src + colourChannels]! : 255;
    if (alpha) {
      alpha[i] = a;
      if (a !== 255) opaque = false;
    }
    for (let c = 0; c < 3; c++) {
      const value = data[src + (colourChannels === 1 ? 0 : c)]!;
      // Colour under transparent pixels is arbitrary (often black, sometimes leftovers of an edit);
      // compositing onto a plain background gives the models what a viewer would show.
      rgb[i * 3 + c] = a === 255 ? value : Math.round((value * a + FLATTEN_BACKGROUND * (255 - a)) / 255);
    }
  }
  return opaque || !alpha ? { width, height, rgb } : { width, height, rgb, alpha };
}
