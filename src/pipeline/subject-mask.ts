// The whole subject, not only its most salient part: a GrabCut-style colour graph cut (Rother,
// Kolmogorov & Blake, "GrabCut", SIGGRAPH 2004) seeded by the saliency model instead of a user's
// rectangle, with the depth map as a further cue.
//
// A saliency model at 320 px finds where the subject is, but misses parts of it whose look it was
// not trained to call salient (leaves around a pot, a banana beside an orange) and blurs its
// outline. Each pixel's cost of being foreground or background adds up:
//   - the saliency, as a prior (weak: it is what we correct);
//   - colour: how likely the pixel's colour is under the foreground's and the background's colour
//     models (smoothed 3-D histograms), re-learnt from the cut at each iteration, so that the parts
//     of the subject that look like its salient parts join it;
//   - depth: the same for the inverse depth (the subject is nearer than what surrounds it);
// and a contrast-sensitive smoothness term makes the cut follow the photo's edges. Then small
// islands are dropped and holes inside the subject filled.
import { runComponents, type RunComponents } from '../raster/components.js';
import { minCut } from './graph-cut.js';
import { salientBox } from './mask.js';

export interface SubjectMaskOptions {
  /** Long side of the grid the cut is made on (px). */
  gridLongSide: number;
  /** A second saliency pass on the subject's box when the box is under this share of the frame; 0: never. */
  cropBelow: number;
  /** Weight of the saliency prior: nats per unit of the saliency's log-odds. */
  saliency: number;
  /** Saliency at which the prior is neutral (the model's saliency is min-max normalised, mostly 0 or 1). */
  neutral: number;
  /** Weight of the colour models. */
  colour: number;
  /** Weight of the depth models (0: depth not used). */
  depth: number;
  /** Smoothness weight (GrabCut's gamma, for an 8-connected grid). */
  smoothness: number;
  /** Colour-model / cut rounds. */
  iterations: number;
  /** Holes inside the subject up to this share of the frame are filled (larger ones if mostly salient). */
  holeArea: number;
  /** Mean saliency above which a hole of any size is filled. */
  holeSaliency: number;
  /** Steepness of the soft alpha around the outline: 1 keeps the guided filter's ramp, 2 halves its width. */
  alphaContrast: number;
  /**
   * The first foreground colour model also learns, at this share of the salient pixels' weight, the
   * colours of the unsure pixels (neither salient nor in the frame's border band): GrabCut's "inside
   * the rectangle". A part of the subject the saliency missed (leaves around a pot, a kiwi beside an
   * orange) then joins it unless its colours are the background's. 0: the salient pixels only.
   */
  unsure: number;
  /** The saliency's prior for background is at most this many nats (a miss of the saliency is common, a false alarm rare). */
  backgroundPrior: number;
}

export interface SubjectCutInput {
  width: number;
  height: number;
  /** RGB at the grid, 3 bytes per pixel. */
  rgb: Uint8Array;
  /** Saliency 0..1 at the grid. */
  saliency: Float32Array;
  /** Inverse depth at the grid (larger = nearer), any scale; absent: no depth cue. */
  inverseDepth?: Float32Array;
  /** 0 where the pixel must be background (outside the user's box, transparent in the image). */
  allowed?: Float32Array;
  /** The API's degree_rmbg: higher removes more; 0.02 (the default) is neutral. */
  degreeRmbg: number;
  /** 1 on open sky (scene-priors.ts' skyMask): in a scene without a compact subject (isScene), the background, everything else the subject. */
  sky?: Uint8Array;
}

const COLOUR_BITS = 4;
const COLOUR_BINS = 1 << (3 * COLOUR_BITS);
const DEPTH_BINS = 32;
/** Saliency is never taken as certain: its prior is at most this many nats either way. */
const PRIOR_LIMIT = 4;
/** What a forbidden label costs: more than any sum of the other terms. */
const FORBIDDEN = 1e6;
/** degree_rmbg's default: its bias on the cut is zero there. */
const NEUTRAL_DEGREE = 0.02;

const logit = (p: number): number => {
  const q = Math.min(1 - 1e-4, Math.max(1e-4, p));
  return Math.log(q / (1 - q));
};

