/**
 * Depth maps users bring (ComfyUI, Blender, a phone's depth camera) read into the DepthMap the
 * relief builder takes, so `depthmill relief` and create-task's `depth_map` make a relief without
 * the depth model:
 *
 * - PNG, 8 or 16 bits: grey, grey + alpha, or RGB(A) of which the first channel is the depth (grey
 *   maps saved as colour); palette PNGs read as RGB.
 * - OpenEXR (exr-read.ts): channel Y, else Z, else R; alpha from A.
 *
 * Near is bright (larger). Depth is stretched to 0..1 over the footprint: pixels with alpha >= 0.5
 * (the relief builder's cut, as for rmbg=1 results), every pixel without alpha; clamped to 0..1
 * outside it. Non-finite EXR
 * values (a renderer's empty sky) are left out of the footprint's range and become 0 (far).
 *
 * Bounded like a photo: the pixel limit and the decode deadline (DEPTHMILL_DECODE_TIMEOUT_S) on
 * the read, and a map whose long side is over pro's output (2048 px) is area-averaged down to it.
 * A relief can show no more of a map than of the ones we make, and a 7000 x 7000 PNG at full size
 * took 190 s and 3.4 GB for a 600 mm relief.
 */
import sharp, { type OutputInfo } from 'sharp';
import { decodeDeadline, DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../raster/decode.js';
import { OUTPUT_LONG_SIDE } from '../contract/task.js';
import type { DepthMap } from '../raster/depth-map.js';
import { outputSize, resizeArea } from '../raster/resize.js';
import { DepthMapInputError } from './depth-map-error.js';
import { readExr, readExrHeader } from './exr-read.js';

export { DepthMapInputError } from './depth-map-error.js';

export type DepthMapType = 'png' | 'exr';

/** Channels tried in order for an EXR's depth: ours (Y), a renderer's Z, a colour image's red. */
const EXR_DEPTH_CHANNELS = ['Y', 'Z', 'R'] as const;

/** The long side a depth map is used at, at most: that of pro's output, as for a photo. */
export const DEPTH_MAP_LONG_SIDE = OUTPUT_LONG_SIDE.pro;

/** PNG or EXR by the file's first bytes (its content, never its name). */
export function sniffDepthMapType(bytes: Uint8Array): DepthMapType | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 4 && bytes[0] === 0x76 && bytes[1] === 0x2f && bytes[2] === 0x31 && bytes[3] === 0x01) return 'exr';
  return undefined;
}

export interface ReadDepthMapOptions {
  limits?: DecodeLimits;
  /** Drop the map's alpha: the whole image is the footprint (rmbg=0: a plate). */
  ignoreAlpha?: boolean;
}

/** Reads a PNG or EXR depth map; throws DepthMapInputError (a PipelineInputError) for anything else. */
export async function readDepthMap(bytes: Uint8Array, options: ReadDepthMapOptions = {}): Promise<DepthMap> {
  const limits = options.limits ?? DEFAULT_DECODE_LIMITS;
  const type = sniffDepthMapType(bytes);
  if (!type) throw new DepthMapInputError('the depth map must be a PNG (8 or 16-bit grey) or OpenEXR file (its content is neither)');
  const ignoreAlpha = options.ignoreAlpha ?? false;
  const raw = type === 'png' ? await readPng(bytes, limits) : readExrDepth(bytes, limits, ignoreAlpha);
  return shrink(normalise(raw.width, raw.height, raw.depth, ignoreAlpha ? undefined : raw.alpha), DEPTH_MAP_LONG_SIDE);
}

interface RawDepth {
  width: number;
  height: number;
  depth: Float32Array;
  alpha?: Float32Array;
}

