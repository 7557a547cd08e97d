/**
 * The background mask as a plain 8-bit grey PNG (white = kept, black = removed), the way masks are
 * drawn and exchanged: what `depthmill generate --mask-out` writes, and what create-task's `mask`
 * field takes back. Values are round(alpha * 255) after clamping to 0..1.
 */
import sharp from 'sharp';

/** 0..1 coverage to 0..255 grey levels. */
export function maskLevels(alpha: Float32Array): Uint8Array {
  const levels = new Uint8Array(alpha.length);
  for (let i = 0; i < alpha.length; i++) {
    const value = alpha[i]!;
    levels[i] = value > 0 ? Math.round(Math.min(value, 1) * 255) : 0; // NaN and negatives: removed
  }
  return levels;
}

export async function encodeMaskPng(width: number, height: number, levels: Uint8Array): Promise<Buffer> {
  if (levels.length !== width * height) throw new RangeError(`mask PNG: ${levels.length} levels do not match ${width}x${height}`);
  // b-w keeps the one grey channel (sharp otherwise writes sRGB, three channels).
  return sharp(levels, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 6, adaptiveFiltering: true })
    .toBuffer();
}
