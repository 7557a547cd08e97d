// Depth quality evaluation: every pipeline variant over an evaluation folder laid out like
// ../shared/eval (pairs.csv + photos/). Prints one table per dataset, writes JSON and contact
// sheets. Protocol: bench/eval/metrics.ts and docs/models-and-quality.md "Depth quality".
//
//   npm run eval -- <eval-dir> [--json <file>] [--out <dir>] [--variants a,b] [--ablation] [--split A|B]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { decodeImage } from '../src/raster/decode.js';
import { predictInverseDepth } from '../src/pipeline/depth.js';
import type { SubjectMaskOptions } from '../src/pipeline/subject-mask.js';
import { runPipeline, TUNING, type DepthTuning, type PipelineParams, type PipelineResult } from '../src/pipeline/run.js';
import { ModelSessions } from '../src/models/sessions.js';
import { resizeBilinear } from '../src/raster/resize.js';
import type { FloatPlane } from '../src/raster/plane.js';
import {
  listPhotos,
  readGroundTruth,
  readPairs,
  splitPairs,
  type GroundTruth,
  type Half,
  type Pair,
  type PhotoSplit,
} from './eval/dataset.js';
import { metricScores, score, toSize, type Scores } from './eval/metrics.js';
import { blankPanel, centreCrop, contactSheet, greyPanel, photoPanel, shadedPanel, type Panel } from './eval/render.js';
import { MACHINE, median } from './report.js';
import { evaluateMasks, maskPhotoSheet, type MaskVariant } from './eval/mask-section.js';
import type { MaskHalf } from './eval/masks.js';
import { runSinglePass } from './eval/single-pass.js';
import { evaluateReliefs, RELIEF_VARIANTS, reliefTry, type ReliefVariant } from './eval/relief-section.js';
import { evaluateLithophanes } from './eval/lithophane-section.js';
import { DEFAULT_DEGREE_RMBG } from '../src/pipeline/mask.js';

interface Variant {
  name: string;
  what: string;
  params: PipelineParams;
  tuning?: Partial<DepthTuning>;
  /** The first version's single pass (eval/single-pass.ts) instead of runPipeline. */
  single?: boolean;
  /** rmbg variants: scored inside their own mask, on the object datasets only (--objects). */
  objects?: boolean;
}

function runVariant(
  bytes: Buffer,
  variant: Pick<Variant, 'params' | 'tuning' | 'single'>,
  sessions: ModelSessions,
): Promise<PipelineResult> {
  return variant.single ? runSinglePass(bytes, variant.params, sessions) : runPipeline(bytes, variant.params, sessions, variant.tuning);
}

const params = (modelType: 'base' | 'pro', rmbg = false): PipelineParams => ({ modelType, rmbg, degreeRmbg: 0.02 });

const MAIN: Variant[] = [
  { name: 'single', what: 'plain single pass, squashed, bilinear to 1024 (v1)', params: params('base'), single: true },
  { name: 'base', what: 'single pass + guided upsampling to 1024', params: params('base') },
  {
    name: 'pro',
    what: 'global pass + tiles at 2x (their detail finer than ~8 grid px), subject in front, guided upsampling to 2048',
    params: params('pro'),
  },
  { name: 'single+rmbg', what: 'v1 with background removal', params: params('base', true), single: true, objects: true },
  { name: 'pro+rmbg', what: 'pro with background removal and object shaping', params: params('pro', true), objects: true },
];

