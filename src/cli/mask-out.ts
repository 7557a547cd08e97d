// `generate --mask-out` through a server: the mask the pipeline used is the alpha of the PNG depth
// map, brought to the same 8-bit grey PNG that local mode writes (formats/mask-png.ts).
import sharp from 'sharp';
import { encodeMaskPng } from '../formats/mask-png.js';

/** The alpha of a 16-bit grey + alpha PNG depth map (the API's format 2 with the background removed), as a mask PNG. */
export async function maskOfDepthPng(png: Uint8Array): Promise<Buffer> {
  const image = sharp(png);
  if (!(await image.metadata()).hasAlpha) throw new Error('the depth map has no alpha: the background was kept, so there is no mask');
  // grey16: sharp would otherwise bring the samples to 8 bits its own way before we see them.
  const { data, info } = await image
    .extractChannel('alpha')
    .toColourspace('grey16')
    .raw({ depth: 'ushort' })
    .toBuffer({ resolveWithObject: true });
  const samples = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  const levels = new Uint8Array(samples.length);
  // round(alpha * 255), as local mode computes it from the same alpha.
  for (let i = 0; i < samples.length; i++) levels[i] = Math.round((samples[i]! / 65535) * 255);
  return encodeMaskPng(info.width, info.height, levels);
}
