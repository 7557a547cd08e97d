// The pipeline as one call: image bytes in, DepthMap out. Pure computation: no HTTP, SQL or queues,
// so the worker, the command line and the benchmarks all call this same function.
//
//   decode -> (mask, when rmbg) -> depth: global pass + tiles (fuse.ts) -> (objects: inflation)
//     -> edge-aware upsampling to 1K/2K guided by the photo (raster/guided-filter.ts) -> normalize
//
// base: one global pass, guided upsampling to a long side of 1024.
// pro: the global pass plus overlapping tiles at twice the scale, guided upsampling to 2048.
// The numbers behind each choice are in docs/models-and-quality.md "Depth quality" (bench/eval.ts measures them).
import type { StageReporter } from '../contract/progress.js';
import { OUTPUT_LONG_SIDE } from '../contract/task.js';
import { checkPhotoShape, decodeImage, type DecodeLimits, type DecodedImage } from '../raster/decode.js';
import { predictInverseDepth } from './depth.js';
import type { DepthMap } from '../raster/depth-map.js';
import { gridSize, multiScaleInverseDepth, type FuseOptions } from './fuse.js';
import { guidedUpsample, type GuidedFilterOptions } from '../raster/guided-filter.js';
import { lumaPlane, resizeRgb } from '../raster/image-ops.js';
import { objectDepth, type ObjectWeights } from './inflate.js';
import { foregroundMask, predictSaliency, twoScaleSaliency } from './mask.js';
import { roomness, skyMask, skyToFar, subjectInFront } from './scene-priors.js';
import { CONVENTION, type DepthMetadata } from '../contract/depth-metadata.js';
import { normalizeInverseDepth } from './normalize.js';
import { subjectCut, type SubjectMaskOptions } from './subject-mask.js';
import { boxPlane, decodeUserMask, type SubjectBox } from './user-mask.js';
import type { ModelEntry } from '../models/model-cache.js';
import type { LoadedModel, PipelineSessions } from '../models/sessions.js';
import { outputSize, resizeArea, resizeBilinear } from '../raster/resize.js';
import type { FloatPlane } from '../raster/plane.js';

export type { DepthMetadata } from '../contract/depth-metadata.js';

export interface PipelineParams {
  /** 'pro': long side 2048; 'base': long side 1024 (aspect ratio kept). */
  modelType: 'base' | 'pro';
  /** Remove the background: background depth 0 and alpha 0, alpha 1 on the object. */
  rmbg: boolean;
  /** Cut on normalised saliency, 0..1: foreground where saliency > degreeRmbg (API default 0.02). */
  degreeRmbg: number;
  /** rmbg: the user's own mask (image bytes: its alpha, else its grey, is the foreground); replaces the model's. */
  userMask?: Uint8Array;
  /** rmbg: where the subject is (x0, y0, x1, y1 in 0..1): outside is background, inside seeds the cut. */
  subjectBox?: SubjectBox;
}

export { OUTPUT_LONG_SIDE };

/**
 * The knobs of the depth stages. Each model_type has its defaults (TUNING); the evaluation
 * overrides them to compare alternatives on ground truth. Not part of the API.
 */
export interface DepthTuning {
  fuse: FuseOptions;
  /**
   * Resolution of the working grid: the short side of the largest 4:3 window gets this many times
   * the model's input height (224 for FastDepth), i.e. the finest tile zoom: one model pixel per
   * grid pixel.
   */
  gridScale: number;
  /** Smallest long side of the grid the guided filter works on (the fused depth is resized to it). */
  guideLongSide: number;
  /**
   * Edge-aware filtering of depth, radius in guide-grid pixels: every pass but the last filters at
   * the guide grid, the last one also upsamples to the output size. []: bilinear upsampling.
   */
  guided: GuidedFilterOptions[];
  /** Edge-aware refinement of the mask at full resolution; null: bilinear saliency cut (v1). */
  maskGuided: GuidedFilterOptions | null;
  /**
   * rmbg=1: the whole-subject mask stage (subject-mask.ts): saliency at two scales, depth, a colour
   * graph cut, holes filled and specks dropped; null: the saliency cut alone (issue 12's).
   */
  subjectMask: SubjectMaskOptions | null;
  /** Objects (rmbg=1): weights of the silhouette volume and of the model's shape; null: model only. */
  objects: ObjectWeights | null;
  /** rmbg=0: open sky (smooth, sky-coloured, reaching the top of the frame) to the far plane. */
  sky: boolean;
  /**
   * rmbg=0: the salient subject lifted in front of its surroundings (scene-priors.ts), this much of
   * the lift; 0: off (and no mask model is run when the background is kept).
   */
  subject: number;
  /** rmbg=0: the subject, once in front, shaped like a cut-out object (objectDepth); null: its own shape. */
  subjectShape: ObjectWeights | null;
}

