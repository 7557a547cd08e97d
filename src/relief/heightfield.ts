// Step 1 of a relief: the depth map becomes a grid of heights in millimetres over the region to
// print (the whole image, the inscribed disk, or the foreground), sampled no finer than a printer
// can use.
import { TaskInputError } from '../contract/errors.js';
import { FIELD_DEFAULTS } from '../contract/task.js';
import type { DepthMap } from '../raster/depth-map.js';
import { distanceToBackground } from '../raster/distance.js';
import { basRelief } from './bas-relief.js';
import { runComponents } from '../raster/components.js';
import { photoDetail, type PhotoDetailGrid } from './photo-detail.js';

/** The create-task fields that shape a relief (the same names as TaskParams). */
export interface ReliefParams {
  /** Millimetres from the lowest to the highest point of the relief surface. */
  heightRelief: number;
  /** Millimetres: the X extent of the mesh. */
  width: number;
  /** Outline of the base plate when there is no alpha (rmbg=0); ignored for a cut-out. */
  shapeBase: 'square' | 'circle';
  /** Millimetres of solid material under the lowest point of the relief. */
  thicknessBase: number;
  /** emboss: near parts stand up; engrave: near parts are cut into the top. */
  sculpmode: 'emboss' | 'engrave';
  /** The bas-relief engine's strength, 0..1 (bas-relief.ts); 0: the depth as it is. Default RELIEF_DETAIL. */
  reliefDetail?: number;
  /** Shape finer than this many mm is smoothed away as photo texture; 0 keeps it. Default RELIEF_SMOOTH. */
  reliefSmooth?: number;
  /** A cut-out's parts narrower than this many mm, and pieces smaller than its square, are dropped. Default MIN_FEATURE. */
  minFeature?: number;
  /**
   * detailed: the photo's own detail (photo-detail.ts) carved over the depth's volume, where the
   * map comes with the photo's lightness; smooth: the depth alone. Default detailed.
   */
  reliefStyle?: 'detailed' | 'smooth';
  /** Millimetres the photo's detail spans in the detailed style. Default DETAIL_HEIGHT. */
  detailHeight?: number;
  /** Degrees the relief is bent around its vertical axis (bend.ts): + face outward, - inward; 0 or absent: flat. */
  reliefBend?: number;
}

/** The engine's defaults, chosen on the relief section of `npm run eval` and by eye (docs/reliefs.md "The bas-relief engine"). */
export const RELIEF_DETAIL = FIELD_DEFAULTS.reliefDetail;
export const RELIEF_SMOOTH = FIELD_DEFAULTS.reliefSmooth;
/** Two widths of a 0.4 mm nozzle: what an FDM printer makes reliably. */
export const MIN_FEATURE = FIELD_DEFAULTS.minFeature;
export const DETAIL_HEIGHT = FIELD_DEFAULTS.detailHeight;

/** Whether a relief of this map carries the photo's detail: the detailed style, and a photo to take it from. */
export function isDetailed(map: Pick<DepthMap, 'lightness'>, params: Pick<ReliefParams, 'reliefStyle'>): boolean {
  return map.lightness !== undefined && (params.reliefStyle ?? 'detailed') === 'detailed';
}

/** Tuning of the mesh; every field has a default fit for FDM and resin printers. */
export interface ReliefOptions {
  /**
   * Largest vertical distance, in mm, between the mesh and the sampled heights. Default: a
   * hundredth of the relief's height, at most 0.03 (a 1.3 mm relief's detail is hundredths of a mm).
   */
  maxError?: number;
  /** Triangles of the top surface at most (the error then stops where the budget is spent). Default 1,000,000. */
  maxTriangles?: number;
  /**
   * Triangles of the whole mesh at most (top, bottom and walls): a relief that would have more
   * fails with a ReliefInputError saying how to make it smaller. Default 2,000,000 (a 100 MB STL).
   */
  maxMeshTriangles?: number;
  /**
   * Smallest distance, in mm, between height samples. A map with finer pixels is area-averaged down
   * to this pitch first (a 2048 px map at 40 mm has 0.02 mm pixels; no printer resolves that).
   * Default 0.05 (a resin printer's pixel); 0 keeps every pixel.
   */
  minSpacing?: number;
  /** Foreground specks and background holes smaller than this many mm² are dropped / filled. Default 0.25. */
  minBlobArea?: number;
}

export const DEFAULT_RELIEF_OPTIONS: Required<ReliefOptions> = {
  maxError: 0.03,
  maxTriangles: 1_000_000,
  maxMeshTriangles: 2_000_000,
  minSpacing: 0.05,
  minBlobArea: 0.25,
};

