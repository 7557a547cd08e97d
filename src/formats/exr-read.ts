/**
 * OpenEXR reader for depth maps users bring (Blender, ComfyUI, our own exr.ts): the subset such
 * tools write, refused clearly beyond it. Single-part scanline files only; pixel types HALF and
 * FLOAT; compression NONE (1 line per chunk), ZIPS (1) or ZIP (16), zlib with OpenEXR's byte
 * interleave and predictor undone (the inverse of exr.ts's predictAndReorder).
 * Reference: https://openexr.com/en/latest/OpenEXRFileLayout.html.
 *
 * The file is untrusted (an upload), so every size in it is bounded before it costs anything:
 * - the header: at most MAX_HEADER_BYTES, MAX_ATTRIBUTES and MAX_CHANNELS, so reading it is cheap
 *   enough for the API's event loop (a 20 MB header of a million channels took 0.9 s there);
 * - the pixels: width x height against the decoder's pixel limit, and what all channels together
 *   decode to against DECODED_BYTES_PER_PIXEL of that limit (a zip chunk must be inflated whole,
 *   every channel of it, to reach the one channel the depth is in);
 * - the chunks: each entry of the offset table must hold the rows OpenEXR puts there (so no two
 *   entries can point at one chunk: an 18 KB file whose 625 entries all named one chunk of 40
 *   channels took minutes), lie inside the file, overlap no other, and store no more than it
 *   decodes to; each inflates into at most its expected size (zlib stops there);
 * - the time: the same decode deadline as a photo's (DEPTHMILL_DECODE_TIMEOUT_S), checked between
 *   chunks.
 */
import { inflateSync } from 'node:zlib';
import { DepthMapInputError } from './depth-map-error.js';

const MAGIC = 20000630;
/** Version field flag bits (the low byte is the version, 2). */
const TILED = 0x200;
const DEEP = 0x800;
const MULTIPART = 0x1000;
const PIXEL_HALF = 1;
const PIXEL_FLOAT = 2;
/** Compression code -> scanlines per chunk, for the ones we read. */
const LINES_PER_CHUNK: Readonly<Record<number, number>> = { 0: 1, 2: 1, 3: 16 };
const COMPRESSION_NAMES = ['none', 'rle', 'zips', 'zip', 'piz', 'pxr24', 'b44', 'b44a', 'dwaa', 'dwab'];

/**
 * Bytes a header may take. Real headers are a few KB (Blender's, with its metadata, about 1 KB; a
 * preview image adds tens of KB); beyond this the file is refused without reading further.
 */
export const MAX_HEADER_BYTES = 1024 * 1024;
/**
 * Attributes a header may have: real ones have tens. With the byte bound alone, a megabyte of
 * empty attributes took 0.2 s to walk, on the API's event loop.
 */
export const MAX_ATTRIBUTES = 1024;
/**
 * Channels a file may have: a depth map needs one (Y, Z or R) and maybe A; a renderer's RGBA + Z
 * with a few passes stays far below. More is refused before any pixel is read.
 */
export const MAX_CHANNELS = 64;
/**
 * What all channels together may decode to, in bytes per pixel of the pixel limit: float depth and
 * alpha (or half RGBA) at the full limit, 400 MB at the default 50 Mpx. The work of reading a file
 * grows with this, whatever the compressed file's size.
 */
export const DECODED_BYTES_PER_PIXEL = 8;

export interface ExrChannelInfo {
  name: string;
  pixelType: number;
}

export interface ExrHeader {
  width: number;
  height: number;
  /** dataWindow's first row: chunk y coordinates are absolute. */
  yMin: number;
  compression: number;
  channels: ExrChannelInfo[];
  /** Where the offset table starts. */
  headerEnd: number;
  linesPerChunk: number;
  chunkCount: number;
  /** Bytes of one decoded scanline, all channels. */
  lineBytes: number;
}

export interface ExrImage {
  width: number;
  height: number;
  /** Channel name -> row-major values. */
  channels: Map<string, Float32Array>;
}

export interface ExrReadLimits {
  /** The decoder's pixel limit (DEPTHMILL_MAX_PIXELS). */
  maxPixels: number;
  /** Epoch ms past which the read stops with a DepthMapInputError (the photos' decode deadline). */
  deadline?: number;
}

function fail(why: string): never {
  throw new DepthMapInputError(`the depth map is not an EXR file we can read: ${why}`);
}

const bytesOf = (pixelType: number): number => (pixelType === PIXEL_HALF ? 2 : 4);

/**
 * Reads and checks the header and the offset table's extent (not its entries); throws
 * DepthMapInputError for anything outside the subset or the bounds. Reads at most
 * MAX_HEADER_BYTES and MAX_CHANNELS, so its cost is bounded whatever the file.
 */
