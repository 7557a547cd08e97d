// The background-removal evaluation set (../shared/eval/masks: real photos with ground-truth alpha
// mattes or foreground masks; its SOURCES.md says where each comes from) and the scores of a mask
// against it: IoU and boundary F-measure of the cut, alpha MAE and SAD of the soft mask.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { distanceToBackground } from '../../src/raster/distance.js';
import { resizeArea, resizeBilinear } from '../../src/raster/resize.js';
import type { FloatPlane } from '../../src/raster/plane.js';

export type MaskSceneKind = 'single object' | 'animal' | 'person' | 'several objects';
export const MASK_SCENE_KINDS: readonly MaskSceneKind[] = ['single object', 'animal', 'person', 'several objects'];

/**
 * The two halves of masks/ for tuning without fooling oneself (issue 24): tune on one, verify on the
 * other, keep what helps on both. Split by scene: half A is alphamatting GT01, 03, ... 17 (odd), the
 * DAVIS sequences blackswan, breakdance, camel, car-shadow, cows, dog and Weizmann horse282, 285;
 * half B the rest.
 */
export type MaskHalf = 'A' | 'B';
const HALF_A_DAVIS = ['blackswan', 'breakdance', 'camel', 'car-shadow', 'cows', 'dog'];
const HALF_A_HORSES = ['horse282', 'horse285'];

export function maskHalf(id: string): MaskHalf {
  const gt = /^alphamatting_GT(\d+)$/.exec(id);
  if (gt) return Number(gt[1]) % 2 === 1 ? 'A' : 'B';
  const davis = /^davis2016_(.+)_\d+$/.exec(id);
  if (davis) return HALF_A_DAVIS.includes(davis[1]!) ? 'A' : 'B';
  const horse = /^weizmannhorse_(.+)$/.exec(id);
  if (horse) return HALF_A_HORSES.includes(horse[1]!) ? 'A' : 'B';
  return 'B';
}

export interface MaskPair {
  id: string;
  /** alphamatting, davis2016, weizmannhorse: the id's prefix. */
  dataset: string;
  kind: MaskSceneKind;
  rgbPath: string;
  gtPath: string;
  /** 'alpha': a true soft matte (alpha = R/255); 'binary': a 0/1 foreground mask. */
  gtKind: 'alpha' | 'binary';
  /** Stored value above which a binary mask is foreground (127 for 0/255 files, 0 for 0/1 files). */
  threshold: number;
}

/** The rows of masks/pairs.csv (its free-text columns are last, so the first seven split cleanly). */
export function readMaskPairs(evalDir: string): MaskPair[] {
  const dir = join(evalDir, 'masks');
  const csv = join(dir, 'pairs.csv');
  if (!existsSync(csv)) return [];
  const [header, ...lines] = readFileSync(csv, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const columns = header!.split(',');
  const at = (name: string): number => columns.indexOf(name);
  return lines.map((line) => {
    const fields = line.split(',');
    const id = fields[at('id')]!;
    const decode = fields[at('decode')]!;
    const kind = fields[at('scene_kind')] as MaskSceneKind;
    if (!MASK_SCENE_KINDS.includes(kind)) throw new Error(`masks/pairs.csv: unknown scene_kind "${kind}" for ${id}`);
    const gtKind = fields[at('gt_kind')] === 'alpha' ? 'alpha' : 'binary';
    // "foreground = v > 127" or "v > 0": the number after '>' (alpha files: unused).
    const threshold = Number(/>\s*(\d+)/.exec(decode)?.[1] ?? 127);
    return {
      id,
      dataset: id.split('_')[0]!,
      kind,
      rgbPath: join(dir, fields[at('rgb')]!),
      gtPath: join(dir, fields[at('gt')]!),
      gtKind,
      threshold,
    };
  });
}

/** The ground truth as alpha 0..1 at its own size (a binary mask as 0 and 1). */
export async function readMaskTruth(pair: MaskPair): Promise<FloatPlane> {
  const { data, info } = await sharp(pair.gtPath).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const alpha = new Float32Array(info.width * info.height);
  for (let i = 0; i < alpha.length; i++) alpha[i] = pair.gtKind === 'alpha' ? data[i]! / 255 : data[i]! > pair.threshold ? 1 : 0;
  return { width: info.width, height: info.height, data: alpha };
}

export interface MaskScores {
  /** Intersection over union of the cut (alpha >= 0.5) with the truth's (>= 0.5). */
  iou: number;
  /** F-measure of the cut's outline against the truth's, within BOUNDARY_TOLERANCE of the diagonal. */
  boundaryF: number;
  /** Mean absolute difference of the soft alpha from the truth's, per pixel. */
  mae: number;
  /** Sum of absolute differences, in thousands (the alphamatting.com convention). */
  sad: number;
  /** Share of the truth's foreground the cut keeps (recall): below one half, the subject is lost. */
  kept: number;
}

/** Outline pixels within this share of the image diagonal count as matching (0.8 %, as in issue 13). */
export const BOUNDARY_TOLERANCE = 0.008;

/** 1 on the pixels of a 0/1 mask that have a 4-neighbour of the other value. */
function outline(cut: Uint8Array, width: number, height: number): Uint8Array {
  const edge = new Uint8Array(cut.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const v = cut[i]!;
      if (
        (x > 0 && cut[i - 1] !== v) ||
        (x < width - 1 && cut[i + 1] !== v) ||
        (y > 0 && cut[i - width] !== v) ||
        (y < height - 1 && cut[i + width] !== v)
      ) {
        edge[i] = 1;
      }
    }
  }
  return edge;
}

/** Share of the pixels of `from` within `tolerance` px of a pixel of `to` (1 when `from` is empty). */
function matched(from: Uint8Array, to: Uint8Array, width: number, height: number, tolerance: number): number {
  let total = 0;
  for (const v of from) total += v;
  if (total === 0) return 1;
  // Distance to the nearest outline pixel of `to`: the outline is the "background" of its complement.
  const distance = distanceToBackground(
    Float32Array.from(to, (v) => 1 - v),
    width,
    height,
  );
  let hit = 0;
  for (let i = 0; i < from.length; i++) if (from[i] && distance[i]! <= tolerance) hit++;
  return hit / total;
}

/** Scores of a soft mask (0..1, any size: brought to the truth's) against the truth. */
export function maskScores(alpha: FloatPlane, truth: FloatPlane): MaskScores {
  const { width, height } = truth;
  const a = (alpha.width >= width ? resizeArea(alpha, width, height) : resizeBilinear(alpha, width, height)).data;
  const g = truth.data;
  const cut = new Uint8Array(a.length);
  const gtCut = new Uint8Array(a.length);
  let both = 0;
  let either = 0;
  let truthArea = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    cut[i] = a[i]! >= 0.5 ? 1 : 0;
    gtCut[i] = g[i]! >= 0.5 ? 1 : 0;
    both += cut[i]! & gtCut[i]!;
    either += cut[i]! | gtCut[i]!;
    truthArea += gtCut[i]!;
    sum += Math.abs(a[i]! - g[i]!);
  }
  const tolerance = BOUNDARY_TOLERANCE * Math.hypot(width, height);
  const mine = outline(cut, width, height);
  const theirs = outline(gtCut, width, height);
  const precision = matched(mine, theirs, width, height, tolerance);
  const recall = matched(theirs, mine, width, height, tolerance);
  return {
    iou: either === 0 ? 1 : both / either,
    boundaryF: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    mae: sum / a.length,
    sad: sum / 1000,
    kept: truthArea === 0 ? 1 : both / truthArea,
  };
}
