// The relief section of `npm run eval` (--only relief): how the reliefs the API makes read.
//
// 1. On the ground-truth pairs (pairs.csv; plates, rmbg 0, pro, the API's 40 mm / 1.3 mm): the
//    relief of the predicted depth against the relief the same engine makes of the true depth,
//    both rendered under a raking light and compared by SSIM, and by the mean angle between their
//    surface normals; the fine shape (RMS of height minus its 2 mm blur) of both.
// 2. On the photos (photos/ and the photos of masks/; cut-outs, rmbg 1, pro, the API defaults):
//    the fine shape, and its correlation with the photo's own fine luminance (texture passed off as
//    shape scores near ±1).
// Per variant of the engine: the depth scaled as it is, the defaults, and any --relief-try.
// Contact sheets: relief-<pair or photo>.png, each relief shaded under the same light.
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { decodeImage, type DecodedImage } from '../../src/pipeline/decode.js';
import { lumaPlane } from '../../src/pipeline/image-ops.js';
import type { DepthMap } from '../../src/pipeline/depth-map.js';
import { runPipeline } from '../../src/pipeline/run.js';
import type { ModelSessions } from '../../src/pipeline/sessions.js';
import { resizeArea } from '../../src/pipeline/upsample.js';
import { DEFAULT_RELIEF_OPTIONS, heightField, type HeightField, type ReliefParams } from '../../src/relief/heightfield.js';
import { RELIEF_DEFAULTS } from '../../src/contract/task.js';
import { readGroundTruth, type GroundTruth, type Pair, type SceneKind } from './dataset.js';
import { toSize } from './metrics.js';
import { fineShapeRms, normalAngle, rakingShade, ssim, textureCorrelation } from './relief-quality.js';
import { contactSheet, greyPanel, photoPanel, type Panel } from './render.js';
import { median } from '../report.js';

/** What a Hitem3D client sends for a relief: 40 mm wide, 1.3 mm of relief on 1 mm. */
const API_RELIEF: ReliefParams = { heightRelief: 1.3, width: 40, shapeBase: 'square', thicknessBase: 1, sculpmode: 'emboss' };

export interface ReliefVariant {
  name: string;
  what: string;
  params: ReliefParams;
}