// Every value below was chosen on the evaluation set (docs/models-and-quality.md "Depth quality"; the alternatives
// are `npm run eval -- ../shared/eval --ablation`), object weights also by eye on contact sheets.
const BASE_TUNING: DepthTuning = {
  // Squashing the whole image scored best (FastDepth was trained on squashed 4:3 crops).
  fuse: { feed: 'squash', zooms: [], overlap: 0.5, lowpass: 0 },
  gridScale: 1,
  guideLongSide: 512,
  guided: [{ radius: 6, eps: 3e-4 }],
  maskGuided: { radius: 4, eps: 1e-3 },
  // Chosen on the mask evaluation (docs/reliefs.md "Background removal"). The depth cue is there but off:
  // with FastDepth's depth it cost IoU on every kind of scene (0.870 without it, 0.865 at 0.5).
  // The cut's grid is 320 px, not 384: the same masks (IoU 0.869 against 0.870) in 60 % of the time,
  // which keeps the 12 MP mask stage within its budget (docs/reliefs.md "Background removal").
  subjectMask: {
    gridLongSide: 320,
    cropBelow: 0.5,
    saliency: 1,
    neutral: 0.1,
    colour: 1,
    depth: 0,
    smoothness: 10,
    iterations: 2,
    holeArea: 0.002,
    holeSaliency: 0.5,
    alphaContrast: 1,
    unsure: 0,
    backgroundPrior: 4,
  },
  objects: { volume: 2, model: 0.3 },
  // Chosen on the evaluation (docs/models-and-quality.md "Depth quality"); both fade out on rooms (roomness). The
  // subject costs a mask model run (~350 ms on 2 cores) on every photo that is not a room: pro's.
  sky: true,
  subject: 0,
  subjectShape: null,
};

export const TUNING: Readonly<Record<PipelineParams['modelType'], DepthTuning>> = {
  base: BASE_TUNING,
  pro: {
    ...BASE_TUNING,
    // Tiles at twice the scale, half-overlapping; only their detail finer than ~8 grid pixels is
    // kept, the coarser structure stays the global pass's (tiles alone lose the room's layout).
    fuse: { feed: 'squash', zooms: [2], overlap: 0.5, lowpass: 8 },
    gridScale: 2,
    guideLongSide: 768,
    guided: [{ radius: 4, eps: 3e-4 }],
    // The subject in front, then stood half upright (an indoor model tilts it like a floor) and
    // given half the cut-out volume: objects' ordinal error 0.305 -> 0.247 (docs/models-and-quality.md). Checked on
    // the scene split (docs/models-and-quality.md "Scene split: tune on one half"): chosen on half B, it also helps on the unseen half A.
    subject: 1,
    subjectShape: { volume: 1, model: 1, tilt: 0.5 },
  },
};

/**
 * The tuning a model gets for a model_type. TUNING was chosen for FastDepth, a CNN with a 224 px
 * window that sees more of the scene's detail when shown tiles. A ViT that takes the whole photo at
 * its own aspect ratio (Depth Anything V2: 518 px short side, 14 px patches) is known to work best
 * on the whole frame at once (its authors' recipe; tiles lose the scene context its relative
 * depth depends on, and their seams need a learnt fusion to hide): pro keeps the one global pass
 * and its larger output with the guided upsampling, without tiles. The scene priors follow the
 * registry (indoorOnly), whatever the tuning.
 */