const pro = TUNING.pro;
const base = TUNING.base;
/** One knob changed at a time from the defaults (TUNING in src/pipeline/run.ts). */
const ABLATION: Variant[] = [
  {
    name: 'base/feed=pad',
    what: 'global pass on the image padded to 4:3',
    params: params('base'),
    tuning: { fuse: { ...base.fuse, feed: 'pad' } },
  },
  {
    name: 'base/feed=crop',
    what: 'global pass as 4:3 crops merged',
    params: params('base'),
    tuning: { fuse: { ...base.fuse, feed: 'crop' } },
  },
  {
    name: 'pro/no priors',
    what: 'pro without the scene priors (the model alone)',
    params: params('pro'),
    tuning: { sky: false, subject: 0 },
  },
  { name: 'pro/no subject', what: 'pro without the salient subject put in front', params: params('pro'), tuning: { subject: 0 } },
  {
    name: 'pro/subject unshaped',
    what: 'pro: the subject put in front with its own shape',
    params: params('pro'),
    tuning: { subjectShape: null },
  },
  {
    name: 'pro/subject as cut-out',
    what: 'pro: the subject shaped like an rmbg=1 object (volume 2, model 0.3)',
    params: params('pro'),
    tuning: { subjectShape: { volume: 2, model: 0.3 } },
  },
  { name: 'base/bilinear', what: 'base without the guided filter', params: params('base'), tuning: { guided: [] } },
  { name: 'pro/bilinear', what: 'pro without the guided filter', params: params('pro'), tuning: { guided: [] } },
  {
    name: 'pro/no tiles',
    what: 'pro without tiles (global pass only, 2K)',
    params: params('pro'),
    tuning: { fuse: { ...pro.fuse, zooms: [] } },
  },
  {
    name: 'pro/lowpass=0',
    what: 'tiles replace the global estimate (after alignment)',
    params: params('pro'),
    tuning: { fuse: { ...pro.fuse, lowpass: 0 } },
  },
  {
    name: 'pro/lowpass=16',
    what: 'tiles give only their detail finer than ~16 grid px',
    params: params('pro'),
    tuning: { fuse: { ...pro.fuse, lowpass: 16 } },
  },
  { name: 'pro/zoom=1.5', what: 'tiles at 1.5x', params: params('pro'), tuning: { fuse: { ...pro.fuse, zooms: [1.5] }, gridScale: 1.5 } },
  {
    name: 'pro/zoom=2,3',
    what: 'tiles at 2x, then 3x',
    params: params('pro'),
    tuning: { fuse: { ...pro.fuse, zooms: [2, 3] }, gridScale: 3 },
  },
  {
    name: 'pro/mirrored',
    what: 'pro, every window also seen mirrored and averaged',
    params: params('pro'),
    tuning: { fuse: { ...pro.fuse, flip: true } },
  },
  { name: 'pro/feed=pad', what: 'pro, global pass padded to 4:3', params: params('pro'), tuning: { fuse: { ...pro.fuse, feed: 'pad' } } },
  {
    name: 'pro+rmbg/model only',
    what: 'objects: model depth only (no volume)',
    params: params('pro', true),
    tuning: { objects: null },
    objects: true,
  },
  {
    name: 'pro+rmbg/v=2,m=0',
    what: 'objects: volume on the model plane, no model shape',
    params: params('pro', true),
    tuning: { objects: { volume: 2, model: 0 } },
    objects: true,
  },
  {
    name: 'pro+rmbg/v=1,m=0.3',
    what: 'objects: half the volume',
    params: params('pro', true),
    tuning: { objects: { volume: 1, model: 0.3 } },
    objects: true,
  },
  {
    name: 'pro+rmbg/v=3,m=0.3',
    what: 'objects: 1.5x the volume',
    params: params('pro', true),
    tuning: { objects: { volume: 3, model: 0.3 } },
    objects: true,
  },
  {
    name: 'pro+rmbg/v=2,m=0.6',
    what: 'objects: twice the model shape',
    params: params('pro', true),
    tuning: { objects: { volume: 2, model: 0.6 } },
    objects: true,
  },
];

const maskParams = (modelType: 'base' | 'pro'): PipelineParams => ({ modelType, rmbg: true, degreeRmbg: DEFAULT_DEGREE_RMBG });

/** Background removal variants, scored on masks/ (bench/eval/mask-section.ts). */
const MASK_VARIANTS: MaskVariant[] = [
  {
    name: 'before',
    what: 'the cut of issue 12: U2-Net-p saliency > degree_rmbg, guided refinement (base)',
    params: maskParams('base'),
    tuning: { subjectMask: null },
  },
  { name: 'base', what: 'the mask stage (base)', params: maskParams('base') },
  { name: 'pro', what: 'the mask stage (pro)', params: maskParams('pro') },
  {
    name: 'isnet',
    what: 'the mask stage with ISNet (pulled, opt-in) instead of U2-Net-p (base)',
    params: maskParams('base'),
    maskModel: 'isnet',
  },
];