/** Negative log likelihoods of a histogram model, smoothed over neighbouring bins. */
function histogramCosts(
  bins: Uint16Array | Uint8Array,
  count: number,
  weights: Float32Array,
  n: number,
  blur: (h: Float64Array) => Float64Array,
): Float32Array {
  const hist = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (w > 0) {
      hist[bins[i]!] = hist[bins[i]!]! + w;
      total += w;
    }
  }
  const smooth = blur(hist);
  // A small uniform share: a colour never seen is unlikely, not impossible.
  const floor = (0.01 * total) / count + 1e-9;
  let sum = 0;
  for (let b = 0; b < count; b++) sum += smooth[b]! + floor;
  const costs = new Float32Array(count);
  for (let b = 0; b < count; b++) costs[b] = -Math.log((smooth[b]! + floor) / sum);
  return costs;
}

/** A 3x3x3 box blur of a colour histogram (so near colours share their evidence). */
function blurColour(h: Float64Array): Float64Array {
  const side = 1 << COLOUR_BITS;
  let src = h;
  for (const stride of [1, side, side * side]) {
    const out = new Float64Array(src.length);
    for (let b = 0; b < src.length; b++) {
      const c = Math.floor(b / stride) % side;
      out[b] = src[b]! + (c > 0 ? src[b - stride]! : 0) * 0.5 + (c < side - 1 ? src[b + stride]! : 0) * 0.5;
    }
    src = out;
  }
  return src;
}

function blurDepth(h: Float64Array): Float64Array {
  const out = new Float64Array(h.length);
  for (let b = 0; b < h.length; b++) out[b] = h[b]! + 0.5 * ((h[b - 1] ?? 0) + (h[b + 1] ?? 0));
  return out;
}

/** Contrast-sensitive smoothness weights of the 4 forward directions (right, down, down right, down left). */
function smoothnessWeights(
  rgb: Uint8Array,
  width: number,
  height: number,
  gamma: number,
): [Float32Array, Float32Array, Float32Array, Float32Array] {
  const n = width * height;
  const steps: [number, number][] = [
    [1, 0],
    [0, 1],
    [1, 1],
    [-1, 1],
  ];
  const diffs = steps.map(() => new Float32Array(n));
  let sum = 0;
  let count = 0;
  steps.forEach(([dx, dy], d) => {
    const out = diffs[d]!;
    for (let y = 0; y + dy < height; y++) {
      for (let x = Math.max(0, -dx); x < width - Math.max(0, dx); x++) {
        const p = y * width + x;
        const q = p + dx + dy * width;
        const r = rgb[p * 3]! - rgb[q * 3]!;
        const g = rgb[p * 3 + 1]! - rgb[q * 3 + 1]!;
        const b = rgb[p * 3 + 2]! - rgb[q * 3 + 2]!;
        out[p] = r * r + g * g + b * b;
        sum += out[p]!;
        count++;
      }
    }
  });
  // GrabCut's beta: the inverse of twice the mean squared colour difference of neighbours.
  const beta = count > 0 && sum > 0 ? count / (2 * sum) : 0;
  return diffs.map((diff, d) => {
    const scale = gamma / (d >= 2 ? Math.SQRT2 : 1);
    for (let p = 0; p < n; p++) diff[p] = scale * Math.exp(-beta * diff[p]!);
    return diff;
  }) as [Float32Array, Float32Array, Float32Array, Float32Array];
}

/** Depth bins 0..DEPTH_BINS-1 over the 2..98 % range of the inverse depth. */
function depthBins(inverse: Float32Array): Uint8Array {
  const sorted = Float32Array.from(inverse.filter((_, i) => i % 7 === 0)).sort();
  const lo = sorted[Math.floor(0.02 * (sorted.length - 1))]!;
  const hi = sorted[Math.floor(0.98 * (sorted.length - 1))]!;
  const scale = hi > lo ? DEPTH_BINS / (hi - lo) : 0;
  return Uint8Array.from(inverse, (v) => Math.min(DEPTH_BINS - 1, Math.max(0, Math.floor((v - lo) * scale))));
}

/** The frame's border band, where a subject is rare: GrabCut's outside of the rectangle, this share of the short side. */
const BORDER_BAND = 0.05;