export function tuningFor(modelType: PipelineParams['modelType'], entry: Pick<ModelEntry, 'input'>): DepthTuning {
  const tuning = TUNING[modelType];
  if (entry.input.sizing !== 'keep-aspect') return tuning;
  return { ...tuning, fuse: { ...tuning.fuse, zooms: [] }, gridScale: 1 };
}

/** Wall-clock milliseconds per stage, for logs and benchmarks. `mask` is 0 when rmbg is off. */
export interface StageTimings {
  /** Waiting for the model sessions: their creation on a process's first task(s), about 0 after. */
  models: number;
  decode: number;
  /** Saliency model, cut and edge-aware refinement at the output size. */
  mask: number;
  /** Global pass, tiles and their fusion, object shaping. */
  depth: number;
  /** Working copies of the photo, and depth (and image alpha) brought to the output size. */
  upsample: number;
  normalize: number;
  /** Everything, models included. */
  total: number;
}

/** A DepthMap plus how long each stage took and what the values mean; encoders may ignore both. */
export interface PipelineResult extends DepthMap {
  timings: StageTimings;
  /** For the EXR header (encodeExr's second argument): model, convention, raw range. */
  metadata: DepthMetadata;
}

/** Zeroed stage timings and a lap clock: each lap() returns the milliseconds since the last. */
export function stageClock(): { timings: StageTimings; lap: () => number; start: number } {
  const start = performance.now();
  let mark = start;
  const lap = (): number => {
    const now = performance.now();
    const elapsed = now - mark;
    mark = now;
    return elapsed;
  };
  return { timings: { models: 0, decode: 0, mask: 0, depth: 0, upsample: 0, normalize: 0, total: 0 }, lap, start };
}

/** The image's own alpha at (width, height), 0..1, or undefined when the image is opaque. */
export function imageAlphaAt(image: DecodedImage, width: number, height: number): FloatPlane | undefined {
  if (!image.alpha) return undefined;
  const data = new Float32Array(image.alpha.length);
  for (let i = 0; i < data.length; i++) data[i] = image.alpha[i]! / 255;
  const plane = { width: image.width, height: image.height, data };
  return width < image.width ? resizeArea(plane, width, height) : resizeBilinear(plane, width, height);
}

/** predictInverseDepth inverts metric depth (metres -> 1/m) and passes disparity through. */
export function rawUnit(model: LoadedModel): string {
  return model.entry.output.kind === 'metric-depth' ? '1/m' : 'disparity (model units)';
}

/** The fusion grid (model windows) and the guide grid (edge-aware filtering) of a photo. */
export function workingGrids(
  decoded: { width: number; height: number },
  tuning: Pick<DepthTuning, 'gridScale' | 'guideLongSide'>,
  depthInputHeight: number,
): { fuseSize: { width: number; height: number }; guideSize: { width: number; height: number } } {
  const fuseSize = gridSize(decoded.width, decoded.height, tuning.gridScale * depthInputHeight);
  const guideSize =
    Math.max(fuseSize.width, fuseSize.height) >= tuning.guideLongSide
      ? fuseSize
      : outputSize(decoded.width, decoded.height, Math.min(tuning.guideLongSide, Math.max(decoded.width, decoded.height)));
  return { fuseSize, guideSize };
}

/** Where the mask stage works: the guide grid with its luma, and the output size with its luma. */
export interface MaskGrids {
  guideSize: { width: number; height: number };
  guideLow: FloatPlane;
  guideHigh: FloatPlane;
  width: number;
  height: number;
}

/** What the user said about the background removal (PipelineParams' rmbg fields). */
export type MaskHints = Pick<PipelineParams, 'degreeRmbg' | 'userMask' | 'subjectBox'>;

/** The 0/1 cut of a soft mask (0..1) at 0.5, in place; the image's own transparency is background. */
function cutAtHalf(mask: Float32Array, imageAlpha?: Float32Array): Float32Array {
  for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! >= 0.5 && (imageAlpha === undefined || imageAlpha[i]! >= 0.5) ? 1 : 0;
  return mask;
}