export function readExrHeader(bytes: Uint8Array, maxPixels: number): ExrHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || view.getInt32(0, true) !== MAGIC) fail('no OpenEXR magic number');
  const version = view.getInt32(4, true);
  if ((version & 0xff) !== 2) fail(`version ${version & 0xff} (2 expected)`);
  if (version & (TILED | DEEP | MULTIPART)) fail('tiled, deep or multi-part files are not supported (write a single-part scanline image)');

  // Everything below reads inside this window: a header that does not end in it is refused.
  const limit = Math.min(bytes.length, MAX_HEADER_BYTES);
  const tooLong = (): never =>
    fail(limit < bytes.length ? `the header is larger than ${MAX_HEADER_BYTES / 1024} KiB` : 'the header has no end');
  let pos = 8;
  const cString = (): string => {
    // Names are at most 255 bytes (OpenEXR's own limit): the terminator is looked for no further.
    const end = bytes.subarray(pos, Math.min(limit, pos + 256)).indexOf(0);
    if (end < 0) return pos + 256 <= limit ? fail('a malformed header') : tooLong();
    const text = Buffer.from(bytes.subarray(pos, pos + end)).toString('latin1');
    pos += end + 1;
    return text;
  };
  let channels: ExrChannelInfo[] | undefined;
  let compression: number | undefined;
  let box: [number, number, number, number] | undefined;
  for (let count = 0; ; count++) {
    if (pos >= limit) tooLong();
    if (count > MAX_ATTRIBUTES) fail(`more than ${MAX_ATTRIBUTES} header attributes`);
    const name = cString();
    if (name === '') break;
    const type = cString();
    if (pos + 4 > limit) tooLong();
    const size = view.getInt32(pos, true);
    pos += 4;
    if (size < 0) fail(`attribute ${name} has a negative size`);
    if (pos + size > limit) {
      if (limit < bytes.length) tooLong();
      fail(`attribute ${name} runs past the end of the file`);
    }
    const value = bytes.subarray(pos, pos + size);
    if (name === 'channels' && type === 'chlist') channels = readChannels(value);
    if (name === 'compression' && size === 1) compression = value[0];
    if (name === 'dataWindow' && type === 'box2i' && size === 16) {
      const box4 = new DataView(value.buffer, value.byteOffset, 16);
      box = [box4.getInt32(0, true), box4.getInt32(4, true), box4.getInt32(8, true), box4.getInt32(12, true)];
    }
    pos += size;
  }
  if (!channels || channels.length === 0) fail('no channels');
  if (compression === undefined || box === undefined) fail('no compression or dataWindow attribute');
  const linesPerChunk = LINES_PER_CHUNK[compression];
  if (linesPerChunk === undefined) {
    fail(`${COMPRESSION_NAMES[compression] ?? `compression ${compression}`} compression (none, zips or zip expected)`);
  }
  const width = box[2] - box[0] + 1;
  const height = box[3] - box[1] + 1;
  if (!(width >= 1 && height >= 1)) fail(`an empty dataWindow (${width}x${height})`);
  // Before anything the size of the image is allocated: the same bound as the photo decoder's.
  if (width * height > maxPixels)
    throw new DepthMapInputError('the depth map is too large: more pixels than the limit (DEPTHMILL_MAX_PIXELS)');
  const bytesPerPixel = channels.reduce((n, c) => n + bytesOf(c.pixelType), 0);
  if (width * height * bytesPerPixel > DECODED_BYTES_PER_PIXEL * maxPixels) {
    const megabytes = Math.round((width * height * bytesPerPixel) / 1e6);
    throw new DepthMapInputError(
      `the depth map is too large: its ${channels.length} channels decode to ${megabytes} MB, more than ${DECODED_BYTES_PER_PIXEL} bytes a pixel of the limit (DEPTHMILL_MAX_PIXELS); save the depth channel alone`,
    );
  }
  const chunkCount = Math.ceil(height / linesPerChunk);
  if (pos + chunkCount * 8 > bytes.length) fail('the offset table is truncated');
  return {
    width,
    height,
    yMin: box[1],
    compression,
    channels,
    headerEnd: pos,
    linesPerChunk,
    chunkCount,
    lineBytes: width * bytesPerPixel,
  };
}

/** chlist: per channel name\0, int32 pixel type, uint8 pLinear, 3 reserved, int32 x and y sampling; then \0. */
function readChannels(value: Uint8Array): ExrChannelInfo[] {
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const channels: ExrChannelInfo[] = [];
  let pos = 0;
  while (pos < value.length && value[pos] !== 0) {
    if (channels.length === MAX_CHANNELS) fail(`more than ${MAX_CHANNELS} channels (save the depth channel alone, with its alpha)`);
    const end = value.subarray(pos, pos + 256).indexOf(0) + pos;
    if (end < pos || end + 17 > value.length) fail('a malformed channel list');
    const name = Buffer.from(value.subarray(pos, end)).toString('latin1');
    const pixelType = view.getInt32(end + 1, true);
    if (view.getInt32(end + 9, true) !== 1 || view.getInt32(end + 13, true) !== 1) fail(`channel ${name} is subsampled`);
    if (pixelType !== PIXEL_HALF && pixelType !== PIXEL_FLOAT) fail(`channel ${name} holds unsigned integers (half or float expected)`);
    channels.push({ name, pixelType });
    pos = end + 17;
  }
  return channels;
}

