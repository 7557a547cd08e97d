/**
 * OpenEXR reader for depth maps users bring (Blender, ComfyUI, our own exr.ts): the subset such
 * tools write, refused clearly beyond it. Single-part scanline files only; pixel types HALF and
 * FLOAT; compression NONE (1 line per chunk), ZIPS (1) or ZIP (16), zlib through fflate with
 * OpenEXR's byte interleave and predictor undone (the inverse of exr.ts's predictAndReorder).
 * Reference: https://openexr.com/en/latest/OpenEXRFileLayout.html.
 *
 * Every size comes from the file, so each is checked before it is used: the pixel count against the
 * decoder's limit before anything is allocated, offsets against the file's length, and inflated
 * data is written into a buffer of exactly the expected size (fflate stops there), so a crafted
 * chunk cannot expand beyond the image it claims to be.
 */
import { unzlibSync } from 'fflate';
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
}

export interface ExrImage {
  width: number;
  height: number;
  /** Channel name -> row-major values. */
  channels: Map<string, Float32Array>;
}

function fail(why: string): never {
  throw new DepthMapInputError(`the depth map is not an EXR file we can read: ${why}`);
}

/** Reads and checks the header; throws DepthMapInputError for anything outside the subset. */
export function readExrHeader(bytes: Uint8Array, maxPixels: number): ExrHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || view.getInt32(0, true) !== MAGIC) fail('no OpenEXR magic number');
  const version = view.getInt32(4, true);
  if ((version & 0xff) !== 2) fail(`version ${version & 0xff} (2 expected)`);
  if (version & (TILED | DEEP | MULTIPART)) fail('tiled, deep or multi-part files are not supported (write a single-part scanline image)');

  let pos = 8;
  const cString = (): string => {
    const end = bytes.indexOf(0, pos);
    if (end < 0 || end - pos > 255) fail('a malformed header');
    const text = Buffer.from(bytes.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return text;
  };
  let channels: ExrChannelInfo[] | undefined;
  let compression: number | undefined;
  let box: [number, number, number, number] | undefined;
  for (;;) {
    if (pos >= bytes.length) fail('the header has no end');
    const name = cString();
    if (name === '') break;
    const type = cString();
    if (pos + 4 > bytes.length) fail('a truncated header');
    const size = view.getInt32(pos, true);
    pos += 4;
    if (size < 0 || pos + size > bytes.length) fail(`attribute ${name} runs past the end of the file`);
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
  if (LINES_PER_CHUNK[compression] === undefined) {
    fail(`${COMPRESSION_NAMES[compression] ?? `compression ${compression}`} compression (none, zips or zip expected)`);
  }
  const width = box[2] - box[0] + 1;
  const height = box[3] - box[1] + 1;
  if (!(width >= 1 && height >= 1)) fail(`an empty dataWindow (${width}x${height})`);
  // Before anything the size of the image is allocated: the same bound as the photo decoder's.
  if (width * height > maxPixels) throw new DepthMapInputError('the depth map is too large: more pixels than the limit (DEPTHMILL_MAX_PIXELS)');
  return { width, height, yMin: box[1], compression, channels, headerEnd: pos };
}

/** chlist: per channel name\0, int32 pixel type, uint8 pLinear, 3 reserved, int32 x and y sampling; then \0. */
function readChannels(value: Uint8Array): ExrChannelInfo[] {
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const channels: ExrChannelInfo[] = [];
  let pos = 0;
  while (pos < value.length && value[pos] !== 0) {
    const end = value.indexOf(0, pos);
    if (end < 0 || end + 17 > value.length) fail('a malformed channel list');
    const name = Buffer.from(value.subarray(pos, end)).toString('latin1');
    const pixelType = view.getInt32(end + 1, true);
    if (view.getInt32(end + 9, true) !== 1 || view.getInt32(end + 13, true) !== 1) fail(`channel ${name} is subsampled`);
    if (pixelType !== PIXEL_HALF && pixelType !== PIXEL_FLOAT) fail(`channel ${name} holds unsigned integers (half or float expected)`);
    channels.push({ name, pixelType });
    pos = end + 17;
  }
  return channels;
}

/** The named channels' pixels as float32 (HALF widened). Other channels are skipped, not decoded. */
export function readExr(bytes: Uint8Array, wanted: readonly string[], maxPixels: number): ExrImage {
  const header = readExrHeader(bytes, maxPixels);
  const { width, height, yMin, compression, channels } = header;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, Float32Array>();
  for (const name of wanted) if (channels.some((c) => c.name === name)) out.set(name, new Float32Array(width * height));

  const linesPerChunk = LINES_PER_CHUNK[compression]!;
  const chunkCount = Math.ceil(height / linesPerChunk);
  // Bytes of one scanline: each channel's row, in the (sorted) channel-list order.
  const lineBytes = channels.reduce((n, c) => n + width * (c.pixelType === PIXEL_HALF ? 2 : 4), 0);
  if (header.headerEnd + chunkCount * 8 > bytes.length) fail('the offset table is truncated');
  const scratch = new Uint8Array(lineBytes * linesPerChunk);
  for (let chunk = 0; chunk < chunkCount; chunk++) {
    const offset = Number(view.getBigUint64(header.headerEnd + chunk * 8, true));
    if (offset + 8 > bytes.length) fail(`chunk ${chunk} lies past the end of the file`);
    const y0 = view.getInt32(offset, true) - yMin;
    const size = view.getInt32(offset + 4, true);
    if (y0 < 0 || y0 >= height || y0 % linesPerChunk !== 0) fail(`chunk ${chunk} has a bad y coordinate`);
    if (size < 0 || offset + 8 + size > bytes.length) fail(`chunk ${chunk} is truncated`);
    const lines = Math.min(linesPerChunk, height - y0);
    const expected = lines * lineBytes;
    const stored = bytes.subarray(offset + 8, offset + 8 + size);
    // A chunk that would not shrink is stored raw; readers tell by the size (as exr.ts writes it).
    const raw = compression === 0 || size === expected ? stored : inflateChunk(stored, scratch.subarray(0, expected), chunk);
    if (raw.length !== expected) fail(`chunk ${chunk} holds ${raw.length} bytes, ${expected} expected`);
    scatterLines(raw, channels, out, width, y0, lines);
  }
  return { width, height, channels: out };
}

/** zlib, then OpenEXR's predictor and interleave undone (ImfZip.cpp, uncompress). */
function inflateChunk(stored: Uint8Array, target: Uint8Array, chunk: number): Uint8Array {
  let inflated: Uint8Array;
  try {
    inflated = unzlibSync(stored, { out: new Uint8Array(target.length) });
  } catch {
    fail(`chunk ${chunk} is not valid zlib data`);
  }
  if (inflated.length !== target.length) fail(`chunk ${chunk} inflates to ${inflated.length} bytes, ${target.length} expected`);
  for (let i = 1; i < inflated.length; i++) inflated[i] = (inflated[i - 1]! + inflated[i]! - 128) & 0xff;
  const half = (inflated.length + 1) >> 1;
  for (let i = 0, j = 0; j < half; i += 2, j++) target[i] = inflated[j]!;
  for (let i = 1, j = half; i < target.length; i += 2, j++) target[i] = inflated[j]!;
  return target;
}

function scatterLines(raw: Uint8Array, channels: ExrChannelInfo[], out: Map<string, Float32Array>, width: number, y0: number, lines: number): void {
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