async function readPng(bytes: Uint8Array, limits: DecodeLimits): Promise<RawDepth> {
  let data: Buffer;
  let info: OutputInfo;
  let is16: boolean;
  try {
    // The pixel limit is checked against the header's dimensions, before any pixel is decoded.
    const image = sharp(bytes, { failOn: 'warning', limitInputPixels: limits.maxPixels, pages: 1, page: 0 }).timeout({
      seconds: limits.timeoutSeconds,
    });
    const meta = await image.metadata();
    is16 = meta.depth === 'ushort';
    // Asking for the file's own colour space keeps the stored values: sharp otherwise converts grey
    // to sRGB and rescales 16-bit samples (measured: 1000 became 3).
    const space = (meta.channels ?? 3) <= 2 ? (is16 ? 'grey16' : 'b-w') : is16 ? 'rgb16' : 'srgb';
    ({ data, info } = await image
      .toColourspace(space)
      .raw({ depth: is16 ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true }));
  } catch (error) {
    const detail = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
    if (/pixel limit/i.test(detail))
      throw new DepthMapInputError('the depth map is too large: more pixels than the limit (DEPTHMILL_MAX_PIXELS)', { cause: error });
    if (/timeout/i.test(detail)) throw new DepthMapInputError('the depth map took too long to decode', { cause: error });
    throw new DepthMapInputError(`the depth map could not be decoded: ${detail.replace(/\bvips\w*:\s*/gi, '') || 'a broken PNG'}`, {
      cause: error,
    });
  }
  const { width, height, channels } = info;
  const samples = is16 ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data;
  const scale = is16 ? 65535 : 255;
  const n = width * height;
  const depth = new Float32Array(n);
  const hasAlpha = channels === 2 || channels === 4;
  const alpha = hasAlpha ? new Float32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    depth[i] = samples[i * channels]! / scale;
    if (alpha) alpha[i] = samples[i * channels + channels - 1]! / scale;
  }
  return { width, height, depth, ...(alpha ? { alpha } : {}) };
}

/** Only the depth channel (and A, unless ignored) is widened to float; the rest is skipped. */
function readExrDepth(bytes: Uint8Array, limits: DecodeLimits, ignoreAlpha: boolean): RawDepth {
  const deadline = decodeDeadline(limits);
  const { channels } = readExrHeader(bytes, limits.maxPixels);
  const name = EXR_DEPTH_CHANNELS.find((candidate) => channels.some((c) => c.name === candidate));
  if (!name) throw new DepthMapInputError('the depth map is not an EXR file we can read: no Y, Z or R channel holds the depth');
  const image = readExr(bytes, ignoreAlpha ? [name] : [name, 'A'], { maxPixels: limits.maxPixels, deadline });
  const alpha = image.channels.get('A');
  return { width: image.width, height: image.height, depth: image.channels.get(name)!, ...(alpha ? { alpha } : {}) };
}

/**
 * Stretches depth to 0..1 over the footprint; outside it the same stretch, clamped to 0..1. The
 * edge's half-transparent pixels keep their depth because the relief builder averages depth
 * weighted by alpha: zeroed, they would pull the outline down (by up to 0.09 mm at the defaults,
 * against the relief of the photo whose map this is). A fully opaque alpha is dropped. Works in
 * place: the arrays are the reader's own, and a full-size copy of each would double the memory.
 */
function normalise(width: number, height: number, depth: Float32Array, alpha: Float32Array | undefined): DepthMap {
  const n = width * height;
  // An alpha that covers everything says nothing: without it the relief is a plate that shape_base
  // can shape, as for a photo without transparency.
  const cut = alpha && alpha.some((a) => !(a >= 1)) ? alpha : undefined;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = depth[i]!;
    if (cut && !(cut[i]! >= 0.5)) continue;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max)
    throw new DepthMapInputError('the depth map has nothing to print: no pixel with a finite depth inside its footprint (alpha >= 0.5)');
  // A flat map is a valid, if dull, relief: every inside pixel at the far plane.
  const range = max - min;
  for (let i = 0; i < n; i++) {
    const v = depth[i]!;
    depth[i] = !Number.isFinite(v) || range === 0 ? 0 : Math.min(1, Math.max(0, (v - min) / range));
  }
  if (!cut) return { width, height, depth };
  for (let i = 0; i < n; i++) cut[i] = Math.min(1, Math.max(0, cut[i]! || 0));
  return { width, height, depth, alpha: cut };
}

/**
 * A map whose long side is over `longSide`, area-averaged down to it (aspect kept): every pixel
 * counts, so fine detail averages out instead of aliasing. With alpha, depth is averaged weighted
 * by it, as the relief builder samples a map (heightfield.ts), so the background's depth does not
 * pull the outline; alpha itself is averaged into a coverage the relief cuts at one half.
 */
function shrink(map: DepthMap, longSide: number): DepthMap {
  if (Math.max(map.width, map.height) <= longSide) return map;
  const { width, height } = outputSize(map.width, map.height, longSide);
  const plane = (data: Float32Array) => resizeArea({ width: map.width, height: map.height, data }, width, height).data;
  const { alpha } = map;
  if (!alpha) return { width, height, depth: plane(map.depth) };
  const weighted = map.depth;
  for (let i = 0; i < weighted.length; i++) weighted[i] = weighted[i]! * alpha[i]!;
  const coverage = plane(alpha);
  const depth = plane(weighted);
  for (let i = 0; i < depth.length; i++) depth[i] = coverage[i]! > 1e-6 ? Math.min(1, depth[i]! / coverage[i]!) : 0;
  return { width, height, depth, alpha: coverage };
}