interface Chunk {
  /** Where the chunk's data starts (past its y and size). */
  start: number;
  size: number;
}

/**
 * Every entry of the offset table, checked before any chunk is decoded: entry i is the chunk of
 * rows yMin + i * linesPerChunk (OpenEXR's own reader insists on it too), inside the file, storing
 * no more than it decodes to, and no two chunks share a byte.
 */
function readChunkTable(bytes: Uint8Array, header: ExrHeader): Chunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { chunkCount, linesPerChunk, lineBytes, height, yMin, headerEnd } = header;
  const dataStart = headerEnd + chunkCount * 8;
  const chunks: Chunk[] = [];
  for (let i = 0; i < chunkCount; i++) {
    const offset = Number(view.getBigUint64(headerEnd + i * 8, true));
    if (offset < dataStart || offset + 8 > bytes.length) fail(`chunk ${i} lies outside the file`);
    if (view.getInt32(offset, true) !== yMin + i * linesPerChunk)
      fail(`chunk ${i} does not hold the rows its entry of the offset table is for`);
    const size = view.getInt32(offset + 4, true);
    const expected = Math.min(linesPerChunk, height - i * linesPerChunk) * lineBytes;
    if (size < 0 || size > expected) fail(`chunk ${i} stores ${size} bytes (at most ${expected})`);
    if (offset + 8 + size > bytes.length) fail(`chunk ${i} is truncated`);
    chunks.push({ start: offset + 8, size });
  }
  const byPosition = [...chunks].sort((a, b) => a.start - b.start);
  for (let i = 1; i < byPosition.length; i++) {
    if (byPosition[i]!.start - 8 < byPosition[i - 1]!.start + byPosition[i - 1]!.size) fail('two chunks overlap');
  }
  return chunks;
}

/**
 * The named channels' pixels as float32 (HALF widened). Other channels are skipped: not widened,
 * not allocated (a zip chunk is still inflated whole: its bytes are interleaved across channels).
 */
export function readExr(bytes: Uint8Array, wanted: readonly string[], limits: ExrReadLimits): ExrImage {
  const header = readExrHeader(bytes, limits.maxPixels);
  const { width, height, compression, channels, linesPerChunk, lineBytes } = header;
  const chunks = readChunkTable(bytes, header);
  const out = new Map<string, Float32Array>();
  for (const name of wanted) if (channels.some((c) => c.name === name)) out.set(name, new Float32Array(width * height));

  const scratch = new Uint8Array(lineBytes * linesPerChunk);
  chunks.forEach(({ start, size }, chunk) => {
    if (limits.deadline !== undefined && Date.now() > limits.deadline)
      throw new DepthMapInputError('the depth map took too long to decode');
    const y0 = chunk * linesPerChunk;
    const lines = Math.min(linesPerChunk, height - y0);
    const expected = lines * lineBytes;
    const stored = bytes.subarray(start, start + size);
    // A chunk that would not shrink is stored raw; readers tell by the size (as exr.ts writes it).
    const raw = compression === 0 || size === expected ? stored : inflateChunk(stored, scratch.subarray(0, expected), chunk);
    if (raw.length !== expected) fail(`chunk ${chunk} holds ${raw.length} bytes, ${expected} expected`);
    scatterLines(raw, channels, out, width, y0, lines);
  });
  return { width, height, channels: out };
}

/**
 * zlib, then OpenEXR's predictor and interleave undone (ImfZip.cpp, uncompress). zlib stops as soon
 * as the output passes the chunk's size: a stream that would inflate further costs no more.
 */
function inflateChunk(stored: Uint8Array, target: Uint8Array, chunk: number): Uint8Array {
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(stored, { maxOutputLength: Math.max(1, target.length) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      fail(`chunk ${chunk} inflates to more than ${target.length} bytes`);
    fail(`chunk ${chunk} is not valid zlib data`);
  }
  if (inflated.length !== target.length) fail(`chunk ${chunk} inflates to ${inflated.length} bytes, ${target.length} expected`);
  for (let i = 1; i < inflated.length; i++) inflated[i] = (inflated[i - 1]! + inflated[i]! - 128) & 0xff;
  const half = (inflated.length + 1) >> 1;
  for (let i = 0, j = 0; j < half; i += 2, j++) target[i] = inflated[j]!;
  for (let i = 1, j = half; i < target.length; i += 2, j++) target[i] = inflated[j]!;
  return target;
}

function scatterLines(
  raw: Uint8Array,
  channels: ExrChannelInfo[],
  out: Map<string, Float32Array>,
  width: number,
  y0: number,
  lines: number,
): void {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let pos = 0;
  for (let line = 0; line < lines; line++) {
    const first = (y0 + line) * width;
    for (const { name, pixelType } of channels) {
      const step = pixelType === PIXEL_HALF ? 2 : 4;
      const target = out.get(name);
      if (target) {
        for (let x = 0; x < width; x++) {
          target[first + x] = step === 2 ? halfToFloat(view.getUint16(pos + x * 2, true)) : view.getFloat32(pos + x * 4, true);
        }
      }
      pos += width * step;
    }
  }
}

/** IEEE 754 binary16 -> number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