/** The working images of the mask stage besides MaskGrids: the photo at the guide grid, and its inverse depth there. */
export interface MaskCues {
  guideImage: DecodedImage;
  /** Inverse depth (larger = nearer) at the guide grid, before any object shaping; absent: no depth cue. */
  inverseDepth?: Float32Array;
}

/** Soft alpha from the guided filter's output: the faint haze it leaves around a hard outline goes. */
function softAlpha(values: Float32Array, contrast: number, imageAlpha?: Float32Array): Float32Array {
  for (let i = 0; i < values.length; i++) {
    let a = (values[i]! - 0.5) * contrast + 0.5;
    a = a < 0.02 ? 0 : a > 0.98 ? 1 : a;
    values[i] = imageAlpha === undefined ? a : Math.min(a, imageAlpha[i]!);
  }
  return values;
}

/**
 * The rmbg mask stage: the cut at the guide grid (`low`, 0/1, used to keep the background out of
 * the object's depth), and the mask at the output size (`full`, 0..1, the output's alpha). With
 * `subjectMask` tuning (the default): saliency at two scales, the colour and depth graph cut and its
 * clean-up (subject-mask.ts), then the outline moved onto the photo's edges by the guided filter,
 * kept soft where the photo is (fur, hair). Without it: the saliency cut alone (issue 12's), refined
 * by `maskGuided` or bilinear (v1). The image's own transparency counts as background, a subject
 * box as the only place the subject may be, and a user's mask replaces all of it.
 */
export async function objectMask(
  model: LoadedModel | undefined,
  decoded: DecodedImage,
  grids: MaskGrids,
  hints: MaskHints,
  tuning: Pick<DepthTuning, 'maskGuided' | 'subjectMask'>,
  cues?: MaskCues,
  decodeLimits?: DecodeLimits,
): Promise<{ low: Float32Array; full: Float32Array }> {
  const { guideSize, guideLow, guideHigh, width, height } = grids;
  const refine = tuning.maskGuided;
  const imageAlpha = imageAlphaAt(decoded, width, height)?.data;
  const lowAlpha = imageAlphaAt(decoded, guideSize.width, guideSize.height)?.data;
  if (hints.userMask) {
    const drawn = await decodeUserMask(hints.userMask, width, height, decodeLimits);
    const low = cutAtHalf(resizeArea(drawn, guideSize.width, guideSize.height).data, lowAlpha);
    return { low, full: cutAtHalf(drawn.data, imageAlpha) };
  }
  if (!model) throw new Error('objectMask needs a mask model unless the user gives the mask');
  const options = tuning.subjectMask;
  if (options && cues) {
    const cutSize = outputSize(
      guideSize.width,
      guideSize.height,
      Math.min(options.gridLongSide, Math.max(guideSize.width, guideSize.height)),
    );
    const sameGrid = cutSize.width === guideSize.width && cutSize.height === guideSize.height;
    const rgb = sameGrid ? cues.guideImage : await resizeRgb(cues.guideImage, cutSize.width, cutSize.height);
    const saliency = await twoScaleSaliency(model, decoded, cutSize.width, cutSize.height, options.cropBelow);
    const allowed = hints.subjectBox ? boxPlane(hints.subjectBox, cutSize.width, cutSize.height) : undefined;
    // A subject box is GrabCut's rectangle: outside it, surely background; inside, the cut decides.
    if (allowed) for (let i = 0; i < saliency.length; i++) if (!allowed[i]) saliency[i] = 0;
    const alphaCut = sameGrid ? lowAlpha : imageAlphaAt(decoded, cutSize.width, cutSize.height)?.data;
    if (alphaCut) for (let i = 0; i < saliency.length; i++) if (alphaCut[i]! < 0.5) saliency[i] = 0;
    const depth =
      cues.inverseDepth &&
      (sameGrid ? cues.inverseDepth : resizeBilinear({ ...guideSize, data: cues.inverseDepth }, cutSize.width, cutSize.height).data);
    // Open sky is never the subject, and where there is no compact subject it is all the background.
    const sky = skyMask(rgb);
    const cut = subjectCut(
      {
        ...cutSize,
        rgb: rgb.rgb,
        saliency,
        inverseDepth: depth,
        allowed: allowed ?? (alphaCut && Float32Array.from(alphaCut, (a) => (a >= 0.5 ? 1 : 0))),
        degreeRmbg: hints.degreeRmbg,
        sky,
      },
      options,
    );
    const cutPlane = { ...cutSize, data: Float32Array.from(cut) };
    const soft = sameGrid ? cutPlane.data : resizeBilinear(cutPlane, guideSize.width, guideSize.height).data;
    const low = cutAtHalf(Float32Array.from(soft), lowAlpha);
    const full = refine
      ? guidedUpsample({ ...guideSize, data: soft }, guideLow, guideHigh, refine)
      : resizeBilinear({ ...guideSize, data: soft }, width, height).data;
    return { low, full: softAlpha(full, options.alphaContrast, imageAlpha) };
  }
  const saliency = await predictSaliency(model, decoded);
  if (hints.subjectBox) {
    const inside = boxPlane(hints.subjectBox, saliency.width, saliency.height);
    for (let i = 0; i < inside.length; i++) saliency.data[i] = saliency.data[i]! * inside[i]!;
  }
  const low = foregroundMask(
    saliency,
    guideSize.width,
    guideSize.height,
    hints.degreeRmbg,
    imageAlphaAt(decoded, guideSize.width, guideSize.height),
  );
  if (!refine)
    return { low, full: foregroundMask(saliency, width, height, hints.degreeRmbg, imageAlpha && { width, height, data: imageAlpha }) };
  // The soft mask is cut to 0/1 in place (one full-size buffer fewer to allocate and collect).
  return { low, full: cutAtHalf(guidedUpsample({ ...guideSize, data: low }, guideLow, guideHigh, refine), imageAlpha) };
}

