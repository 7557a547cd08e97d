/**
 * 8-bit greyscale BMP (Hitem3D's preview format). Hand-written because sharp cannot write BMP.
 * Layout: 14-byte file header, 40-byte BITMAPINFOHEADER, 256-entry grey palette, then the rows
 * bottom-up, each padded to a multiple of 4 bytes. Values are round(depth * 255), clamped to 0..1
 * (NaN becomes 0). Alpha is not stored: the depth is already 0 in a removed background.
 */
import type { DepthMap } from '../raster/depth-map.js';

const FILE_HEADER = 14;
const INFO_HEADER = 40;
const PALETTE = 256 * 4;
const PIXELS_PER_METRE = 2835; // 72 dpi

export function encodeBmp(map: DepthMap): Buffer {
  const { width, height, depth } = map;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`BMP: bad size ${width}x${height}`);
  }
  if (depth.length !== width * height) throw new RangeError(`BMP: depth does not match ${width}x${height}`);

  const stride = (width + 3) & ~3;
  const dataOffset = FILE_HEADER + INFO_HEADER + PALETTE;
  const imageSize = stride * height;
  const out = Buffer.alloc(dataOffset + imageSize); // zeroed, so row padding is 0

  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(dataOffset, 10);

  out.writeUInt32LE(INFO_HEADER, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22); // positive height: bottom-up rows
  out.writeUInt16LE(1, 26); // planes
  out.writeUInt16LE(8, 28); // bits per pixel
  out.writeUInt32LE(0, 30); // BI_RGB, uncompressed
  out.writeUInt32LE(imageSize, 34);
  out.writeInt32LE(PIXELS_PER_METRE, 38);
  out.writeInt32LE(PIXELS_PER_METRE, 42);
  out.writeUInt32LE(256, 46); // colours used
  out.writeUInt32LE(0, 50); // all colours important

  for (let i = 0, p = FILE_HEADER + INFO_HEADER; i < 256; i++, p += 4) {
    out[p] = i; // blue
    out[p + 1] = i; // green
    out[p + 2] = i; // red (4th byte reserved, 0)
  }

  for (let y = 0; y < height; y++) {
    const src = y * width;
    const dst = dataOffset + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const v = depth[src + x] as number;
      out[dst + x] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
    }
  }
  return out;
}