export const RELIEF_VARIANTS: ReliefVariant[] = [
  { name: 'linear', what: 'the depth scaled as it is (relief_detail 0, relief_smooth 0): what versions before the engine made', params: { ...API_RELIEF, reliefDetail: 0, reliefSmooth: 0 } },
  { name: 'engine', what: `the bas-relief engine at the API defaults (relief_detail ${RELIEF_DEFAULTS.reliefDetail}, relief_smooth ${RELIEF_DEFAULTS.reliefSmooth} mm)`, params: API_RELIEF },
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

function shadedPanel(hf: HeightField): Panel {
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

interface PhotoScore {
  set: string;
  photo: string;
  variant: string;
  fineMm: number;
  texture: number;
  ms: number;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

export async function evaluateReliefs(
  evalDir: string,
  pairs: Pair[],
  variants: ReliefVariant[],
  sessions: ModelSessions,
  outDir: string,
  sheets: boolean,
): Promise<{ report: string; rows: object[] }> {
  const pairScores: PairScore[] = [];
  for (const pair of pairs) {
    const gt = await readGroundTruth(pair);
    const truth = truthMap(gt);
    const bytes = readFileSync(pair.rgbPath);
    const result = await runPipeline(bytes, { modelType: 'pro', rmbg: false, degreeRmbg: 0.02 }, sessions);
    // The prediction on the truth's grid: both reliefs then sample the same places.
    const predicted: DepthMap = { width: gt.width, height: gt.height, depth: toSize({ width: result.width, height: result.height, data: result.depth }, gt.width, gt.height) };
    const panels: Panel[] = [await photoPanelOf(await decodeImage(bytes), gt.width / gt.height)];
    const truthPanels: Panel[] = [];
    for (const variant of variants) {
      const ofTruth = heightField(truth.map, variant.params, DEFAULT_RELIEF_OPTIONS);
      const start = performance.now();
      const ofPrediction = heightField(predicted, variant.params, DEFAULT_RELIEF_OPTIONS);
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
    ['photos', readdirSync(join(evalDir, 'photos')).map((f) => join(evalDir, 'photos', f))],
    ['masks photos', readdirSync(join(evalDir, 'masks')).filter((f) => f.includes('.rgb.')).map((f) => join(evalDir, 'masks', f))],
  ];
  for (const [set, photos] of photoSets) {
    for (const path of photos) {
      const bytes = readFileSync(path);
      const map = await runPipeline(bytes, { modelType: 'pro', rmbg: true, degreeRmbg: 0.02 }, sessions);
      const decoded = await decodeImage(bytes);
      const luma = lumaPlane(decoded).data;
      const name = basename(path).replace(/\.(rgb\.)?(png|jpe?g)$/i, '');
      const panels: Panel[] = [await photoPanelOf(decoded, decoded.width / decoded.height)];
      for (const variant of variants) {
        const start = performance.now();
        const hf = heightField(map, variant.params, DEFAULT_RELIEF_OPTIONS);
        const ms = performance.now() - start;
        photoScores.push({ set, photo: name, variant: variant.name, fineMm: fineShapeRms(hf), texture: textureCorrelation(hf, luma, decoded.width, decoded.height, map.width, map.height), ms });
        panels.push(shadedPanel(hf));
      }
      if (sheets) {
        const sheet = await contactSheet([{ label: `photo, then the cut-out's relief: ${variants.map((v) => v.name).join(' | ')}`, panels }], `${name}: 40 mm cut-out, 1.3 mm relief, raking light`);
        await writeFile(join(outDir, `relief-${name}.png`), sheet);
      }
      process.stderr.write(`  relief: ${name}\n`);
    }
  }

  return { report: reliefReport(pairScores, photoScores, variants), rows: reliefRows(pairScores, photoScores) };
}

function reliefReport(pairScores: PairScore[], photoScores: PhotoScore[], variants: ReliefVariant[]): string {
  const f = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
  let report = '## Reliefs of the predicted depth against reliefs of the true depth\n\n';
  report += 'Plates (rmbg 0, pro), 40 mm, 1.3 mm: the same engine variant on both; raking light 25° from the upper left. Mean over pairs.\n\n';
  report += '| pairs | variant | n | SSIM of the renders ↑ | normal angle ° ↓ | fine shape mm (predicted) | fine shape mm (truth) | height field ms (median) |\n';
  report += '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n';
  const kinds: (SceneKind | 'all')[] = ['indoor', 'outdoor', 'object', 'all'];
  for (const kind of kinds) {
    for (const variant of variants) {
      const list = pairScores.filter((s) => s.variant === variant.name && (kind === 'all' || s.pair.kind === kind));
      if (list.length === 0) continue;
      report += `| ${kind} | ${variant.name} | ${list.length} | ${f(mean(list.map((s) => s.ssim)), 3)} | ${f(mean(list.map((s) => s.normalDeg)), 2)} | ${f(mean(list.map((s) => s.fineMm)), 3)} | ${f(mean(list.map((s) => s.truthFineMm)), 3)} | ${Math.round(median(list.map((s) => s.ms)))} |\n`;
    }
  }
  report += '\n## Cut-outs of photos: fine shape, and whether it is the photo\'s texture\n\n';
  report += 'rmbg 1, pro, 40 mm, 1.3 mm. Fine shape: RMS of height minus its 2 mm blur; texture: mean |correlation| of that with the photo\'s fine luminance.\n\n';
  report += '| photos | variant | n | fine shape mm ↑ | photos ≥ 0.08 mm | texture \\|r\\| | height field ms (median) |\n';
  report += '| --- | --- | ---: | ---: | ---: | ---: | ---: |\n';
  for (const set of ['photos', 'masks photos', 'all']) {
    for (const variant of variants) {
      const list = photoScores.filter((s) => s.variant === variant.name && (set === 'all' || s.set === set));
      if (list.length === 0) continue;
      const reached = list.filter((s) => s.fineMm >= 0.08).length;
      report += `| ${set} | ${variant.name} | ${list.length} | ${f(mean(list.map((s) => s.fineMm)), 3)} | ${reached} | ${f(mean(list.map((s) => Math.abs(s.texture))), 2)} | ${Math.round(median(list.map((s) => s.ms)))} |\n`;
    }
  }
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
  report += '\nContact sheets: relief-<pair>.png (photo, predicted reliefs; true reliefs below), relief-<photo>.png (photo, cut-out reliefs).\n';
  return report;
}

function reliefRows(pairScores: PairScore[], photoScores: PhotoScore[]): object[] {
  return [
    ...pairScores.map(({ pair, ...s }) => ({ section: 'relief', level: 'pair', pair: pair.id, dataset: pair.dataset, kind: pair.kind, ...s })),
    ...photoScores.map((s) => ({ section: 'relief', level: 'photo', ...s })),
  ];
}
