// The background-removal section of `npm run eval`: every mask variant over masks/pairs.csv, scored
// against the ground truth (bench/eval/masks.ts), with tables per scene kind, one JSON record per
// variant and level, and a contact sheet per photo (photo | truth | each variant's mask over it).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeImage } from '../../src/raster/decode.js';
import { isInstalled } from '../../src/models/model-cache.js';
import { runPipeline, type DepthTuning, type PipelineParams } from '../../src/pipeline/run.js';
import { ModelSessions, type SessionOptions } from '../../src/models/sessions.js';
import type { FloatPlane } from '../../src/raster/plane.js';
import { median } from '../report.js';
import {
  MASK_SCENE_KINDS,
  maskHalf,
  maskScores,
  type MaskHalf,
  readMaskPairs,
  readMaskTruth,
  type MaskPair,
  type MaskScores,
} from './masks.js';
import { contactSheet, greyPanel, overlayPanel, photoPanel, type Panel } from './render.js';

export interface MaskVariant {
  name: string;
  what: string;
  params: PipelineParams;
  tuning?: Partial<DepthTuning>;
  /** A mask model other than the bundled default (the variant is skipped when it is not installed). */
  maskModel?: string;
}

export interface MaskRow extends MaskScores {
  section: 'masks';
  /** One pair, one scene kind, or every pair. */
  level: 'pair' | 'kind' | 'all';
  /** The pair's id, the scene kind, or 'all'. */
  dataset: string;
  variant: string;
  pairs: number;
  /** Pairs whose cut keeps less than half of the true foreground. */
  lost: number;
  /** Median milliseconds of the mask stage per image (ModelSessions warm). */
  msPerImage: number;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function fmt(row: MaskRow): string {
  return `| ${row.variant} | ${row.pairs} | ${row.iou.toFixed(3)} | ${row.boundaryF.toFixed(3)} | ${row.mae.toFixed(4)} | ${row.sad.toFixed(1)} | ${row.lost} | ${Math.round(row.msPerImage)} |`;
}

function table(title: string, rows: MaskRow[]): string {
  return [
    `### ${title}`,
    '',
    '| variant | pairs | IoU ↑ | boundary F ↑ | alpha MAE ↓ | SAD (k) ↓ | subject lost | ms/image |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(fmt),
    '',
  ].join('\n');
}

/** IoU / boundary F of every pair, one column per variant. */
function pairTable(rows: MaskRow[], variants: string[]): string {
  const ids = [...new Set(rows.map((r) => r.dataset))];
  const cell = (id: string, v: string): string => {
    const r = rows.find((x) => x.dataset === id && x.variant === v);
    return r ? `${r.iou.toFixed(2)} / ${r.boundaryF.toFixed(2)}` : '';
  };
  return [
    '### Masks per pair (IoU ↑ / boundary F ↑)',
    '',
    `| pair | ${variants.join(' | ')} |`,
    `| --- |${variants.map(() => ' ---: |').join('')}`,
    ...ids.map((id) => `| ${id} | ${variants.map((v) => cell(id, v)).join(' | ')} |`),
    '',
  ].join('\n');
}

interface Scored {
  pair: MaskPair;
  scores: MaskScores;
  ms: number;
}

function summarize(level: MaskRow['level'], dataset: string, variant: string, list: Scored[]): MaskRow {
  const pick = (k: keyof MaskScores): number => mean(list.map((x) => x.scores[k]));
  return {
    section: 'masks',
    level,
    dataset,
    variant,
    pairs: list.length,
    iou: pick('iou'),
    boundaryF: pick('boundaryF'),
    mae: pick('mae'),
    sad: pick('sad'),
    kept: pick('kept'),
    lost: list.filter((x) => x.scores.kept < 0.5).length,
    msPerImage: median(list.map((x) => x.ms)),
  };
}

/** The sessions of each mask model the variants use (the default one is `sessions`). */
function sessionsFor(variants: MaskVariant[], sessions: ModelSessions, options: SessionOptions): Map<string | undefined, ModelSessions> {
  const map = new Map<string | undefined, ModelSessions>([[undefined, sessions]]);
  for (const v of variants)
    if (v.maskModel && !map.has(v.maskModel)) map.set(v.maskModel, new ModelSessions({ ...options, maskModel: v.maskModel }));
  return map;
}

/**
 * Scores every variant on every pair of <evalDir>/masks; returns the report (markdown) and rows.
 * Variants whose mask model is not installed are left out, saying so.
 */
export async function evaluateMasks(
  evalDir: string,
  wanted: MaskVariant[],
  sessions: ModelSessions,
  sessionOptions: SessionOptions,
  out: string,
  sheets: boolean,
  /** Score one half only (the other is for verifying what was tuned on this one). */
  split?: MaskHalf,
): Promise<{ report: string; rows: MaskRow[] }> {
  const pairs = readMaskPairs(evalDir).filter((p) => split === undefined || maskHalf(p.id) === split);
  if (pairs.length === 0) return { report: '', rows: [] };
  const skipped = wanted.filter((v) => v.maskModel && !isInstalled(v.maskModel));
  const variants = wanted.filter((v) => !skipped.includes(v));
  const bySessions = sessionsFor(variants, sessions, sessionOptions);
  // Warm up each variant (sessions, JIT) on the first photo: none of it counts in the times.
  const warm = readFileSync(pairs[0]!.rgbPath);
  for (const v of variants) await runPipeline(warm, v.params, bySessions.get(v.maskModel)!, v.tuning);

  const scored = new Map<string, Scored[]>();
  for (const pair of pairs) {
    const truth = await readMaskTruth(pair);
    const bytes = readFileSync(pair.rgbPath);
    const masks: { label: string; alpha: FloatPlane; scores: MaskScores }[] = [];
    for (const v of variants) {
      const result = await runPipeline(bytes, v.params, bySessions.get(v.maskModel)!, v.tuning);
      const alpha = {
        width: result.width,
        height: result.height,
        data: result.alpha ?? new Float32Array(result.width * result.height).fill(1),
      };
      const scores = maskScores(alpha, truth);
      masks.push({ label: v.name, alpha, scores });
      const list = scored.get(v.name) ?? [];
      list.push({ pair, scores, ms: result.timings.mask });
      scored.set(v.name, list);
    }
    if (sheets) await maskSheet(pair, truth, masks, out);
    process.stderr.write(`  masks: scored ${pair.id}\n`);
  }

  const rows: MaskRow[] = [];
  let report = `## Background removal (${pairs.length} photos with ground-truth mattes, ${evalDir}/masks${split ? `, half ${split}` : ''})\n\n`;
  // The whole set and its kinds, then each half and its kinds (rows named 'A: animal' and so on).
  const halves: (MaskHalf | undefined)[] = [undefined, 'A', 'B'];
  const groups: { level: MaskRow['level']; name: string; has: (p: MaskPair) => boolean }[] = halves.flatMap((half) => {
    const inHalf = (p: MaskPair): boolean => half === undefined || maskHalf(p.id) === half;
    const prefix = half ? `${half}: ` : '';
    return [
      { level: 'all' as const, name: `${prefix}all`, has: inHalf },
      ...MASK_SCENE_KINDS.map((k) => ({ level: 'kind' as const, name: `${prefix}${k}`, has: (p: MaskPair) => inHalf(p) && p.kind === k })),
    ];
  });
  for (const group of groups) {
    const groupRows = variants.flatMap((v) => {
      const list = (scored.get(v.name) ?? []).filter((x) => group.has(x.pair));
      return list.length ? [summarize(group.level, group.name, v.name, list)] : [];
    });
    if (groupRows.length === 0) continue;
    rows.push(...groupRows);
    report +=
      table(
        group.name.endsWith('all') ? `All photos${group.name === 'all' ? '' : ` of half ${group.name[0]}`}` : `Kind: ${group.name}`,
        groupRows,
      ) + '\n';
  }
  const pairRows = variants.flatMap((v) => (scored.get(v.name) ?? []).map((x) => summarize('pair', x.pair.id, v.name, [x])));
  rows.push(...pairRows);
  report +=
    pairTable(
      pairRows,
      variants.map((v) => v.name),
    ) + '\n';
  report += 'Mask variants:\n' + variants.map((v) => `- ${v.name}: ${v.what}`).join('\n') + '\n';
  if (skipped.length)
    report +=
      skipped
        .map((v) => `- ${v.name}: not run, ${v.maskModel} is not installed (\`npx depthmill models pull ${v.maskModel}\`)`)
        .join('\n') + '\n';
  for (const s of bySessions.values()) if (s !== sessions) await s.release();
  return { report, rows };
}

/** photo | truth | each variant's cut over the photo, with its IoU and boundary F in the label. */
async function maskSheet(
  pair: MaskPair,
  truth: FloatPlane,
  masks: { label: string; alpha: FloatPlane; scores: MaskScores }[],
  out: string,
): Promise<void> {
  const decoded = await decodeImage(readFileSync(pair.rgbPath));
  const h = 200;
  const w = Math.round((h * decoded.width) / decoded.height);
  const photo = await photoPanel(decoded.rgb, decoded.width, decoded.height, w, h);
  const rows: { label: string; panels: Panel[] }[] = [{ label: 'photo | ground truth', panels: [photo, greyPanel(truth, w, h)] }];
  for (const m of masks) {
    rows.push({
      label: `${m.label}: IoU ${m.scores.iou.toFixed(3)}, boundary F ${m.scores.boundaryF.toFixed(3)}, MAE ${m.scores.mae.toFixed(4)}`,
      panels: [overlayPanel(photo, m.alpha), greyPanel(m.alpha, w, h)],
    });
  }
  writeFileSync(
    join(out, `masks-${pair.id}.png`),
    await contactSheet(rows, `${pair.id} (${pair.kind}): the cut over the photo (removed part dimmed and tinted) | soft alpha`),
  );
}

/** photo | each variant's cut over it and its soft alpha, for a photo without ground truth (--mask-photos). */
export async function maskPhotoSheet(path: string, variants: MaskVariant[], sessions: ModelSessions, out: string): Promise<string> {
  const bytes = readFileSync(path);
  const decoded = await decodeImage(bytes);
  const h = 240;
  const w = Math.round((h * decoded.width) / decoded.height);
  const photo = await photoPanel(decoded.rgb, decoded.width, decoded.height, w, h);
  const rows: { label: string; panels: Panel[] }[] = [];
  for (const v of variants.filter((x) => !x.maskModel)) {
    const result = await runPipeline(bytes, v.params, sessions, v.tuning);
    const alpha = {
      width: result.width,
      height: result.height,
      data: result.alpha ?? new Float32Array(result.width * result.height).fill(1),
    };
    let kept = 0;
    for (const a of alpha.data) kept += a >= 0.5 ? 1 : 0;
    rows.push({
      label: `${v.name}: ${((100 * kept) / alpha.data.length).toFixed(1)} % kept, mask stage ${Math.round(result.timings.mask)} ms`,
      panels: [photo, overlayPanel(photo, alpha), greyPanel(alpha, w, h)],
    });
  }
  const file = join(out, `maskphoto-${basename(path).replace(/\.[^.]+$/, '')}.png`);
  writeFileSync(file, await contactSheet(rows, `${basename(path)}: photo | the cut over it (removed part dimmed and tinted) | soft alpha`));
  return file;
}