/**
 * The detailed style's mesh: samples 0.1 mm apart (a resin printer's line, a quarter of an FDM
 * nozzle: the photo's detail is blurred below 0.2 mm, so finer samples would hold nothing more),
 * within the same bound as the smooth style. Measured (docs/reliefs.md "Relief styles"): at the default
 * 0.013 mm the detail keeps its crisp lines and a 200 mm relief stays under 100,000 triangles; at
 * 0.03 mm the raking light showed the TIN's facets on smooth parts.
 */
export const DETAILED_RELIEF_OPTIONS: Required<ReliefOptions> = { ...DEFAULT_RELIEF_OPTIONS, minSpacing: 0.1 };

/**
 * The detailed style's bound is never below 5 µm, under any printer's layer: a hundredth of a
 * 0.1 mm relief (1 µm) would mesh nearly every sample of the photo's texture, for nothing.
 */
export const DETAILED_MIN_ERROR = 0.005;

/** The default mesh error: a share of the relief's height, capped by DEFAULT_RELIEF_OPTIONS.maxError. */
export const RELATIVE_ERROR = 0.01;

/**
 * The mesh settings a relief of this map is built with: its style's defaults, the bound a share of
 * the height (never below DETAILED_MIN_ERROR in the detailed style), and the caller's own over them.
 */
export function reliefSettings(
  map: Pick<DepthMap, 'lightness'>,
  params: Pick<ReliefParams, 'heightRelief' | 'reliefStyle'>,
  options: ReliefOptions = {},
): Required<ReliefOptions> {
  const detailed = isDetailed(map, params);
  const defaults = detailed ? DETAILED_RELIEF_OPTIONS : DEFAULT_RELIEF_OPTIONS;
  const relative = Math.min(defaults.maxError, RELATIVE_ERROR * params.heightRelief);
  return { ...defaults, maxError: detailed ? Math.max(DETAILED_MIN_ERROR, relative) : relative, ...options };
}

/** The input cannot become a relief (an empty foreground): the task fails with this message. */
export class ReliefInputError extends TaskInputError {
  override name = 'ReliefInputError';
}

/** Heights on a regular grid of samples (x right, y down as in the image), and the region to print. */
export interface HeightField {
  cols: number;
  rows: number;
  /** Top-surface height in mm per sample; meaningful where `inside` is 1. */
  z: Float32Array;
  /** Signed region function: > 0 inside; its zero line, interpolated, is the outline. */
  field: Float32Array;
  /** 1 where field > 0. */
  inside: Uint8Array;
  /** Index of the highest inside sample: the mesh keeps it as a vertex, so the height is exact. */
  peak: number;
  /** Estimated millimetres per grid step (the mesh builder fixes the exact scale from the outline). */
  mmPerSample: number;
  /** The part of the depth map the grid covers, in map pixels. */
  region: Rect;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Area averaging along one axis: output index i covers source indices start[i] .. start[i] +
 * count[i] - 1 with weights weight[offset[i] + k] (summing to 1).
 */
interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  offset: Int32Array;
  weight: Float64Array;
}

function areaWeights(sourceLength: number, outputLength: number): AxisWeights {
  const start = new Int32Array(outputLength);
  const count = new Int32Array(outputLength);
  const offset = new Int32Array(outputLength);
  const step = sourceLength / outputLength;
  const weight = new Float64Array(outputLength * (Math.ceil(step) + 1));
  let used = 0;
  for (let i = 0; i < outputLength; i++) {
    const from = i * step;
    const to = Math.min(sourceLength, (i + 1) * step);
    const first = Math.floor(from);
    const last = Math.min(sourceLength - 1, Math.ceil(to) - 1);
    start[i] = first;
    count[i] = last - first + 1;
    offset[i] = used;
    for (let s = first; s <= last; s++) weight[used++] = (Math.min(to, s + 1) - Math.max(from, s)) / step;
  }
  return { start, count, offset, weight };
}

/**
 * Area-averages a rectangle of a plane down (or copies it) to cols × rows; with `times`, of the
 * plane multiplied by it sample by sample. Row by row: each source row is averaged across once,
 * then added into the (one or two) output rows it covers, so no full-size intermediate is made.
 */