interface Options {
  evalDir: string;
  /** Which sections run: the depth evaluation, the background removal one, the reliefs' (default all). */
  sections: { depth: boolean; masks: boolean; relief: boolean; lithophane: boolean };
  maskVariants: MaskVariant[];
  reliefVariants: ReliefVariant[];
  json?: string;
  out: string;
  variants: Variant[];
  objects: RegExp;
  sheets: boolean;
  photos: RegExp;
  /** The relief section's half of the photos (default both). */
  photoSplit?: PhotoSplit;
  scores: boolean;
  /** The --try variants (also shown on the contact sheets). */
  tries: Variant[];
  docs?: string;
  /** --split: one half of the scene split only. */
  split?: Half;
  /** --mask-split: score one half of masks/ only. */
  maskSplit?: MaskHalf;
  /** --mask-photos: sheets of the mask variants' cuts over these photos of <eval-dir>/photos. */
  maskPhotos?: RegExp;
}

const HELP = `Usage: npm run eval -- <eval-dir> [options]

Scores every pipeline variant on the RGB/ground-truth pairs of <eval-dir>/pairs.csv (layout of
../shared/eval) and prints one table per dataset: AbsRel and delta1 after least-squares scale and
shift in inverse depth, iBims-1 depth boundary errors, milliseconds per image. Also checks the
single pass in metres against FastDepth's published NYU figures, and writes a contact sheet per
photo of <eval-dir>/photos.

Options:
  --json <file>        write the table rows as JSON (one record per dataset and variant)
  --out <dir>          contact sheets and per-image scores (default ./eval-out)
  --variants <a,b>     only these variants (names as printed); default: the main ones
  --ablation           also run the ablations (feeding, filtering, tiles, object weights)
  --split A|B          score one half of the scene split only (bench/eval/dataset.ts: halves by
                       scene group, never by frame); without it, every table is also printed per half
  --objects <regex>    datasets on which the rmbg variants are scored (default Middlebury)
  --try <v>:<json>     also run variant v with these tuning overrides (repeatable), e.g.
                       --try 'pro:{"guided":[{"radius":8,"eps":0.0001}]}'
  --no-sheets          skip the contact sheets
  --photos <regex>     contact sheets (depth section), and the relief section's photos, only for
                       the photos whose file name matches
  --sheets-only        skip the scoring (contact sheets, and --docs, only)
  --docs <file>        also write the picture of the output convention (docs/depth-convention.png)
  --only depth|masks|relief|lithophane
                       one section only (default all: depth on pairs.csv, masks on masks/pairs.csv,
                       relief: the relief of the predicted depth against that of the true depth on
                       pairs.csv, and recognisability and big shape of the photos of photos/ and
                       masks/ as cut-outs and plates, measured on the mesh; lithophane: plain and
                       colour lithophanes of photos/ simulated back-lit, the colour's hue against
                       the photo's)
  --photo-split tune|held-out
                       the relief section's photos: the tuning half or the held-out half only
                       (default both, each with its own rows; dataset.ts photoSplit)
  --relief-try <json>  also run the relief engine with these relief fields (repeatable), e.g.
                       --relief-try '{"reliefDetail":0.8,"reliefSmooth":0.3}'
  --mask-variants <a,b> only these background removal variants (default: all whose model is installed)
  --mask-split A|B     score one half of masks/ only (the halves of issue 24: tune on one, verify on
                       the other; the tables always show both halves besides the whole set)
  --mask-photos <regex> with the masks section: a sheet of the base cut over each photo of
                       <eval-dir>/photos whose file name matches (default none)
  --mask-try <json>    also run the base mask stage with these subjectMask options (repeatable), e.g.
                       --mask-try '{"saliency":2}'
  --help               this text
`;

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'string' },
      out: { type: 'string', default: 'eval-out' },
      variants: { type: 'string' },
      ablation: { type: 'boolean', default: false },
      objects: { type: 'string', default: 'Middlebury' },
      try: { type: 'string', multiple: true, default: [] },
      'no-sheets': { type: 'boolean', default: false },
      photos: { type: 'string', default: '.' },
      'sheets-only': { type: 'boolean', default: false },
      docs: { type: 'string' },
      only: { type: 'string' },
      'relief-try': { type: 'string', multiple: true, default: [] },
      'photo-split': { type: 'string' },
      'mask-try': { type: 'string', multiple: true, default: [] },
      'mask-variants': { type: 'string' },
      split: { type: 'string' },
      'mask-split': { type: 'string' },
      'mask-photos': { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  if (positionals.length !== 1)
    throw new Error(positionals.length === 0 ? 'missing <eval-dir> (see --help)' : `unexpected argument ${positionals[1]}`);
  const evalDir = positionals[0]!;
  const only = values.only;
  if (only !== undefined && only !== 'depth' && only !== 'masks' && only !== 'relief' && only !== 'lithophane')
    throw new Error('--only takes depth, masks, relief or lithophane');
  const split = values.split?.toUpperCase();
  if (split !== undefined && split !== 'A' && split !== 'B') throw new Error('--split takes A or B');
  const photoSplit = values['photo-split'];
  if (photoSplit !== undefined && photoSplit !== 'tune' && photoSplit !== 'held-out')
    throw new Error('--photo-split takes tune or held-out');
  const names = values.variants?.split(',');
  const ablation = values.ablation;
  const tries: Variant[] = values.try.map((spec) => {
    const colon = spec.indexOf(':');
    const base = [...MAIN, ...ABLATION].find((x) => x.name === spec.slice(0, colon));
    if (!base) throw new Error(`--try ${spec}: unknown variant before ':'`);
    const extra = JSON.parse(spec.slice(colon + 1)) as Partial<DepthTuning>;
    return {
      ...base,
      name: `${base.name} ${spec.slice(colon + 1)}`,
      what: `${base.what}, with ${spec.slice(colon + 1)}`,
      tuning: { ...base.tuning, ...extra },
    };
  });
  // Background removal with these subjectMask options (over the default's), base.
  const maskTries: MaskVariant[] = values['mask-try'].map((spec) => {
    const subjectMask = { ...TUNING.base.subjectMask!, ...(JSON.parse(spec) as Partial<SubjectMaskOptions>) };
    return { name: `base ${spec}`, what: `the mask stage (base) with ${spec}`, params: maskParams('base'), tuning: { subjectMask } };
  });
  const chosenMasks =
    values['mask-variants']?.split(',').map((n) => {
      const v = MASK_VARIANTS.find((x) => x.name === n);
      if (!v) throw new Error(`unknown mask variant ${n} (known: ${MASK_VARIANTS.map((x) => x.name).join(', ')})`);
      return v;
    }) ?? MASK_VARIANTS;
  const options: Omit<Options, 'variants' | 'tries' | 'maskVariants' | 'evalDir'> = {
    out: values.out,
    sheets: !values['no-sheets'],
    scores: !values['sheets-only'],
    photos: new RegExp(values.photos, 'i'),
    objects: new RegExp(values.objects, 'i'),
    sections:
      only === undefined
        ? { depth: true, masks: true, relief: true, lithophane: true }
        : { depth: only === 'depth', masks: only === 'masks', relief: only === 'relief', lithophane: only === 'lithophane' },
    reliefVariants: [...RELIEF_VARIANTS, ...values['relief-try'].map(reliefTry)],
    ...(photoSplit !== undefined ? { photoSplit } : {}),
    ...(values.json !== undefined ? { json: values.json } : {}),
    ...(values.docs !== undefined ? { docs: values.docs } : {}),
    ...(split !== undefined ? { split } : {}),
    ...(values['mask-photos'] !== undefined ? { maskPhotos: new RegExp(values['mask-photos'], 'i') } : {}),
  };
  const maskSplit = values['mask-split'];
  if (maskSplit !== undefined && maskSplit !== 'A' && maskSplit !== 'B') throw new Error('--mask-split takes A or B');
  const all = [...MAIN, ...ABLATION];
  let variants = ablation ? all : MAIN;
  if (names) {
    variants = names.map((n) => {
      const v = all.find((x) => x.name === n);
      if (!v) throw new Error(`unknown variant ${n} (known: ${all.map((x) => x.name).join(', ')})`);
      return v;
    });
  }
  const maskVariants = [...chosenMasks, ...maskTries];
  return {
    ...options,
    evalDir: resolve(evalDir),
    variants: [...variants, ...tries],
    tries,
    maskVariants,
    ...(maskSplit ? { maskSplit } : {}),
  };
}

