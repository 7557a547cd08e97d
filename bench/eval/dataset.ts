// The evaluation set: pairs.csv rows, their photos, and ground truth decoded to depth (see
// ../shared/eval/MANIFEST.md for the decode rules this follows). Disparity is not depth: a row whose
// gt_kind is disparity is decoded as disparity, whatever its file format, and turned into depth
// (metres with a calibration, else 1/disparity in arbitrary units: every score is scale-invariant).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import sharp from 'sharp';

/** What a scene is, for the per-kind tables: the bundled model's prior fits only the first. */
export type SceneKind = 'indoor' | 'outdoor' | 'object';

export interface Pair {
  id: string;
  dataset: string;
  kind: SceneKind;
  rgbPath: string;
  gtPath: string;
  gtKind: 'depth' | 'disparity';
  /** Divisor from stored value to metres ("meters = v/1000") or to disparity px ("disparity_px = v/4"). */
  divisor: number;
  invalid: 'zero' | 'inf';
  /** The scene it shows (SCENE_GROUPS): frames of one scene are never split between halves. */
  scene: string;
  /** Which half of the evaluation it belongs to (SPLIT_HALVES): tune on one, verify on the other. */
  half: Half;
}

/** The two halves of the scene split (docs/models-and-quality.md "Depth quality"). */
export type Half = 'A' | 'B';

/**
 * Scene groups of ../shared/eval (MANIFEST.md, "Duplicates"): frames that show one room, one desk,
 * one drive or one stereo scene are one group, so no scene is seen on both sides of the split.
 * The three NYU test frames are one basement too (not in MANIFEST's list, but pairs.csv notes say
 * "basement" and the same wardrobe stands in frames 00000 and 00100). A pair not listed is its own
 * group.
 */
const SCENE_GROUPS: Record<string, string> = {
  nyu_m3d_00000: 'nyu-basement',
  nyu_m3d_00050: 'nyu-basement',
  nyu_m3d_00100: 'nyu-basement',
  // nyu_open3d_raw (not in pairs.csv: unregistered) is the same scene as nyu_m3d_00000.
  nyu_open3d_raw: 'nyu-basement',
  nyu_unidepth_demo: 'nyu-living-room',
  kinect_sb2_1: 'kinect-dining-room',
  kinect_sb2_2: 'kinect-dining-room',
  kinect_sb2_3: 'kinect-dining-room',
  kinect_sb2_4: 'kinect-dining-room',
  kinect_sb2_5: 'kinect-dining-room',
  tum_open3d: 'tum-office',
  tum_sb2_1: 'tum-desk',
  tum_sb2_2: 'tum-desk',
  sun_open3d: 'sun-corridor',
  kitti_m3d_0005: 'kitti-drive',
  kitti_m3d_0050: 'kitti-drive',
  kitti_m3d_0100: 'kitti-drive',
  mb2014Q_Motorcycle: 'mb-motorcycle',
  'mb2003_cones-im6': 'mb-cones',
  mb2003_cones: 'mb-cones',
  mb2001_tsukuba: 'mb-tsukuba',
  mb2001_venus: 'mb-venus',
};

/**
 * The halves, by scene group: each has rooms from both Kinect sensors' datasets (NYU-like and TUM)
 * and Middlebury objects of two different years. KITTI is the only outdoor scene (one drive), so
 * it can be in one half only: B. A: 10 pairs of 5 scenes, B: 11 pairs of 6 scenes.
 */
const SPLIT_HALVES: Record<string, Half> = {
  'kinect-dining-room': 'A',
  'tum-office': 'A',
  'sun-corridor': 'A',
  'mb-cones': 'A',
  'mb-venus': 'A',
  'nyu-basement': 'B',
  'nyu-living-room': 'B',
  'tum-desk': 'B',
  'kitti-drive': 'B',
  'mb-motorcycle': 'B',
  'mb-tsukuba': 'B',
};

/** A scene group's half: the table's, else a stable hash of its name (another folder's scenes). */
export function halfOf(scene: string): Half {
  const listed = SPLIT_HALVES[scene];
  if (listed) return listed;
  let hash = 2166136261;
  for (let i = 0; i < scene.length; i++) hash = Math.imul(hash ^ scene.charCodeAt(i), 16777619) >>> 0;
  return hash % 2 === 0 ? 'A' : 'B';
}

/** The pairs of one half (or all of them without one). */
export function splitPairs(pairs: Pair[], half?: Half): Pair[] {
  return half ? pairs.filter((p) => p.half === half) : pairs;
}

export interface GroundTruth {
  width: number;
  height: number;
  /** Depth, larger = farther: metres, or 1/disparity for uncalibrated disparity; NaN where invalid. */
  depth: Float32Array;
  /** False for uncalibrated disparity (Middlebury 2001/2003): depth is known up to scale only. */
  metric: boolean;
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
      row[header[rgbColumn - 1]!] = fields
        .slice(rgbColumn - 1, rgb)
        .join(',')
        .trim();
      header.slice(rgbColumn, rgbColumn + fixed).forEach((name, i) => (row[name] = (fields[rgb + i] ?? '').trim()));
      header.slice(rgbColumn + fixed).forEach(
        (name) =>
          (row[name] = fields
            .slice(rgb + fixed)
            .join(',')
            .trim()),
      );
      return row;
    });
}