function resample(plane: Float32Array, planeWidth: number, rect: Rect, cols: number, rows: number, times?: Float32Array): Float32Array {
  const out = new Float32Array(cols * rows);
  if (cols === rect.w && rows === rect.h && !times) {
    for (let y = 0; y < rows; y++)
      out.set(plane.subarray((rect.y + y) * planeWidth + rect.x, (rect.y + y) * planeWidth + rect.x + cols), y * cols);
    return out;
  }
  const wx = areaWeights(rect.w, cols);
  const wy = areaWeights(rect.h, rows);
  const across = new Float64Array(cols);
  // Output rows still being summed, in a ring: a source row adds to at most a few consecutive ones.
  const ring = wy.count.reduce((most, count) => Math.max(most, count), 0) + 1;
  const open = new Float64Array(ring * cols);
  let j = 0; // the first output row the current source row still contributes to
  for (let y = 0; y < rect.h; y++) {
    const row = (rect.y + y) * planeWidth + rect.x;
    for (let i = 0; i < cols; i++) {
      const first = row + wx.start[i]!;
      const o = wx.offset[i]!;
      let sum = 0;
      if (times) for (let k = 0, n = wx.count[i]!; k < n; k++) sum += plane[first + k]! * times[first + k]! * wx.weight[o + k]!;
      else for (let k = 0, n = wx.count[i]!; k < n; k++) sum += plane[first + k]! * wx.weight[o + k]!;
      across[i] = sum;
    }
    while (j < rows && wy.start[j]! + wy.count[j]! <= y) j++;
    for (let r = j; r < rows && wy.start[r]! <= y; r++) {
      const w = wy.weight[wy.offset[r]! + y - wy.start[r]!]!;
      const o = (r % ring) * cols;
      for (let i = 0; i < cols; i++) open[o + i]! += across[i]! * w;
      if (y === wy.start[r]! + wy.count[r]! - 1) {
        // Row r is complete: out, and its slot free for a later row.
        out.set(open.subarray(o, o + cols), r * cols);
        open.fill(0, o, o + cols);
      }
    }
  }
  return out;
}

/** Bounding box of the pixels with alpha >= 0.5, or undefined when there are none. */
function foregroundBox(map: DepthMap, alpha: Float32Array): Rect | undefined {
  let x0 = map.width;
  let y0 = map.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < map.height; y++) {
    for (let x = 0; x < map.width; x++) {
      if (alpha[y * map.width + x]! >= 0.5) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/**
 * Drops foreground specks and fills background holes smaller than `minSamples` samples. A filled
 * hole takes, in each plane (the depth, the photo's lightness), the mean of the foreground around it.
 */
function cleanMask(field: Float32Array, planes: Float32Array[], cols: number, rows: number, minSamples: number): void {
  const inside = new Uint8Array(field.length);
  for (let i = 0; i < field.length; i++) inside[i] = field[i]! > 0 ? 1 : 0;
  const blobs = runComponents(inside, cols, rows, true);
  for (let r = 0; r < blobs.runs; r++) {
    if (blobs.size[blobs.component[r]!]! >= minSamples) continue;
    const offset = blobs.row[r]! * cols;
    for (let x = blobs.from[r]!; x <= blobs.to[r]!; x++) {
      field[offset + x] = -0.5;
      inside[offset + x] = 0;
    }
  }
  // Holes: 4-connected background that does not reach the border. Their 4-neighbours outside
  // them are all foreground, so each hole's fill reads only samples no other hole changes.
  const outside = new Uint8Array(inside.length);
  for (let i = 0; i < inside.length; i++) outside[i] = 1 - inside[i]!;
  const holes = runComponents(outside, cols, rows, false);
  const small = (c: number) => !holes.border[c] && holes.size[c]! < minSamples;
  for (const plane of planes) {
    const sum = new Float64Array(holes.count);
    const count = new Int32Array(holes.count);
    for (let r = 0; r < holes.runs; r++) {
      const c = holes.component[r]!;
      if (!small(c)) continue;
      const y = holes.row[r]!;
      for (let x = holes.from[r]!; x <= holes.to[r]!; x++) {
        const i = y * cols + x;
        // Not on the border (the hole does not touch it), so all four neighbours exist.
        for (const n of [i - 1, i + 1, i - cols, i + cols]) {
          if (field[n]! > 0) {
            sum[c]! += plane[n]!;
            count[c]!++;
          }
        }
      }
    }
    for (let r = 0; r < holes.runs; r++) {
      const c = holes.component[r]!;
      if (!small(c)) continue;
      const fill = count[c]! > 0 ? sum[c]! / count[c]! : 0;
      const offset = holes.row[r]! * cols;
      for (let x = holes.from[r]!; x <= holes.to[r]!; x++) plane[offset + x] = fill;
    }
  }
  for (let r = 0; r < holes.runs; r++) {
    if (!small(holes.component[r]!)) continue;
    const offset = holes.row[r]! * cols;
    for (let x = holes.from[r]!; x <= holes.to[r]!; x++) field[offset + x] = 0.5;
  }
}

/**
 * A morphological opening of the region by a disc `width` samples across: what a disc that wide
 * cannot pass through (an antenna, a whisker, a strand of hair narrower than a printer's line) is
 * dropped; everything a disc that wide reaches is kept as it was.
 */
function dropThinParts(field: Float32Array, cols: number, rows: number, width: number): void {
  const radius = width / 2;
  if (radius <= 0.5) return; // under a sample: nothing on this grid is that thin
  const region = Float32Array.from(field, (f) => (f > 0 ? 1 : 0));
  // The disc's centres: samples farther than the radius from the outside (the frame counts as outside).
  const framed = new Float32Array((cols + 2) * (rows + 2));
  for (let y = 0; y < rows; y++) framed.set(region.subarray(y * cols, (y + 1) * cols), (y + 1) * (cols + 2) + 1);
  const depthIn = distanceToBackground(framed, cols + 2, rows + 2);
  const notCentre = new Float32Array(framed.length);
  let centres = 0;
  for (let i = 0; i < framed.length; i++) {
    const centre = depthIn[i]! > radius;
    notCentre[i] = centre ? 0 : 1;
    if (centre) centres++;
  }
  // What the discs cover: samples within the radius of a centre.
  const toCentre = centres > 0 ? distanceToBackground(notCentre, cols + 2, rows + 2) : undefined;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const i = y * cols + x;
      const covered = toCentre !== undefined && toCentre[(y + 1) * (cols + 2) + x + 1]! <= radius;
      if (field[i]! > 0 && !covered) field[i] = -0.5;
    }
  }
}

