// The relief section of `npm run eval` (--only relief): how the reliefs the API makes read.
//
// 1. On the ground-truth pairs (pairs.csv; plates, rmbg 0, pro, the API's 40 mm / 1.3 mm): the
//    relief of the predicted depth against the relief the same engine makes of the true depth,
//    both rendered under a raking light and compared by SSIM, and by the mean angle between their
//    surface normals; the fine shape (RMS of height minus its 2 mm blur) of both.
// 2. On the photos (photos/ and the photos of masks/; as cut-outs, rmbg 1, and square plates,
//    rmbg 0; pro, the API defaults), measured from outside on the mesh buildRelief writes
//    (recognisability.ts): recognisability (the photo's edges drawn by the relief's fine shape) and
//    big shape (the depth's volume kept). The photos split into a tuning and a held-out half
//    (dataset.ts photoSplit).
// Per variant (RELIEF_VARIANTS: the depth scaled as it is, the smooth style, the detailed style at the API defaults; and any --relief-try).
// Contact sheets: relief-<pair or photo>.png, each relief shaded under the same light.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeImage, type DecodedImage } from '../../src/raster/decode.js';
import { lumaPlane } from '../../src/raster/image-ops.js';
import type { DepthMap } from '../../src/raster/depth-map.js';
import { runPipeline } from '../../src/pipeline/run.js';
import type { ModelSessions } from '../../src/models/sessions.js';
import { DEFAULT_DEGREE_RMBG } from '../../src/pipeline/mask.js';
import { resizeArea } from '../../src/raster/resize.js';
import { heightField, ReliefInputError, reliefSettings, type ReliefParams } from '../../src/relief/heightfield.js';
import { buildRelief } from '../../src/relief/index.js';
import { FIELD_DEFAULTS } from '../../src/contract/task.js';
import {
  listMaskPhotos,
  listPhotos,
  photoName,
  photoSplit,
  readGroundTruth,
  type GroundTruth,
  type Pair,
  type PhotoSplit,
  type SceneKind,
} from './dataset.js';
import { toSize } from './metrics.js';
import { scoreRelief } from './recognisability.js';
import { fineShapeRms, normalAngle, rakingShade, ssim, type Surface } from './relief-quality.js';
import { blankPanel, contactSheet, greyPanel, photoPanel, type Panel } from './render.js';
import { median } from '../report.js';

/** What a Hitem3D client sends for a relief: 40 mm wide, 1.3 mm of relief on 1 mm. */
const API_RELIEF: ReliefParams = { heightRelief: 1.3, width: 40, shapeBase: 'square', thicknessBase: 1, sculpmode: 'emboss' };

export interface ReliefVariant {
  name: string;
  what: string;
  params: ReliefParams;
}

export const RELIEF_VARIANTS: ReliefVariant[] = [
  {
    name: 'linear',
    what: 'the depth scaled as it is (relief_style smooth, relief_detail 0, relief_smooth 0): what versions before the engine made',
    params: { ...API_RELIEF, reliefStyle: 'smooth', reliefDetail: 0, reliefSmooth: 0 },
  },
  {
    name: 'smooth',
    what: `the depth alone through the bas-relief engine (relief_style smooth, relief_detail ${FIELD_DEFAULTS.reliefDetail}, relief_smooth ${FIELD_DEFAULTS.reliefSmooth} mm): the default before relief_style`,
    params: { ...API_RELIEF, reliefStyle: 'smooth' },
  },
  {
    name: 'detailed',
    what: `the API defaults: the photo's detail (detail_height ${FIELD_DEFAULTS.detailHeight} mm) over the depth's volume (relief_style detailed)`,
    params: API_RELIEF,
  },
];

/** A variant with these relief fields over the API defaults, e.g. '{"reliefDetail":0.8}'. */
export function reliefTry(spec: string): ReliefVariant {
  return { name: spec, what: `the engine with ${spec}`, params: { ...API_RELIEF, ...(JSON.parse(spec) as Partial<ReliefParams>) } };
}

const PANEL_HEIGHT = 220;

/**
 * The true depth as a map the relief builder takes: inverse depth (near = larger) stretched to
 * 0..1 between its 1st and 99th percentiles, holes (no measurement) filled from their edges so the
 * plate has no pits; `valid` says where the truth was measured.
 */