/**
 * Where the cut starts (see subjectCut): `forbidden` 1 where the subject may not be (outside the
 * user's box, the image's own transparency, open sky); the first models' weights of each pixel.
 */
function sureRegions(
  input: SubjectCutInput,
  options: Pick<SubjectMaskOptions, 'neutral' | 'unsure'>,
): { forbidden: Uint8Array; foreground: Float32Array; background: Float32Array; scene: boolean } {
  const { width, height, saliency, allowed, sky } = input;
  const n = width * height;
  // A scene: the sky is the background, everything else the subject's first model; the cut then
  // decides only what looks like sky (the sky through an arch, the haze at the horizon).
  if (sky && !allowed && isScene(saliency, sky, width, height)) {
    return {
      forbidden: Uint8Array.from(sky),
      foreground: Float32Array.from(sky, (s) => 1 - s),
      background: Float32Array.from(sky),
      scene: true,
    };
  }
  const forbidden = new Uint8Array(n);
  for (let i = 0; i < n; i++) forbidden[i] = allowed && !(allowed[i]! >= 0.5) ? 1 : 0;
  // With a box (or the image's transparency), the background's first model is what is outside it
  // and the not salient border band inside it; without, every not salient pixel (a border band
  // alone was no better on either half of the evaluation: docs/reliefs.md "Background removal").
  let anyForbidden = false;
  for (let i = 0; i < n && !anyForbidden; i++) anyForbidden = forbidden[i] === 1;
  // The border band of the allowed region: pixels within `band` of a forbidden pixel or the frame's edge.
  const band = Math.max(1, Math.round(BORDER_BAND * Math.min(width, height)));
  const near = nearForbidden(forbidden, width, height, band);
  const foreground = new Float32Array(n);
  const background = new Float32Array(n);
  let salient = 0;
  let unsure = 0;
  for (let i = 0; i < n; i++) {
    if (forbidden[i]) background[i] = 1;
    else if (saliency[i]! >= 0.5) {
      foreground[i] = 1;
      salient++;
    } else if ((near[i] || !anyForbidden) && saliency[i]! < options.neutral / 2) background[i] = 1;
    else unsure++;
  }
  // Nothing salient where the subject may be: the allowed region is the subject's first model (GrabCut).
  if (salient === 0) {
    for (let i = 0; i < n; i++) if (!forbidden[i] && !background[i]) foreground[i] = 1;
  } else if (unsure > 0 && options.unsure > 0) {
    const w = (options.unsure * salient) / unsure;
    for (let i = 0; i < n; i++) if (!forbidden[i] && !background[i] && !foreground[i]) foreground[i] = w;
  }
  // No border band to learn the background from (a box over the whole frame, a subject filling it): the not salient pixels.
  let bgTotal = 0;
  for (let i = 0; i < n; i++) bgTotal += background[i]!;
  if (bgTotal < 0.01 * n) for (let i = 0; i < n; i++) if (!forbidden[i] && saliency[i]! < options.neutral / 2) background[i] = 1;
  return { forbidden, foreground, background, scene: false };
}

/** A sky under this share of the frame does not make a scene (blue between leaves, a strip above a horse). */
const SCENE_SKY = 0.15;
/** The salient parts spanning this share of the frame's width, scattered over their box, are no compact subject. */
const SCENE_WIDTH = 0.9;

/**
 * A scene without one compact subject (a building, a landscape): open sky (at least SCENE_SKY of
 * the frame) at the top, the land under it reaching the bottom and both sides of the frame, and
 * nothing salient, or salient parts strewn across the whole width (a building's tower tops: at least
 * SCENE_WIDTH of it, filling less than half of their box). A compact subject in front of the sky (a
 * person, a horse, a toy before a landscape) fills its box or leaves the sides free. Removing a
 * scene's background removes the sky and keeps the rest: a saliency model finds only a building's
 * most striking parts, and the colours it learns from the rest throw the facade away.
 */