/**
 * The height grid of a relief. Without alpha the region is the image (square) or the disk inscribed
 * in its central square (circle); with alpha it is the foreground (alpha >= 0.5), cropped to its box.
 * Depth is stretched to 0..1 over the region, so the surface spans exactly heightRelief mm.
 */
export function heightField(map: DepthMap, params: ReliefParams, options: Required<ReliefOptions>): HeightField {
  const { width: imageWidth, height: imageHeight } = map;
  if (map.depth.length !== imageWidth * imageHeight || imageWidth < 2 || imageHeight < 2) {
    throw new RangeError(`depth map of ${imageWidth}x${imageHeight} with ${map.depth.length} values`);
  }
  const alpha = map.alpha;
  const mode: 'cutout' | 'circle' | 'square' = alpha ? 'cutout' : params.shapeBase === 'circle' ? 'circle' : 'square';

  let rect: Rect;
  if (alpha) {
    const box = foregroundBox(map, alpha);
    if (!box) throw new ReliefInputError('the background removal left no object to make a relief of; try rmbg=0 or a lower degree_rmbg');
    rect = box;
  } else if (mode === 'circle') {
    const side = Math.min(imageWidth, imageHeight);
    rect = { x: Math.floor((imageWidth - side) / 2), y: Math.floor((imageHeight - side) / 2), w: side, h: side };
  } else {
    rect = { x: 0, y: 0, w: imageWidth, h: imageHeight };
  }

  // Pixels per sample: the map's pixels are averaged until a sample is at least minSpacing mm.
  // The region's width in pixels becomes `width` mm.
  const mmPerPixel = params.width / rect.w;
  const factor = Math.max(1, options.minSpacing / mmPerPixel);
  if (alpha) {
    // A margin of background around the box, so the outline closes inside the grid.
    const margin = Math.ceil(2 * factor);
    const x0 = Math.max(0, rect.x - margin);
    const y0 = Math.max(0, rect.y - margin);
    const x1 = Math.min(imageWidth, rect.x + rect.w + margin);
    const y1 = Math.min(imageHeight, rect.y + rect.h + margin);
    rect = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }
  const cols = Math.max(mode === 'circle' ? 8 : 2, Math.round(rect.w / factor));
  const rows = mode === 'circle' ? cols : Math.max(2, Math.round((rect.h * cols) / rect.w));
  const n = cols * rows;

  // A plane on the grid: area-averaged, over the foreground only when there is one.
  const coverage = alpha && resample(alpha, imageWidth, rect, cols, rows);
  const sample = (plane: Float32Array): Float32Array => {
    if (!alpha || !coverage) return resample(plane, imageWidth, rect, cols, rows);
    const out = resample(plane, imageWidth, rect, cols, rows, alpha);
    for (let i = 0; i < n; i++) out[i] = coverage[i]! > 1e-6 ? out[i]! / coverage[i]! : 0;
    return out;
  };
  const depth = sample(map.depth);
  const lightness = map.lightness && isDetailed(map, params) ? sample(map.lightness) : undefined;
  const field = new Float32Array(n);
  let mmPerSample: number;
  if (coverage) {
    for (let i = 0; i < n; i++) field[i] = coverage[i]! - 0.5;
    mmPerSample = (mmPerPixel * rect.w) / cols;
    const minFeature = params.minFeature ?? MIN_FEATURE;
    if (minFeature > 0) dropThinParts(field, cols, rows, minFeature / mmPerSample);
    const minArea = Math.max(options.minBlobArea, minFeature * minFeature);
    const minSamples = Math.max(4, Math.ceil(minArea / (mmPerSample * mmPerSample)));
    cleanMask(field, lightness ? [depth, lightness] : [depth], cols, rows, minSamples);
  } else if (mode === 'circle') {
    // Half a sample inside the grid, so the outline never touches the grid's edge.
    const centre = (cols - 1) / 2;
    const radius = centre - 0.5;
    for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) field[y * cols + x] = radius - Math.hypot(x - centre, y - centre);
    mmPerSample = params.width / (2 * radius);
  } else {
    field.fill(1);
    mmPerSample = params.width / (cols - 1);
  }

  const inside = new Uint8Array(n);
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!(field[i]! > 0)) continue;
    inside[i] = 1;
    const d = depth[i]!;
    if (d < low) low = d;
    if (d > high) high = d;
  }
  if (high < low) throw new ReliefInputError('the object is too small to make a relief of at this width; try a larger width or rmbg=0');

  const span = high - low;
  // Stretched to 0..1 over the region; a flat region keeps its depth.
  for (let i = 0; i < n; i++) if (inside[i]) depth[i] = span > 0 ? (depth[i]! - low) / span : Math.min(1, Math.max(0, depth[i]!));
  const shaped = basRelief(
    { cols, rows, depth, inside, mmPerSample },
    {
      detail: params.reliefDetail ?? RELIEF_DETAIL,
      smooth: params.reliefSmooth ?? RELIEF_SMOOTH,
      boost: !lightness,
    },
  );
  const { thicknessBase, heightRelief } = params;
  if (lightness) {
    const photoPixelMm = mmPerPixel * (map.photoPixel ?? 1);
    carveDetail(
      shaped,
      { cols, rows, inside, mmPerSample, lightness, shape: shaped, heightRelief, photoPixelMm },
      params.detailHeight ?? DETAIL_HEIGHT,
    );
  }
  const z = new Float32Array(n);
  const engrave = params.sculpmode === 'engrave';
  let peak = -1;
  let peakZ = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!inside[i]) continue;
    const d = shaped[i]!;
    z[i] = thicknessBase + (engrave ? 1 - d : d) * heightRelief;
    if (z[i]! > peakZ) {
      peak = i;
      peakZ = z[i]!;
    }
  }
  return { cols, rows, z, field, inside, peak, mmPerSample, region: rect };
}

