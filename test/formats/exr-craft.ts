/**
 * A tiny OpenEXR writer for the reader's hostile-input tests: any number of HALF channels, any
 * size, compression none / zips / zip, and the tricks an attacker plays on the offset table (every
 * entry pointing at the same chunk, chunks that overlap). exr.ts only writes well-formed files of
 * our own two channels, so the bombs are built here, byte by byte, from the same file layout
 * (https://openexr.com/en/latest/OpenEXRFileLayout.html).
 */
import { deflateSync } from 'node:zlib';

export interface CraftOptions {
  width: number;
  height: number;
  /** Channel names (written sorted, as OpenEXR requires), all HALF. */
  channels: readonly string[];
  compression: 'none' | 'zips' | 'zip';
  /** Half-float bits of every sample of channel `name` at (x, y); default 0. */
  sample?: (name: string, x: number, y: number) => number;
  /** Every entry of the offset table points at the first chunk: the 18 KB bomb's trick. */
  sharedChunk?: boolean;
}

const COMPRESSION = { none: 0, zips: 2, zip: 3 } as const;
const LINES = { none: 1, zips: 1, zip: 16 } as const;

function attribute(name: string, type: string, value: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32LE(value.length);
  return Buffer.concat([Buffer.from(`${name}\0${type}\0`, 'latin1'), size, value]);
}

/** The header (magic to its terminating null byte) of such a file. */
export function craftHeader(options: Pick<CraftOptions, 'width' | 'height' | 'channels' | 'compression'>): Buffer {
  const names = [...options.channels].sort();
  const chlist = Buffer.alloc(names.reduce((n, name) => n + name.length + 17, 0) + 1);
  let pos = 0;
  for (const name of names) {
    pos += chlist.write(`${name}\0`, pos, 'latin1');
    chlist.writeInt32LE(1, pos); // HALF
    chlist.writeInt32LE(1, pos + 8);
    chlist.writeInt32LE(1, pos + 12);
    pos += 16;
  }
  const box = Buffer.alloc(16);
  box.writeInt32LE(options.width - 1, 8);
  box.writeInt32LE(options.height - 1, 12);
  const start = Buffer.alloc(8);
  start.writeInt32LE(20000630, 0);
  start.writeInt32LE(2, 4);
  return Buffer.concat([
    start,
    attribute('channels', 'chlist', chlist),
    attribute('compression', 'compression', Buffer.from([COMPRESSION[options.compression]])),
    attribute('dataWindow', 'box2i', box),
    attribute('displayWindow', 'box2i', box),
    attribute('lineOrder', 'lineOrder', Buffer.from([0])),
    Buffer.from([0]),
  ]);
}

/** OpenEXR's ZIP pre-pass (ImfZip.cpp): even bytes then odd bytes, then byte deltas + 128. */
function predict(raw: Buffer): Buffer {
  const out = Buffer.alloc(raw.length);
  const half = (raw.length + 1) >> 1;
  for (let i = 0, j = 0; j < half; i += 2, j++) out[j] = raw[i]!;
  for (let i = 1, j = half; j < raw.length; i += 2, j++) out[j] = raw[i]!;
  for (let i = raw.length - 1; i > 0; i--) out[i] = (out[i]! - out[i - 1]! + 384) & 0xff;
  return out;
}

export function craftExr(options: CraftOptions): Buffer {
  const { width, height, compression } = options;
  const names = [...options.channels].sort();
  const lines = LINES[compression];
  const chunkCount = Math.ceil(height / lines);
  const header = craftHeader(options);
  const table = Buffer.alloc(chunkCount * 8);
  const chunks: Buffer[] = [];
  let offset = header.length + table.length;
  for (let chunk = 0; chunk < (options.sharedChunk ? 1 : chunkCount); chunk++) {
    const y0 = chunk * lines;
    const count = Math.min(lines, height - y0);
    const raw = Buffer.alloc(count * names.length * width * 2);
    if (options.sample) {
      let pos = 0;
      for (let y = y0; y < y0 + count; y++) {
        for (const name of names) for (let x = 0; x < width; x++, pos += 2) raw.writeUInt16LE(options.sample(name, x, y), pos);
      }
    }
    const data = compression === 'none' ? raw : deflateSync(predict(raw));
    const head = Buffer.alloc(8);
    head.writeInt32LE(y0, 0);
    head.writeInt32LE(data.length, 4);
    table.writeBigUInt64LE(BigInt(offset), chunk * 8);
    chunks.push(head, data);
    offset += 8 + data.length;
  }
  if (options.sharedChunk) for (let chunk = 1; chunk < chunkCount; chunk++) table.writeBigUInt64LE(table.readBigUInt64LE(0), chunk * 8);
  return Buffer.concat([header, table, ...chunks]);
}

/** `count` distinct channel names, as short as they can be ("a", "b", ..., "aa", ...). */
export function channelNames(count: number): string[] {
  const names: string[] = [];
  for (let i = 0; names.length < count; i++) {
    let name = '';
    for (let n = i; ; n = Math.floor(n / 26) - 1) {
      name = String.fromCharCode(97 + (n % 26)) + name;
      if (n < 26) break;
    }
    names.push(name);
  }
  return names;
}