function truthMap(gt: GroundTruth): { map: DepthMap; valid: Float32Array } {
  const n = gt.width * gt.height;
  const valid = new Float32Array(n);
  const inverse = new Float32Array(n);
  const measured: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = gt.depth[i]!;
    if (!(Number.isFinite(d) && d > 0)) continue;
    valid[i] = 1;
    inverse[i] = 1 / d;
    if (i % 7 === 0) measured.push(1 / d);
  }
  measured.sort((a, b) => a - b);
  const low = measured[Math.floor(0.01 * (measured.length - 1))] ?? 0;
  const high = measured[Math.ceil(0.99 * (measured.length - 1))] ?? 1;
  for (let i = 0; i < n; i++) if (valid[i]) inverse[i] = Math.min(1, Math.max(0, (inverse[i]! - low) / (high - low || 1)));
  fillHoles(inverse, Uint8Array.from(valid), gt.width, gt.height);
  return { map: { width: gt.width, height: gt.height, depth: inverse }, valid };
}

/** Fills unknown samples ring by ring with the mean of their known 4-neighbours. */
function fillHoles(values: Float32Array, known: Uint8Array, width: number, height: number): void {
  let frontier = true;
  while (frontier) {
    frontier = false;
    const next = known.slice();
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        if (known[i]) continue;
        let sum = 0;
        let count = 0;
        for (const j of [x > 0 ? i - 1 : -1, x + 1 < width ? i + 1 : -1, y > 0 ? i - width : -1, y + 1 < height ? i + width : -1]) {
          if (j >= 0 && known[j]) {
            sum += values[j]!;
            count++;
          }
        }
        if (count === 0) continue;
        values[i] = sum / count;
        next[i] = 1;
        frontier = true;
      }
    }
    known.set(next);
  }
}

function shadedPanel(hf: Surface): Panel {
  const width = Math.max(1, Math.round((PANEL_HEIGHT * hf.cols) / hf.rows));
  return greyPanel({ width: hf.cols, height: hf.rows, data: rakingShade(hf) }, width, PANEL_HEIGHT);
}

async function photoPanelOf(decoded: DecodedImage, aspect: number): Promise<Panel> {
  return photoPanel(decoded.rgb, decoded.width, decoded.height, Math.round(PANEL_HEIGHT * aspect), PANEL_HEIGHT);
}

interface PairScore {
  pair: Pair;
  variant: string;
  ssim: number;
  normalDeg: number;
  fineMm: number;
  truthFineMm: number;
  ms: number;
}

/** How a photo becomes a relief: cut out (rmbg 1) or a square plate of the whole photo (rmbg 0). */
type ReliefKind = 'cut-out' | 'plate';
const RELIEF_KINDS: { kind: ReliefKind; rmbg: boolean }[] = [
  { kind: 'cut-out', rmbg: true },
  { kind: 'plate', rmbg: false },
];

interface PhotoScore {
  set: string;
  split: PhotoSplit;
  kind: ReliefKind;
  photo: string;
  variant: string;
  /** NaN where the relief could not be made (ReliefInputError) or the region is too small. */
  recognisability: number;
  bigShape: number;
  fineMm: number;
  /** recognisability.ts ReliefScore.fitMm: whether the photo lies on the mesh as measured. */
  fitMm: number;
  triangles: number;
  /** buildRelief's time (height field and mesh). */
  ms: number;
}