interface Row {
  /** What the row averages over: one pair, one dataset, one kind of scene, or every pair. */
  level: 'pair' | 'dataset' | 'kind' | 'all' | 'half';
  /** The pair's id, the dataset's name, the kind (indoor | outdoor | object), 'all', or for a half 'A/indoor' ... 'B/all'. */
  dataset: string;
  variant: string;
  pairs: number;
  absRel: number;
  delta1: number;
  dbeAcc: number | null;
  dbeComp: number | null;
  ordinal: number | null;
  spearman: number | null;
  msPerImage: number;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const finiteMean = (xs: number[]): number | null => {
  const f = xs.filter(Number.isFinite);
  return f.length ? mean(f) : null;
};

function plane(result: PipelineResult): FloatPlane {
  return { width: result.width, height: result.height, data: result.depth };
}

function fmt(v: number | null, digits: number): string {
  return v === null || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

function printTable(title: string, rows: Row[]): string {
  const lines = [
    `### ${title}`,
    '',
    '| variant | pairs | AbsRel ↓ | δ1 ↑ | ordinal ↓ | Spearman ↑ | DBE acc (px) ↓ | DBE comp (px) ↓ | ms/image |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${r.pairs} | ${fmt(r.absRel, 3)} | ${fmt(r.delta1, 3)} | ${fmt(r.ordinal, 3)} | ${fmt(r.spearman, 3)} | ${fmt(r.dbeAcc, 2)} | ${fmt(r.dbeComp, 2)} | ${Math.round(r.msPerImage)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

/** Ordinal error and rank correlation of every pair, one column per variant. */
function printPairOrder(pairRows: Row[], variants: string[]): string {
  const ids = [...new Set(pairRows.map((r) => r.dataset))];
  const cell = (id: string, v: string): string => {
    const r = pairRows.find((x) => x.dataset === id && x.variant === v);
    return r ? `${fmt(r.ordinal, 3)} / ${fmt(r.spearman, 2)}` : '';
  };
  return [
    '### Order per pair (ordinal error ↓ / Spearman ↑)',
    '',
    `| pair | ${variants.join(' | ')} |`,
    `| --- |${variants.map(() => ' ---: |').join('')}`,
    ...ids.map((id) => `| ${id} | ${variants.map((v) => cell(id, v)).join(' | ')} |`),
    '',
  ].join('\n');
}

/** FastDepth's own test protocol on NYU (dwofk/fast-depth dataloaders): resize to 250 rows,
 * centre-crop 228x304, resize to 224x224; metres compared without any alignment. */
async function fastDepthCheck(pairs: Pair[], sessions: ModelSessions): Promise<string> {
  const nyu = pairs.filter((p) => /^NYU/i.test(p.dataset));
  if (nyu.length === 0) return '';
  const model = await sessions.depth();
  const lines = [
    '### FastDepth in metres on the NYU pairs (no alignment; published: RMSE 0.604 m, δ1 0.771 on the 654 test images)',
    '',
    '| pair | whole frame, squashed (our single pass): RMSE m | δ1 | paper protocol (centre crop 228x304 → 224): RMSE m | δ1 |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  const whole: { rmse: number; delta1: number }[] = [];
  const paper: { rmse: number; delta1: number }[] = [];
  for (const pair of nyu) {
    const gt = await readGroundTruth(pair);
    const decoded = await decodeImage(readFileSync(pair.rgbPath));
    const inv = await predictInverseDepth(model, decoded);
    const metres = resizeBilinear({ ...inv, data: inv.data.map((v) => 1 / v) }, gt.width, gt.height).data;
    const a = metricScores(metres, gt.depth);
    // Paper protocol.
    const rows = 250;
    const cols = Math.round((gt.width * rows) / gt.height);
    const top = Math.round((rows - 228) / 2);
    const left = Math.round((cols - 304) / 2);
    // One resize per sharp pipeline: a second .resize() would replace the first.
    const cropped = await sharp(decoded.rgb, { raw: { width: decoded.width, height: decoded.height, channels: 3 } })
      .resize(cols, rows, { fit: 'fill', kernel: 'linear' })
      .extract({ left, top, width: 304, height: 228 })
      .raw()
      .toBuffer();
    const rgb = await sharp(cropped, { raw: { width: 304, height: 228, channels: 3 } })
      .resize(224, 224, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    const crop = await predictInverseDepth(model, { width: 224, height: 224, rgb: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length) });
    const gtCrop = nearestCrop(gt, cols, rows, left, top, 304, 228, 224, 224);
    const b = metricScores(
      crop.data.map((v) => 1 / v),
      gtCrop,
    );
    whole.push(a);
    paper.push(b);
    lines.push(`| ${pair.id} | ${a.rmse.toFixed(3)} | ${a.delta1.toFixed(3)} | ${b.rmse.toFixed(3)} | ${b.delta1.toFixed(3)} |`);
  }
  lines.push(
    `| mean | ${mean(whole.map((s) => s.rmse)).toFixed(3)} | ${mean(whole.map((s) => s.delta1)).toFixed(3)} | ${mean(paper.map((s) => s.rmse)).toFixed(3)} | ${mean(paper.map((s) => s.delta1)).toFixed(3)} |`,
    '',
  );
  return lines.join('\n');
}

/** GT resized (nearest) to cols x rows, cropped, resized (nearest) to w x h: the paper's GT path. */
function nearestCrop(
  gt: GroundTruth,
  cols: number,
  rows: number,
  left: number,
  top: number,
  cw: number,
  ch: number,
  w: number,
  h: number,
): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const ry = top + Math.floor(((y + 0.5) * ch) / h);
    const sy = Math.min(gt.height - 1, Math.floor(((ry + 0.5) * gt.height) / rows));
    for (let x = 0; x < w; x++) {
      const rx = left + Math.floor(((x + 0.5) * cw) / w);
      const sx = Math.min(gt.width - 1, Math.floor(((rx + 0.5) * gt.width) / cols));
      out[y * w + x] = gt.depth[sy * gt.width + sx]!;
    }
  }
  return out;
}

async function sheetFor(path: string, sessions: ModelSessions, outDir: string, extra: Variant[]): Promise<string> {
  const bytes = readFileSync(path);
  const decoded = await decodeImage(bytes);
  const h = 240;
  const w = Math.round((h * decoded.width) / decoded.height);
  const input = await photoPanel(decoded.rgb, decoded.width, decoded.height, w, h);
  const rows: { label: string; panels: Panel[] }[] = [];
  const runs: (Pick<Variant, 'params' | 'tuning' | 'single'> & { label: string })[] = [
    { label: 'single (v1), rmbg=0', params: params('base'), single: true },
    { label: 'pro, rmbg=0', params: params('pro') },
    { label: 'single (v1), rmbg=1', params: params('base', true), single: true },
    { label: 'base, rmbg=1', params: params('base', true) },
    { label: 'pro, rmbg=1', params: params('pro', true) },
    ...extra.map((v) => ({ ...v, label: v.name })),
  ];
  for (const run of runs) {
    const { label } = run;
    const result = await runVariant(bytes, run, sessions);
    const alpha = result.alpha ? { width: result.width, height: result.height, data: result.alpha } : undefined;
    rows.push({
      label: `${label}  (${result.width}x${result.height}, ${Math.round(result.timings.total)} ms)`,
      panels: [
        input,
        alpha ? greyPanel(alpha, w, h) : blankPanel(w, h),
        greyPanel(plane(result), w, h),
        shadedPanel(plane(result), alpha, w, h),
        // The centre at the output's own resolution, shaded: blockiness and blur show here.
        shadedPanel(
          centreCrop(plane(result), 320, h),
          alpha && centreCrop(alpha, 320, h),
          Math.min(320, result.width),
          Math.min(h, result.height),
          0.5,
        ),
      ],
    });
  }
  const file = join(outDir, `sheet-${basename(path).replace(/\.[^.]+$/, '')}.png`);
  writeFileSync(
    file,
    await contactSheet(rows, `${basename(path)}: input | mask | depth (near = white) | shaded relief | shaded 1:1 centre crop`),
  );
  return file;
}

/** The picture of the output convention (docs/depth-convention.png): photo | pro depth map | shaded relief, for a scene and an object. */
async function docsPicture(evalDir: string, sessions: ModelSessions, file: string): Promise<void> {
  const rows: { label: string; panels: Panel[] }[] = [];
  const picks: [string, boolean][] = [
    [join(evalDir, 'photos/metric3d_jonathan-borba-CnthDZXCdoY-unsplash.jpg'), false],
    [join(evalDir, 'photos/opencv_apple.jpg'), true],
  ];
  for (const [path, rmbg] of picks) {
    const bytes = readFileSync(path);
    const decoded = await decodeImage(bytes);
    const h = 300;
    const w = Math.round((h * decoded.width) / decoded.height);
    const result = await runPipeline(bytes, params('pro', rmbg), sessions);
    const alpha = result.alpha ? { width: result.width, height: result.height, data: result.alpha } : undefined;
    rows.push({
      label: `${basename(path)}: pro, rmbg=${rmbg ? 1 : 0}; raw inverse depth ${result.metadata.rawMin.toFixed(3)}..${result.metadata.rawMax.toFixed(3)} ${result.metadata.rawUnit}`,
      panels: [
        await photoPanel(decoded.rgb, decoded.width, decoded.height, w, h),
        greyPanel(plane(result), w, h),
        shadedPanel(plane(result), alpha, w, h),
      ],
    });
  }
  // Legend: a ramp from far (0, black) to near (1, white).
  const legend = greyPanel({ width: 256, height: 1, data: Float32Array.from({ length: 256 }, (_, i) => i / 255) }, 600, 24);
  rows.push({ label: 'value 0 (far, black)  →  1 (near, white), linear in inverse depth', panels: [legend] });
  mkdirSync(dirname(file), { recursive: true });
  // Palette PNG: small enough to keep in the repository.
  writeFileSync(file, await contactSheet(rows, 'Depthmill output: normalised inverse depth, near = 1, far = 0', true));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // The evaluation set is not in the repository (its datasets' terms keep it out): without it there
  // is nothing to score, which is not a failure of a clone that lacks it.
  if (!existsSync(join(options.evalDir, 'pairs.csv'))) {
    process.stdout.write(
      `eval: no evaluation set at ${options.evalDir} (no pairs.csv there): nothing to score. docs/models-and-quality.md "Evaluation" says what it holds.\n`,
    );
    return;
  }
  const pairs = splitPairs(readPairs(options.evalDir), options.split);
  if (pairs.length === 0) throw new Error(`no pairs in half ${options.split}`);
  mkdirSync(options.out, { recursive: true });
  const sessions = new ModelSessions(SESSION_OPTIONS);
  const machine = MACHINE;
  process.stdout.write(
    `Depthmill depth quality on ${options.evalDir} (${pairs.length} pairs${options.split ? `, half ${options.split}` : ''})\nmachine: ${machine}\n\n`,
  );

  const rows: object[] = [];
  if (options.scores && options.sections.depth) rows.push(...(await scoreAll(options, pairs, sessions, machine)));
  if (options.scores && options.sections.masks) {
    const masks = await evaluateMasks(
      options.evalDir,
      options.maskVariants,
      sessions,
      SESSION_OPTIONS,
      options.out,
      options.sheets,
      options.maskSplit,
    );
    process.stdout.write(masks.report);
    writeFileSync(join(options.out, 'masks.md'), `machine: ${machine}\n\n${masks.report}`);
    rows.push(...masks.rows);
  }
  if (options.sections.masks && options.maskPhotos) {
    for (const photo of listPhotos(options.evalDir).filter((p) => options.maskPhotos!.test(basename(p)))) {
      process.stderr.write(`  wrote ${await maskPhotoSheet(photo, options.maskVariants, sessions, options.out)}\n`);
    }
  }
  if (options.sections.relief) {
    const reliefs = await evaluateReliefs(options.evalDir, pairs, options.reliefVariants, sessions, options.out, options.sheets, {
      match: options.photos,
      ...(options.photoSplit ? { split: options.photoSplit } : {}),
    });
    process.stdout.write(reliefs.report);
    writeFileSync(join(options.out, 'relief.md'), `machine: ${machine}\n\n${reliefs.report}`);
    rows.push(...reliefs.rows);
  }
  if (options.sections.lithophane) {
    const photos = listPhotos(options.evalDir).filter((p) => options.photos.test(basename(p)));
    const lithophanes = await evaluateLithophanes(photos, options.out, options.sheets);
    process.stdout.write(lithophanes.report);
    writeFileSync(join(options.out, 'lithophane.md'), `machine: ${machine}\n\n${lithophanes.report}`);
    rows.push(...lithophanes.rows);
  }
  if (options.json)
    writeFileSync(
      options.json,
      JSON.stringify(
        rows.map((r) => ({ ...r, machine })),
        null,
        1,
      ),
    );
  if (options.sheets && options.sections.depth) {
    for (const photo of listPhotos(options.evalDir).filter((p) => options.photos.test(basename(p)))) {
      process.stderr.write(`  wrote ${await sheetFor(photo, sessions, options.out, options.tries)}\n`);
    }
  }
  if (options.docs) await docsPicture(options.evalDir, sessions, options.docs);
  await sessions.release();
}

const SESSION_OPTIONS = { intraOpNumThreads: cpus().length };

/** The depth section: prints its tables and returns its rows (section 'depth'). */
async function scoreAll(options: Options, pairs: Pair[], sessions: ModelSessions, machine: string): Promise<object[]> {
  // Warm up: sessions, sharp, JIT; none of it counts in the per-image times.
  const warm = readFileSync(pairs[0]!.rgbPath);
  for (const v of options.variants) await runVariant(warm, v, sessions);

  const perImage: Record<string, unknown>[] = [];
  const scores = new Map<string, { pair: Pair; scores: Scores; ms: number }[]>();
  for (const pair of pairs) {
    const gt = await readGroundTruth(pair);
    const bytes = readFileSync(pair.rgbPath);
    for (const variant of options.variants) {
      if (variant.objects && !options.objects.test(pair.dataset)) continue;
      const result = await runVariant(bytes, variant, sessions);
      const region = result.alpha
        ? toSize({ width: result.width, height: result.height, data: result.alpha }, gt.width, gt.height)
        : undefined;
      const s = score(plane(result), gt, region);
      const list = scores.get(variant.name) ?? [];
      list.push({ pair, scores: s, ms: result.timings.total });
      scores.set(variant.name, list);
      perImage.push({ pair: pair.id, dataset: pair.dataset, kind: pair.kind, variant: variant.name, ...s, ms: result.timings.total });
    }
    process.stderr.write(`  scored ${pair.id}\n`);
  }

  const rows: Row[] = [];
  const summarize = (level: Row['level'], dataset: string, variant: string, list: { scores: Scores; ms: number }[]): Row => ({
    level,
    dataset,
    variant,
    pairs: list.length,
    absRel: mean(list.map((x) => x.scores.absRel)),
    delta1: mean(list.map((x) => x.scores.delta1)),
    ordinal: finiteMean(list.map((x) => x.scores.ordinal)),
    spearman: finiteMean(list.map((x) => x.scores.spearman)),
    dbeAcc: finiteMean(list.map((x) => x.scores.dbeAcc)),
    dbeComp: finiteMean(list.map((x) => x.scores.dbeComp)),
    msPerImage: median(list.map((x) => x.ms)),
  });
  // Tables per dataset, per kind of scene (the bundled model knows rooms only), and over all pairs.
  const groups: { level: Row['level']; name: string; title: string; has: (p: Pair) => boolean }[] = [
    ...[...new Set(pairs.map((p) => p.dataset))].map((d) => ({
      level: 'dataset' as const,
      name: d,
      title: d,
      has: (p: Pair) => p.dataset === d,
    })),
    ...(['indoor', 'outdoor', 'object'] as const).map((k) => ({
      level: 'kind' as const,
      name: k,
      title: `Kind: ${k}`,
      has: (p: Pair) => p.kind === k,
    })),
    { level: 'all', name: 'all', title: 'All pairs (mean over pairs; rmbg variants: object datasets only)', has: () => true },
    // The scene split (bench/eval/dataset.ts): each half per kind and over all its pairs.
    ...[...new Set(pairs.map((p) => p.half))].sort().flatMap((h) => [
      ...(['indoor', 'outdoor', 'object'] as const).map((k) => ({
        level: 'half' as const,
        name: `${h}/${k}`,
        title: `Half ${h}: ${k}`,
        has: (p: Pair) => p.half === h && p.kind === k,
      })),
      {
        level: 'half' as const,
        name: `${h}/all`,
        title: `Half ${h}: all (${pairs
          .filter((p) => p.half === h)
          .map((p) => p.id)
          .join(', ')})`,
        has: (p: Pair) => p.half === h,
      },
    ]),
  ];
  let report = '';
  for (const group of groups) {
    const tableRows: Row[] = [];
    for (const variant of options.variants) {
      const list = (scores.get(variant.name) ?? []).filter((x) => group.has(x.pair));
      if (list.length === 0) continue;
      tableRows.push(summarize(group.level, group.name, variant.name, list));
    }
    if (tableRows.length === 0) continue;
    rows.push(...tableRows);
    report += printTable(group.title, tableRows);
    report += '\n';
  }
  const pairRows = options.variants.flatMap((v) => (scores.get(v.name) ?? []).map((x) => summarize('pair', x.pair.id, v.name, [x])));
  rows.push(...pairRows);
  report +=
    printPairOrder(
      pairRows,
      options.variants.map((v) => v.name),
    ) + '\n';
  report += await fastDepthCheck(pairs, sessions);
  report += '\nVariants:\n' + options.variants.map((v) => `- ${v.name}: ${v.what}`).join('\n') + '\n';
  process.stdout.write(report);
  writeFileSync(join(options.out, 'report.md'), `machine: ${machine}\n\n${report}`);
  writeFileSync(join(options.out, 'images.json'), JSON.stringify(perImage, null, 1));
  return rows.map((r) => ({ section: 'depth', ...r }));
}

main().catch((error: unknown) => {
  process.stderr.write(`eval failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