/**
 * The photo's detail carved into the shape (0..1, in place), brought back to 0..1: the surface spans
 * exactly heightRelief mm, the depth's volume taking what the detail does not. A flat shape (a flat
 * depth) is only brought within 0..1, never stretched: the little detail of a flat photo stays little.
 */
function carveDetail(shape: Float32Array, grid: PhotoDetailGrid, detailHeight: number): void {
  const offsets = photoDetail(grid, detailHeight);
  const { inside, heightRelief } = grid;
  let low = Infinity;
  let high = -Infinity;
  let shapeLow = Infinity;
  let shapeHigh = -Infinity;
  const carved = new Float32Array(shape.length);
  for (let i = 0; i < shape.length; i++) {
    if (!inside[i]) continue;
    shapeLow = Math.min(shapeLow, shape[i]!);
    shapeHigh = Math.max(shapeHigh, shape[i]!);
    carved[i] = shape[i]! + offsets[i]! / heightRelief;
    low = Math.min(low, carved[i]!);
    high = Math.max(high, carved[i]!);
  }
  const flat = !(shapeHigh > shapeLow);
  const scale = high > low && (!flat || high - low > 1) ? 1 / (high - low) : 1;
  for (let i = 0; i < shape.length; i++) if (inside[i]) shape[i] = (carved[i]! - low) * scale;
}