/** The scored pairs of an evaluation folder laid out like ../shared/eval. */
export function readPairs(evalDir: string): Pair[] {
  const rows = parsePairsCsv(readFileSync(join(evalDir, 'pairs.csv'), 'utf8'));
  return rows.map((row) => {
    const kind = row.gt_kind === 'disparity' ? 'disparity' : 'depth';
    const divisor = Number(/v\s*\/\s*([\d.]+)/.exec(row.to_metric_or_px ?? '')?.[1] ?? '1');
    if (!(divisor > 0)) throw new Error(`pairs.csv ${row.id}: cannot read the decode rule "${row.to_metric_or_px}"`);
    const dataset = shortDataset(row.dataset!);
    const scene = SCENE_GROUPS[row.id!] ?? row.id!;
    return {
      id: row.id!,
      scene,
      half: halfOf(scene),
      dataset,
      kind: sceneKind(dataset),
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

/** KITTI drives outdoors; Middlebury's stereo scenes are objects on a table; the rest are rooms. */
function sceneKind(dataset: string): SceneKind {
  if (/kitti|outdoor|eth3d|driving/i.test(dataset)) return 'outdoor';
  if (/middlebury/i.test(dataset)) return 'object';
  return 'indoor';
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

/** The photos of masks/ (each with a ground-truth matte beside it), for the relief section. */
export function listMaskPhotos(evalDir: string): string[] {
  const dir = join(evalDir, 'masks');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.rgb\.(jpe?g|png|webp)$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** A photo's name in tables and file names: 'cadene_cat', 'davis2016_goat_00045'. */
export function photoName(path: string): string {
  return basename(path).replace(/\.(rgb\.)?(png|jpe?g|webp)$/i, '');
}

/** The two halves of the photos: styles are tuned on one and judged on the other, never looked at while tuning. */
export type PhotoSplit = 'tune' | 'held-out';

/**
 * The held-out half (issue 24): of photos/ a cat, two faces, a fruit and two scenes; of masks/
 * the even alphamatting GTs, five DAVIS frames and three Weizmann horses. Each half mixes the
 * kinds (animals, people, objects, scenes) so a style tuned on one is fairly tried on the other.
 */
const HELD_OUT =
  /^(cadene_cat|facerec_biden|facerec_two_people|opencv_orange|metric3d_david-kohler|metric3d_jonathan-borba|alphamatting_GT(0[2468]|1[02468])$|davis2016_(goat|kite-surf|libby|scooter-black|soapbox)_|weizmannhorse_horse(295|300|320)$)/;

export function photoSplit(name: string): PhotoSplit {
  return HELD_OUT.test(name) ? 'held-out' : 'tune';
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
  if (pair.gtPath.endsWith('.pfm')) {
    const { width, height, values } = readPfm(bytes);
    const calib = pair.gtPath.replace(/\.disp0GT\.pfm$/, '.calib.txt');
    const toDepth = existsSync(calib) ? middleburyDepth(calib) : (d: number) => 1 / d;
    const depth = values.map((d) => (Number.isFinite(d) && d > 0 ? toDepth(d / pair.divisor) : Number.NaN));
    return finish(width, height, depth, existsSync(calib));
  }
  const { width, height, values } = pair.gtPath.endsWith('.pgm') ? readPgm16(bytes) : await readPng(bytes, pair.gtPath);
  const depth = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]! / pair.divisor;
    // Zero is invalid in every integer format of the set (MANIFEST.md, "Decode rules").
    depth[i] = values[i] === 0 ? Number.NaN : pair.gtKind === 'disparity' ? 1 / v : v;
  }
  return finish(width, height, depth, pair.gtKind === 'depth');
}

/** A one-channel PNG at its own bit depth: 8-bit values stay 0..255 (not widened to 16 bits). */
async function readPng(bytes: Buffer, path: string): Promise<{ width: number; height: number; values: Uint16Array | Uint8Array }> {
  const meta = await sharp(bytes).metadata();
  const wide = meta.depth === 'ushort';
  // grey16 keeps 16-bit values as stored; on 8-bit data it would widen them (x 257).
  const { data, info } = await (
    wide ? sharp(bytes).toColourspace('grey16').raw({ depth: 'ushort' }) : sharp(bytes).extractChannel(0).raw()
  ).toBuffer({
    resolveWithObject: true,
  });
  if ((meta.channels ?? 1) > 2) throw new Error(`${path}: ${meta.channels} channels, expected one`);
  const values = wide
    ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2)
    : new Uint8Array(data.buffer, data.byteOffset, data.length);
  return { width: info.width, height: info.height, values };
}

function finish(width: number, height: number, depth: Float32Array, metric: boolean): GroundTruth {
  let valid = 0;
  for (const d of depth) if (d > 0) valid++;
  return { width, height, depth, metric, coverage: valid / depth.length };
}