export function isScene(saliency: Float32Array, sky: Uint8Array, width: number, height: number): boolean {
  const n = width * height;
  let skyArea = 0;
  for (let i = 0; i < n; i++) skyArea += sky[i]!;
  if (skyArea < SCENE_SKY * n || skyArea > (1 - SCENE_SKY) * n) return false;
  // The land reaches the bottom row and both side columns (in the frame's lower half).
  let bottom = 0;
  for (let x = 0; x < width; x++) bottom += sky[(height - 1) * width + x] ? 0 : 1;
  let left = false;
  let right = false;
  for (let y = Math.floor(height / 2); y < height; y++) {
    if (!sky[y * width]) left = true;
    if (!sky[y * width + width - 1]) right = true;
  }
  if (bottom < 0.9 * width || !left || !right) return false;
  const box = salientBox(saliency, width, height);
  if (box === undefined) return true;
  let salient = 0;
  for (let i = 0; i < n; i++) if (saliency[i]! >= 0.5) salient++;
  return box.x1 - box.x0 >= SCENE_WIDTH * width && salient < 0.5 * (box.x1 - box.x0) * (box.y1 - box.y0);
}

/** 1 on pixels within `band` (Chebyshev distance) of a forbidden pixel or of the frame's edge. */
function nearForbidden(forbidden: Uint8Array, width: number, height: number, band: number): Uint8Array {
  // A square dilation, separable: along the rows, then along the columns.
  const dilate = (src: Uint8Array, count: number, length: number, index: (line: number, k: number) => number): Uint8Array => {
    const out = new Uint8Array(src.length);
    for (let line = 0; line < count; line++) {
      let last = -Infinity;
      for (let k = 0; k < length; k++) {
        if (src[index(line, k)]) last = k;
        if (k - last <= band) out[index(line, k)] = 1;
      }
      last = Infinity;
      for (let k = length - 1; k >= 0; k--) {
        if (src[index(line, k)]) last = k;
        if (last - k <= band) out[index(line, k)] = 1;
      }
    }
    return out;
  };
  const rows = dilate(forbidden, height, width, (y, x) => y * width + x);
  const out = dilate(rows, width, height, (x, y) => y * width + x);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (x < band || y < band || x >= width - band || y >= height - band) out[y * width + x] = 1;
  }
  return out;
}

/** The cut: 1 = subject, 0 = background, at the grid. */
export function subjectCut(input: SubjectCutInput, options: SubjectMaskOptions): Uint8Array {
  const { width, height, rgb, saliency } = input;
  const n = width * height;
  // degree_rmbg 1: the bias is infinite (the logit of 1), nothing is subject.
  if (input.degreeRmbg >= 1) return new Uint8Array(n);
  const shift = 8 - COLOUR_BITS;
  const colourBin = new Uint16Array(n);
  for (let i = 0; i < n; i++)
    colourBin[i] = ((rgb[i * 3]! >> shift) << (2 * COLOUR_BITS)) | ((rgb[i * 3 + 1]! >> shift) << COLOUR_BITS) | (rgb[i * 3 + 2]! >> shift);
  const depth = input.inverseDepth && options.depth > 0 ? depthBins(input.inverseDepth) : undefined;

  // The prior, in log-odds: saliency above `neutral` leans foreground (at most PRIOR_LIMIT nats),
  // below it background (at most `backgroundPrior`).
  const sure = sureRegions(input, options);
  const neutral = logit(options.neutral);
  const priorFg = new Float32Array(n);
  // In a scene the saliency has no say: it is what missed the scene.
  for (let i = 0; i < n && !sure.scene; i++) {
    const odds = options.saliency * (logit(saliency[i]!) - neutral);
    priorFg[i] = -Math.min(PRIOR_LIMIT, Math.max(-options.backgroundPrior, odds));
  }
  const pairwise = smoothnessWeights(rgb, width, height, options.smoothness);

  // GrabCut's start: what is surely background (outside the user's box, open sky, the frame's
  // border band where nothing is salient) and what is surely subject (salient, or the whole box when
  // nothing in it is), the rest unsure. The models are learnt from the sure pixels, the foreground's
  // also from the unsure ones at a small weight.
  let fgWeight = sure.foreground;
  let bgWeight = sure.background;
  let labels: Uint8Array = new Uint8Array(n);
  const toBackground = new Float32Array(n);
  const toForeground = new Float32Array(n);
  // degree_rmbg biases only the last cut, the models being learnt without it: the cuts of one photo
  // at different degrees then differ by a constant on every pixel's cost, and a min cut's subject
  // only grows as the cost of subject falls (parametric max-flow), so lower keeps more, always.
  const bias = logit(input.degreeRmbg) - logit(NEUTRAL_DEGREE);
  for (let round = 0; round < options.iterations; round++) {
    const fgColour = histogramCosts(colourBin, COLOUR_BINS, fgWeight, n, blurColour);
    const bgColour = histogramCosts(colourBin, COLOUR_BINS, bgWeight, n, blurColour);
    const fgDepth = depth && histogramCosts(depth, DEPTH_BINS, fgWeight, n, blurDepth);
    const bgDepth = depth && histogramCosts(depth, DEPTH_BINS, bgWeight, n, blurDepth);
    const shift = round === options.iterations - 1 ? bias : 0;
    for (let i = 0; i < n; i++) {
      let fg = priorFg[i]! + shift + options.colour * fgColour[colourBin[i]!]!;
      let bg = options.colour * bgColour[colourBin[i]!]!;
      if (depth && fgDepth && bgDepth) {
        fg += options.depth * fgDepth[depth[i]!]!;
        bg += options.depth * bgDepth[depth[i]!]!;
      }
      if (sure.forbidden[i]) fg = FORBIDDEN;
      // Only the difference matters to the cut; keep both non-negative.
      const low = Math.min(fg, bg);
      toForeground[i] = fg - low;
      toBackground[i] = bg - low;
    }
    labels = minCut({ width, height, toBackground, toForeground, pairwise });
    fgWeight = Float32Array.from(labels);
    bgWeight = Float32Array.from(labels, (l, i) => (sure.forbidden[i] ? 1 : 1 - l));
  }
  return cleanUp(labels, saliency, width, height, options);
}

