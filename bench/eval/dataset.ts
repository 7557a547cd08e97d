// The evaluation set: pairs.csv rows, their photos, and ground truth decoded to metres
// (see ../shared/eval/MANIFEST.md for the decode rules this follows).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export interface Pair {
  id: string;
  dataset: string;
  rgbPath: string;
  gtPath: string;
  gtKind: 'depth' | 'disparity';
  /** Divisor from stored value to metres ("meters = v/1000"), for depth GT. */
  divisor: number;
  invalid: 'zero' | 'inf';
}

export interface GroundTruth {
  width: number;
  height: number;
  /** Metres; NaN where invalid. */
  depth: Float32Array;
  /** Fraction of valid pixels. */
  coverage: number;
}

/**
 * pairs.csv as written: free-text columns (dataset, notes) may hold unquoted commas. The columns
 * from `rgb` to `height` are fixed, so a row with extra fields is re-split around them: `rgb` is
 * the first field after `id` that names an image file.
 */
function parsePairsCsv(text: string): Record<string, string>[] {
  const header = text.split(/\r?\n/, 1)[0]!.split(',');
  const rgbColumn = header.indexOf('rgb');
  const fixed = header.indexOf('height') - rgbColumn + 1;
  return text
    .split(/\r?\n/)
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const fields = line.split(',');
      const rgb = fields.findIndex((f, i) => i >= rgbColumn && /\.(png|jpe?g|ppm|webp)$/i.test(f.trim()));
      if (rgb < 0) throw new Error(`pairs.csv: no rgb file in "${line}"`);
      const row: Record<string, string> = {};
      header.slice(0, rgbColumn - 1).forEach((name, i) => (row[name] = fields[i]!.trim()));
      row[header[rgbColumn - 1]!] = fields.slice(rgbColumn - 1, rgb).join(',').trim();
      header.slice(rgbColumn, rgbColumn + fixed).forEach((name, i) => (row[name] = (fields[rgb + i] ?? '').trim()));
      header.slice(rgbColumn + fixed).forEach((name) => (row[name] = fields.slice(rgb + fixed).join(',').trim()));
      return row;
    });
}

/** The scored pairs of an evaluation folder laid out like ../shared/eval. */
export function readPairs(evalDir: string): Pair[] {
  const rows = parsePairsCsv(readFileSync(join(evalDir, 'pairs.csv'), 'utf8'));
  return rows.map((row) => {
    const kind = row.gt_kind === 'disparity' ? 'disparity' : 'depth';
    const divisor = Number(/v\s*\/\s*([\d.]+)/.exec(row.to_metric_or_px ?? '')?.[1] ?? '1');
    if (kind === 'depth' && !(divisor > 0)) throw new Error(`pairs.csv ${row.id}: cannot read the decode rule "${row.to_metric_or_px}"`);
    return {
      id: row.id!,
      dataset: shortDataset(row.dataset!),
      rgbPath: join(evalDir, row.rgb!),
      gtPath: join(evalDir, row.gt!),
      gtKind: kind,
      divisor,
      invalid: /inf/i.test(row.invalid ?? '') ? 'inf' : 'zero',
    };
  });
}

/** "NYU Depth v2 (test, BTS/Eigen sync format)" -> "NYU Depth v2": one table per dataset. */
function shortDataset(name: string): string {
  return name.replace(/\s*\(.*$/, '').trim();
}

/** The photos without ground truth (for contact sheets). */
export function listPhotos(evalDir: string): string[] {
  const dir = join(evalDir, 'photos');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** 16-bit binary PGM (P5), big-endian as the Netpbm spec says. */
function readPgm16(bytes: Buffer): { width: number; height: number; values: Uint16Array } {
  const header = /^P5\s+(?:#.*\s+)*(\d+)\s+(?:#.*\s+)*(\d+)\s+(?:#.*\s+)*(\d+)\s/.exec(bytes.toString('latin1', 0, 200));
  if (!header) throw new Error('not a binary PGM');
  const [width, height, maxval] = [Number(header[1]), Number(header[2]), Number(header[3])];
  if (maxval < 256) throw new Error('8-bit PGM: not depth');
  const offset = header[0].length;
  const values = new Uint16Array(width * height);
  for (let i = 0; i < values.length; i++) values[i] = bytes.readUInt16BE(offset + i * 2);
  return { width, height, values };
}

/** PFM (float32; negative scale = little-endian; rows stored bottom to top), one channel. */
function readPfm(bytes: Buffer): { width: number; height: number; values: Float32Array } {
  const header = /^Pf\s+(\d+)\s+(\d+)\s+(-?[\d.eE+-]+)\s/.exec(bytes.toString('latin1', 0, 100));
  if (!header) throw new Error('not a one-channel PFM');
  const [width, height, scale] = [Number(header[1]), Number(header[2]), Number(header[3])];
  const offset = header[0].length;
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = offset + (height - 1 - y) * width * 4;
    for (let x = 0; x < width; x++) {
      values[y * width + x] = scale < 0 ? bytes.readFloatLE(row + x * 4) : bytes.readFloatBE(row + x * 4);
    }
  }
  return { width, height, values };
}

/** Middlebury calib.txt -> depth (m) from disparity: baseline * f / (d + doffs), mm -> m. */
function middleburyDepth(calibPath: string): (disparity: number) => number {
  const text = readFileSync(calibPath, 'utf8');
  const f = Number(/cam0=\[\s*([\d.]+)/.exec(text)?.[1]);
  const baseline = Number(/baseline=([\d.]+)/.exec(text)?.[1]);
  const doffs = Number(/doffs=([\d.]+)/.exec(text)?.[1]);
  if (!(f > 0 && baseline > 0 && doffs >= 0)) throw new Error(`${calibPath}: cannot read f, baseline, doffs`);
  return (d) => (baseline * f) / (d + doffs) / 1000;
}

export async function readGroundTruth(pair: Pair): Promise<GroundTruth> {
  const bytes = readFileSync(pair.gtPath);
  let width: number;
  let height: number;
  const depth = (() => {
    if (pair.gtPath.endsWith('.pfm')) {
      const pfm = readPfm(bytes);
      ({ width, height } = pfm);
      const toDepth = middleburyDepth(pair.gtPath.replace(/\.disp0GT\.pfm$/, '.calib.txt'));
      return pfm.values.map((d) => (Number.isFinite(d) && d > 0 ? toDepth(d) : Number.NaN));
    }
    return undefined;
  })();
  if (depth) return finish(width!, height!, depth);
  let values: Uint16Array;
  if (pair.gtPath.endsWith('.pgm')) {
    ({ width, height, values } = readPgm16(bytes));
  } else {
    const { data, info } = await sharp(bytes).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`${pair.gtPath}: ${info.channels} channels`);
    ({ width, height } = info);
    values = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  }
  const metres = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) metres[i] = values[i] === 0 ? Number.NaN : values[i]! / pair.divisor;
  return finish(width, height, metres);
}

function finish(width: number, height: number, depth: Float32Array): GroundTruth {
  let valid = 0;
  for (const d of depth) if (d > 0) valid++;
  return { width, height, depth, coverage: valid / depth.length };
}