/** Which photos the relief section scores: file names matching `match`, of one half or both. */
export interface PhotoSelection {
  match: RegExp;
  split?: PhotoSplit;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

export async function evaluateReliefs(
  evalDir: string,
  pairs: Pair[],
  variants: ReliefVariant[],
  sessions: ModelSessions,
  outDir: string,
  sheets: boolean,
  selection: PhotoSelection = { match: /./ },
): Promise<{ report: string; rows: object[] }> {
  const pairScores: PairScore[] = [];
  for (const pair of pairs) {
    const gt = await readGroundTruth(pair);
    const truth = truthMap(gt);
    const bytes = readFileSync(pair.rgbPath);
    const result = await runPipeline(bytes, { modelType: 'pro', rmbg: false, degreeRmbg: 0.02 }, sessions);
    // The prediction on the truth's grid: both reliefs then sample the same places.
    // It carries the photo's lightness, as the API's does: the detailed style's relief is scored
    // against the true shape (the truth's relief is the depth alone, on the same grid).
    const predicted: DepthMap = {
      width: gt.width,
      height: gt.height,
      depth: toSize({ width: result.width, height: result.height, data: result.depth }, gt.width, gt.height),
      lightness: toSize({ width: result.width, height: result.height, data: result.lightness! }, gt.width, gt.height),
    };
    const panels: Panel[] = [await photoPanelOf(await decodeImage(bytes), gt.width / gt.height)];
    const truthPanels: Panel[] = [];
    for (const variant of variants) {
      const options = reliefSettings(predicted, variant.params);
      const ofTruth = heightField(truth.map, variant.params, options);
      const start = performance.now();
      const ofPrediction = heightField(predicted, variant.params, options);
      const ms = performance.now() - start;
      // Scored where the truth was measured: samples of the relief's grid with a measurement in
      // them (KITTI's lidar is sparse: a few points per sample, the rest filled between them).
      const measured = resizeArea({ width: gt.width, height: gt.height, data: truth.valid }, ofTruth.cols, ofTruth.rows).data;
      const where = Uint8Array.from(measured, (m, i) => (m > 0 && ofTruth.inside[i] && ofPrediction.inside[i] ? 1 : 0));
      pairScores.push({
        pair,
        variant: variant.name,
        ssim: ssim(rakingShade(ofPrediction), rakingShade(ofTruth), where, ofTruth.cols, ofTruth.rows),
        normalDeg: normalAngle(ofPrediction, ofTruth, where),
        fineMm: fineShapeRms(ofPrediction),
        truthFineMm: fineShapeRms(ofTruth),
        ms,
      });
      truthPanels.push(shadedPanel(ofTruth));
      panels.push(shadedPanel(ofPrediction));
    }
    if (sheets) {
      const label = (who: string) => `${who}: ${variants.map((v) => v.name).join(' | ')}`;
      const sheet = await contactSheet(
        [
          { label: label('photo, then the relief of the predicted depth'), panels },
          { label: label('the relief of the true depth (holes filled)'), panels: truthPanels },
        ],
        `${pair.id} (${pair.kind}): 40 mm plate, 1.3 mm relief, raking light from the upper left`,
      );
      await writeFile(join(outDir, `relief-${pair.id}.png`), sheet);
    }
    process.stderr.write(`  relief: ${pair.id}\n`);
  }

  const photoScores: PhotoScore[] = [];
  const photoSets: [string, string[]][] = [
    ['photos', listPhotos(evalDir)],
    ['masks photos', listMaskPhotos(evalDir)],
  ];
  for (const [set, photos] of photoSets) {
    for (const path of photos) {
      const name = photoName(path);
      const split = photoSplit(name);
      if (!selection.match.test(name) || (selection.split && selection.split !== split)) continue;
      const bytes = readFileSync(path);
      const decoded = await decodeImage(bytes);
      const luma = lumaPlane(decoded);
      const rows: { label: string; panels: Panel[] }[] = [];
      for (const { kind, rmbg } of RELIEF_KINDS) {
        const map = await runPipeline(bytes, { modelType: 'pro', rmbg, degreeRmbg: DEFAULT_DEGREE_RMBG }, sessions);
        const w = Math.round((PANEL_HEIGHT * map.width) / map.height);
        const panels: Panel[] = [
          await photoPanelOf(decoded, map.width / map.height),
          greyPanel({ width: map.width, height: map.height, data: map.depth }, w, PANEL_HEIGHT),
          map.alpha ? greyPanel({ width: map.width, height: map.height, data: map.alpha }, w, PANEL_HEIGHT) : blankPanel(w, PANEL_HEIGHT),
        ];
        for (const variant of variants) {
          const start = performance.now();
          let relief;
          try {
            relief = buildRelief(map, variant.params);
          } catch (error) {
            // A cut that leaves nothing printable: the API fails the task; here the photo scores nothing.
            if (!(error instanceof ReliefInputError)) throw error;
            photoScores.push({
              set,
              split,
              kind,
              photo: name,
              variant: variant.name,
              recognisability: Number.NaN,
              bigShape: Number.NaN,
              fineMm: Number.NaN,
              fitMm: Number.NaN,
              triangles: 0,
              ms: 0,
            });
            panels.push(blankPanel(w, PANEL_HEIGHT));
            continue;
          }
          const ms = performance.now() - start;
          const s = scoreRelief(relief.mesh, map, luma, variant.params);
          const { recognisability, bigShape, fineMm, fitMm } = s;
          photoScores.push({
            set,
            split,
            kind,
            photo: name,
            variant: variant.name,
            recognisability,
            bigShape,
            fineMm,
            fitMm,
            triangles: relief.stats.triangles.total,
            ms,
          });
          if (fitMm > 0.5)
            process.stderr.write(
              `  relief: ${name} ${kind} ${variant.name}: the mesh's box is ${fitMm.toFixed(1)} mm off the cut's; its scores compare a stretched photo\n`,
            );
          // Rendered from the rasterised mesh: the sheet shows what the file keeps.
          panels.push(shadedPanel(s.top));
        }
        rows.push({ label: `${kind} (rmbg ${rmbg ? 1 : 0}): photo | depth | cut | ${variants.map((v) => v.name).join(' | ')}`, panels });
      }
      if (sheets) {
        const sheet = await contactSheet(
          rows,
          `${name} (${split}): 40 mm, 1.3 mm relief, pro; the mesh's top under a raking light from the upper left`,
        );
        await writeFile(join(outDir, `relief-${name}.png`), sheet);
      }
      process.stderr.write(`  relief: ${name}\n`);
    }
  }

  return { report: reliefReport(pairScores, photoScores, variants, selection), rows: reliefRows(pairScores, photoScores, variants) };
}

function reliefReport(pairScores: PairScore[], photoScores: PhotoScore[], variants: ReliefVariant[], selection: PhotoSelection): string {
  const f = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
  let report = '## Reliefs of the predicted depth against reliefs of the true depth\n\n';
  report +=
    'Plates (rmbg 0, pro), 40 mm, 1.3 mm: the same engine variant on both; raking light 25° from the upper left. Mean over pairs.\n\n';
  report +=
    '| pairs | variant | n | SSIM of the renders ↑ | normal angle ° ↓ | fine shape mm (predicted) | fine shape mm (truth) | height field ms (median) |\n';
  report += '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n';
  const kinds: (SceneKind | 'all')[] = ['indoor', 'outdoor', 'object', 'all'];
  for (const kind of kinds) {
    for (const variant of variants) {
      const list = pairScores.filter((s) => s.variant === variant.name && (kind === 'all' || s.pair.kind === kind));
      if (list.length === 0) continue;
      report += `| ${kind} | ${variant.name} | ${list.length} | ${f(mean(list.map((s) => s.ssim)), 3)} | ${f(mean(list.map((s) => s.normalDeg)), 2)} | ${f(mean(list.map((s) => s.fineMm)), 3)} | ${f(mean(list.map((s) => s.truthFineMm)), 3)} | ${Math.round(median(list.map((s) => s.ms)))} |\n`;
    }
  }
  report += photoReport(photoScores, variants, selection);
  report += '\nPer pair (SSIM / normal angle °), per variant:\n\n';
  report += `| pair | kind | ${variants.map((v) => v.name).join(' | ')} |\n| --- | --- |${variants.map(() => ' ---: |').join('')}\n`;
  for (const pair of [...new Set(pairScores.map((s) => s.pair))]) {
    const cells = variants.map((v) => {
      const s = pairScores.find((x) => x.pair === pair && x.variant === v.name)!;
      return `${f(s.ssim, 3)} / ${f(s.normalDeg, 2)}`;
    });
    report += `| ${pair.id} | ${pair.kind} | ${cells.join(' | ')} |\n`;
  }
  report += '\nVariants:\n' + variants.map((v) => `- ${v.name}: ${v.what}`).join('\n') + '\n';
  report +=
    '\nContact sheets: relief-<pair>.png (photo, predicted reliefs; true reliefs below), relief-<photo>.png (cut-out, then plate: photo | depth | cut | the mesh of each variant).\n';
  return report;
}

/** Mean and min of the finite values (a relief that could not be made counts in neither). */
function meanMin(values: number[]): { mean: number; min: number; n: number } {
  const finite = values.filter(Number.isFinite);
  return { mean: finite.length ? mean(finite) : Number.NaN, min: finite.length ? Math.min(...finite) : Number.NaN, n: finite.length };
}

/** Per half (and both, when both ran), kind and variant: the table's rows, also written to the JSON. */
function photoSummaries(photoScores: PhotoScore[], variants: ReliefVariant[]) {
  const splits = [...new Set(photoScores.map((s) => s.split))].sort().reverse();
  return (splits.length > 1 ? [...splits, 'all'] : splits).flatMap((split) =>
    RELIEF_KINDS.flatMap(({ kind }) =>
      variants.flatMap((variant) => {
        const list = photoScores.filter((s) => s.variant === variant.name && s.kind === kind && (split === 'all' || s.split === split));
        if (list.length === 0) return [];
        const recognisability = meanMin(list.map((s) => s.recognisability));
        const made = list.filter((s) => s.triangles > 0);
        return [
          {
            split,
            kind,
            variant: variant.name,
            photos: list.length,
            n: recognisability.n,
            recognisability,
            bigShape: meanMin(list.map((s) => s.bigShape)),
            fineMm: meanMin(list.map((s) => s.fineMm)).mean,
            triangles: made.length ? Math.round(median(made.map((s) => s.triangles))) : undefined,
            ms: made.length ? Math.round(median(made.map((s) => s.ms))) : undefined,
          },
        ];
      }),
    ),
  );
}

function photoReport(photoScores: PhotoScore[], variants: ReliefVariant[], selection: PhotoSelection): string {
  const f = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
  const half =
    selection.split === undefined
      ? 'both halves (tune and held-out)'
      : selection.split === 'tune'
        ? 'the tuning half'
        : 'the held-out half';
  const chosen = selection.match.source === '.' ? '' : `, names matching /${selection.match.source}/`;
  let report = `\n## Photos as reliefs, measured on the mesh: ${half}${chosen}\n\n`;
  report +=
    'pro, 40 mm, 1.3 mm, the mesh buildRelief writes rasterised to 0.1 mm, inside its footprint less 1.5 mm. ' +
    "Recognisability: r of the photo's edge strength |∇G(L)| with the relief's fine-shape edge strength |∇G(z − G2mm(z))|, G 0.3 mm. " +
    'Big shape: r of height and depth after a 2 mm blur. Fine shape: RMS of height minus its 2 mm blur.\n\n';
  report +=
    '| split | kind | variant | n | recognisability ↑ mean | min | big shape ↑ mean | min | fine shape mm | triangles (median) | relief ms (median) |\n';
  report += '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n';
  for (const g of photoSummaries(photoScores, variants)) {
    report += `| ${g.split} | ${g.kind} | ${g.variant} | ${g.n}${g.n < g.photos ? ` of ${g.photos}` : ''} | ${f(g.recognisability.mean, 3)} | ${f(g.recognisability.min, 3)} | ${f(g.bigShape.mean, 3)} | ${f(g.bigShape.min, 3)} | ${f(g.fineMm, 3)} | ${g.triangles ?? '–'} | ${g.ms ?? '–'} |\n`;
  }
  report += `\nPer photo, recognisability / big shape, per kind and variant:\n\n`;
  const columns = RELIEF_KINDS.flatMap(({ kind }) => variants.map((v) => ({ kind, variant: v.name })));
  report += `| photo | split | ${columns.map((c) => `${c.kind} ${c.variant}`).join(' | ')} |\n| --- | --- |${columns.map(() => ' ---: |').join('')}\n`;
  for (const photo of [...new Set(photoScores.map((s) => s.photo))]) {
    const cells = columns.map(({ kind, variant }) => {
      const s = photoScores.find((x) => x.photo === photo && x.kind === kind && x.variant === variant);
      return s ? `${f(s.recognisability, 2)} / ${f(s.bigShape, 2)}` : '';
    });
    report += `| ${photo} | ${photoSplit(photo)} | ${cells.join(' | ')} |\n`;
  }
  return report;
}

function reliefRows(pairScores: PairScore[], photoScores: PhotoScore[], variants: ReliefVariant[]): object[] {
  return [
    ...photoSummaries(photoScores, variants).map((g) => ({ section: 'relief', level: 'photos', ...g })),
    ...pairScores.map(({ pair, ...s }) => ({
      section: 'relief',
      level: 'pair',
      pair: pair.id,
      dataset: pair.dataset,
      kind: pair.kind,
      ...s,
    })),
    ...photoScores.map((s) => ({ section: 'relief', level: 'photo', ...s })),
  ];
}
