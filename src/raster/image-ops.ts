// 8-bit RGB helpers for the depth stages: resize (sharp), crop, pad, and the grey guide plane.
import sharp from 'sharp';
import type { DecodedImage } from './decode.js';
import type { FloatPlane } from './plane.js';

/** The image resized to exactly width x height (Lanczos, sharp's default; aspect not kept). */
export async function resizeRgb(image: DecodedImage, width: number, height: number): Promise<DecodedImage> {
  if (image.width === width && image.height === height) return { width, height, rgb: image.rgb };
  const data = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw({ depth: 'uchar' })
    .toBuffer();
  return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** A rectangle of the image (integer pixel coordinates, inside the image), copied. */
export function cropRgb(image: DecodedImage, x0: number, y0: number, width: number, height: number): DecodedImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * image.width + x0) * 3;
    rgb.set(image.rgb.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, rgb };
}

/** The image inside a larger canvas at (left, top); the margins repeat the nearest edge pixel. */
export function padRgb(image: DecodedImage, left: number, top: number, width: number, height: number): DecodedImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max(y - top, 0), image.height - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max(x - left, 0), image.width - 1);
      const from = (sy * image.width + sx) * 3;
      const to = (y * width + x) * 3;
      rgb[to] = image.rgb[from]!;
      rgb[to + 1] = image.rgb[from + 1]!;
      rgb[to + 2] = image.rgb[from + 2]!;
    }
  }
  return { width, height, rgb };
}

/** The image mirrored left to right (a copy). */
export function mirrorRgb(image: DecodedImage): DecodedImage {
  const { width, height } = image;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * 3;
      const to = (y * width + (width - 1 - x)) * 3;
      rgb[to] = image.rgb[from]!;
      rgb[to + 1] = image.rgb[from + 1]!;
      rgb[to + 2] = image.rgb[from + 2]!;
    }
  }
  return { width, height, rgb };
}

/** Luma 0..1 (Rec. 601 weights on the sRGB values): the guide of the edge-aware filters. */
export function lumaPlane(image: DecodedImage): FloatPlane {
  const n = image.width * image.height;
  const data = new Float32Array(n);
  const rgb = image.rgb;
  const k = 1 / 255;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    data[i] = (0.299 * rgb[j]! + 0.587 * rgb[j + 1]! + 0.114 * rgb[j + 2]!) * k;
  }
  return { width: image.width, height: image.height, data };
}