export async function runPipeline(
  image: Buffer | Uint8Array,
  params: PipelineParams,
  sessions: PipelineSessions,
  tuningOverride?: Partial<DepthTuning>,
  /** Told as each stage starts, and as the depth model's passes end (query-task's progress). */
  report: StageReporter = () => undefined,
): Promise<PipelineResult> {
  const longSide = OUTPUT_LONG_SIDE[params.modelType];
  if (longSide === undefined) throw new RangeError(`unknown modelType ${String(params.modelType)}`);
  if (!(params.degreeRmbg >= 0 && params.degreeRmbg <= 1)) {
    throw new RangeError(`degreeRmbg must be within 0..1, got ${params.degreeRmbg}`);
  }
  const { timings, lap, start } = stageClock();

  // Sessions are awaited first, and timed apart: their creation happens once per process and
  // would otherwise be charged to whichever stage ran first.
  const depthModel = await sessions.depth(params.modelType);
  const tuning: DepthTuning = { ...tuningFor(params.modelType, depthModel.entry), ...tuningOverride };
  // The corrections of scene-priors.ts are for a model that knows rooms only, and for a kept
  // background (with rmbg=1 the object is shaped by objectDepth instead).
  const priors = !params.rmbg && depthModel.entry.output.indoorOnly === true;
  // A user's mask replaces the model's: no mask model is run for it.
  const maskModel = (params.rmbg && !params.userMask) || (priors && tuning.subject > 0) ? await sessions.mask() : undefined;
  timings.models = lap();

  // Decoded no larger than the output: every later stage works at or below that size.
  report({ stage: 'decode' });
  await checkPhotoShape(image);
  const decoded = await decodeImage(image, sessions.decodeLimits, longSide);
  timings.decode = lap();
  const { width, height } = outputSize(decoded.width, decoded.height, longSide);

  let mask: Float32Array | undefined;
  // Working copies: the guide grid (edge-aware filtering) and the fusion grid (model windows).
  const { fuseSize, guideSize } = workingGrids(decoded, tuning, depthModel.entry.input.height);
  const guideImage = await resizeRgb(decoded, guideSize.width, guideSize.height);
  const fuseImage = await resizeRgb(guideImage, fuseSize.width, fuseSize.height);
  const guideLow = lumaPlane(guideImage);
  const guideHigh = lumaPlane(await resizeRgb(decoded, width, height));
  timings.upsample += lap();

  report({ stage: 'depth' });
  const fused = await multiScaleInverseDepth(
    (img) => predictInverseDepth(depthModel, img),
    fuseImage,
    tuning.fuse,
    (done, total) => report({ stage: 'depth', done: done / total }),
  );
  let low =
    fused.width === guideSize.width && fused.height === guideSize.height
      ? fused.data
      : resizeBilinear(fused, guideSize.width, guideSize.height).data;
  timings.depth = lap();

  // The mask after the depth: the subject is nearer than what surrounds it, a cue for the cut.
  let maskLow: Float32Array | undefined;
  if (params.rmbg) {
    report({ stage: 'mask' });
    const grids = { guideSize, guideLow, guideHigh, width, height };
    const cues = { guideImage, inverseDepth: low };
    ({ low: maskLow, full: mask } = await objectMask(maskModel, decoded, grids, params, tuning, cues, sessions.decodeLimits));
    timings.mask = lap();
  }
  if (maskLow && tuning.objects) low = objectDepth(low, maskLow, guideSize.width, guideSize.height, tuning.objects);
  // How much to correct: a metric model's own scale says whether it sees a room, and in rooms
  // it needs no correction.
  const strength = !priors ? 0 : depthModel.entry.output.kind === 'metric-depth' ? 1 - roomness(low) : 1;
  if (strength > 0 && tuning.sky) skyToFar(low, skyMask(guideImage));
  timings.depth += lap();
  if (strength > 0 && maskModel && tuning.subject > 0) {
    // The background stays: the saliency only says where the subject is, softly.
    const subject = resizeBilinear(await predictSaliency(maskModel, decoded), guideSize.width, guideSize.height).data;
    const weight = tuning.subject * strength;
    const lift = subjectInFront(low, subject, guideSize.width, guideSize.height, weight);
    const shape = tuning.subjectShape;
    if (lift !== null && shape) {
      // Faded like the lift: at weight 0 the subject keeps its tilt and gets no volume.
      const tilt = 1 - (1 - (shape.tilt ?? 1)) * weight;
      low = objectDepth(low, subject, guideSize.width, guideSize.height, {
        volume: shape.volume * weight,
        model: 1 - (1 - shape.model) * weight,
        tilt,
      });
    }
    timings.mask = lap();
  }

  report({ stage: 'refine' });
  const passes = tuning.guided;
  for (let k = 0; k < passes.length - 1; k++) {
    low = guidedUpsample({ ...guideSize, data: low }, guideLow, guideLow, passes[k]!, maskLow, maskLow);
  }
  const last = passes.at(-1);
  const lowPlane = { ...guideSize, data: low };
  const inverse = last ? guidedUpsample(lowPlane, guideLow, guideHigh, last, maskLow, mask) : resizeBilinear(lowPlane, width, height).data;
  timings.upsample += lap();

  const { depth, rawMin, rawMax } = normalizeInverseDepth(inverse, mask);
  timings.normalize = lap();
  timings.total = performance.now() - start;

  const metadata: DepthMetadata = {
    model: depthModel.name,
    pipeline: `${params.modelType}${mask && tuning.objects ? '+objects' : ''}`,
    convention: CONVENTION,
    rawMin,
    rawMax,
    rawUnit: rawUnit(depthModel),
  };
  // alpha is exactly the foreground mask: 1 on the object, 0 where depth was zeroed.
  // The photo's lightness at the output size comes along for the relief's detailed style.
  const lightness = guideHigh.data;
  const photoPixel = Math.max(1, width / decoded.width);
  return mask
    ? { width, height, depth, alpha: mask, lightness, photoPixel, timings, metadata }
    : { width, height, depth, lightness, photoPixel, timings, metadata };
}
