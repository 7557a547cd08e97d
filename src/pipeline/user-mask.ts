// The user's corrections to the background removal: a mask they drew (it replaces the model's),
// and a box around the subject (it seeds the model's cut: outside the box is background).
import sharp, { type OutputInfo } from 'sharp';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../raster/decode.js';
import { PipelineInputError } from '../raster/errors.js';
import type { FloatPlane } from '../raster/plane.js';

/** x0, y0, x1, y1 in 0..1 of the image's width and height (x0 < x1, y0 < y1), top left origin. */
export type SubjectBox = readonly [number, number, number, number];

/**
 * A photo and its mask are the same picture when their proportions agree to this share: a mask
 * saved at another resolution is fine, a mask of another photo (or a crop) is not.
 */
const ASPECT_TOLERANCE = 0.02;

/**
 * The user's mask at width x height, 0..1 (1 = keep): its alpha channel when it has transparency,
 * else its grey level (white = keep), EXIF orientation applied. Throws PipelineInputError when the
 * file is not an image or its proportions are not the photo's.
 */
export async function decodeUserMask(
  bytes: Uint8Array,
  width: number,
  height: number,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): Promise<FloatPlane> {
  let data: Buffer;
  let info: OutputInfo;
  try {
    const image = sharp(bytes, { failOn: 'warning', limitInputPixels: limits.maxPixels, pages: 1, page: 0 }).timeout({
      seconds: limits.timeoutSeconds,
    });
    const meta = await image.metadata();
    const upright =
      (meta.orientation ?? 1) >= 5 ? { w: meta.height ?? 0, h: meta.width ?? 0 } : { w: meta.width ?? 0, h: meta.height ?? 0 };
    if (Math.abs(upright.w / upright.h / (width / height) - 1) > ASPECT_TOLERANCE) {
      throw new PipelineInputError(
        `the mask is ${upright.w}x${upright.h}, not the photo's proportions: draw it over the same photo (any resolution)`,
      );
    }
    const stats = meta.hasAlpha ? await image.clone().rotate().stats() : undefined;
    // An alpha channel that is opaque everywhere says nothing: then the grey level is the mask.
    const alphaSays = stats !== undefined && stats.channels.at(-1)!.min < 255;
    let pipeline = image.rotate().resize(width, height, { fit: 'fill', kernel: 'linear' });
    pipeline = alphaSays
      ? pipeline.extractChannel(stats.channels.length === 2 ? 1 : 3)
      : pipeline.flatten({ background: '#000' }).toColourspace('b-w');
    ({ data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
  } catch (error) {
    if (error instanceof PipelineInputError) throw error;
    throw new PipelineInputError('the mask could not be decoded: a png (alpha or grey), jpeg or webp image is expected', { cause: error });
  }
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels]! / 255;
  return { width, height, data: out };
}

/** 1 inside the box, 0 outside, at width x height. */
export function boxPlane(box: SubjectBox, width: number, height: number): Float32Array {
  const [x0, y0, x1, y1] = box;
  const left = Math.floor(x0 * width);
  const right = Math.ceil(x1 * width);
  const top = Math.floor(y0 * height);
  const bottom = Math.ceil(y1 * height);
  const out = new Float32Array(width * height);
  for (let y = Math.max(0, top); y < Math.min(height, bottom); y++)
    out.fill(1, y * width + Math.max(0, left), y * width + Math.min(width, right));
  return out;
}

/** Whether a box is well formed: four numbers in 0..1 with x0 < x1 and y0 < y1. */
export function isSubjectBox(box: readonly number[]): box is SubjectBox {
  return box.length === 4 && box.every((v) => Number.isFinite(v) && v >= 0 && v <= 1) && box[0]! < box[2]! && box[1]! < box[3]!;
}