/** Per component: the sum of `values` over its pixels. */
function sumPerComponent(parts: RunComponents, values: Float32Array, width: number): Float64Array {
  const sums = new Float64Array(parts.count);
  for (let r = 0; r < parts.runs; r++) {
    const row = parts.row[r]! * width;
    let sum = 0;
    for (let x = parts.from[r]!; x <= parts.to[r]!; x++) sum += values[row + x]!;
    sums[parts.component[r]!] = sums[parts.component[r]!]! + sum;
  }
  return sums;
}

/** Sets every pixel of the components `pick` selects to `value`, in place. */
function paint(mask: Uint8Array, parts: RunComponents, pick: (c: number) => boolean, value: number, width: number): void {
  for (let r = 0; r < parts.runs; r++) {
    if (pick(parts.component[r]!)) mask.fill(value, parts.row[r]! * width + parts.from[r]!, parts.row[r]! * width + parts.to[r]! + 1);
  }
}

/**
 * Islands that are neither salient nor large dropped, holes inside the subject filled: a speck of
 * background texture does not become a separate part, and a dark patch inside the subject (an eye,
 * a shadow) does not become a hole through it. A hole the saliency calls background and that is
 * not tiny stays (the gap under a handle, between a horse's legs).
 */
export function cleanUp(
  labels: Uint8Array,
  saliency: Float32Array,
  width: number,
  height: number,
  options: Pick<SubjectMaskOptions, 'holeArea' | 'holeSaliency'>,
): Uint8Array {
  const n = width * height;
  const out = Uint8Array.from(labels);
  const parts = runComponents(out, width, height, true);
  const partSalience = sumPerComponent(
    parts,
    Float32Array.from(saliency, (s) => (s >= 0.5 ? 1 : 0)),
    width,
  );
  const largest = Math.max(0, ...parts.size);
  paint(out, parts, (c) => !(parts.size[c]! >= 0.1 * largest || partSalience[c]! >= 0.5 * parts.size[c]!), 0, width);
  const background = Uint8Array.from(out, (v) => 1 - v);
  const holes = runComponents(background, width, height, false);
  const holeSalience = sumPerComponent(holes, saliency, width);
  paint(
    out,
    holes,
    (c) => !holes.border[c] && (holes.size[c]! < options.holeArea * n || holeSalience[c]! >= options.holeSaliency * holes.size[c]!),
    1,
    width,
  );
  return out;
}
