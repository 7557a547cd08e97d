// Step 1 of a relief: the depth map becomes a grid of heights in millimetres over the region to
// print (the whole image, the inscribed disk, or the foreground), sampled no finer than a printer
// can use.
import type { DepthMap } from '../pipeline/depth-map.js';

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
}

/** Tuning of the mesh; every field has a default fit for FDM and resin printers. */
export interface ReliefOptions {
  /** Largest vertical distance, in mm, between the mesh and the sampled heights. Default 0.03. */
  maxError?: number;
  /**
   * Smallest distance, in mm, between height samples. A map with finer pixels is area-averaged down
   * to this pitch first (a 2048 px map at 40 mm has 0.02 mm pixels; no printer resolves that).
   * Default 0.05 (a resin printer's pixel); 0 keeps every pixel.
   */
  minSpacing?: number;
  /** Foreground specks and background holes smaller than this many mm² are dropped / filled. Default 0.25. */
  minBlobArea?: number;
}

export const DEFAULT_RELIEF_OPTIONS: Required<ReliefOptions> = { maxError: 0.03, minSpacing: 0.05, minBlobArea: 0.25 };

/** The input cannot become a relief (an empty foreground): the task fails with this message. */
export class ReliefInputError extends Error {
  override readonly name = 'ReliefInputError';
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
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Per output index, the source indices it covers and their weights (area averaging, sum 1). */
function areaWeights(sourceLength: number, outputLength: number): { start: Int32Array; count: Int32Array; weight: Float64Array[] } {
  const start = new Int32Array(outputLength);
  const count = new Int32Array(outputLength);
  const weight: Float64Array[] = [];
  const step = sourceLength / outputLength;
  for (let i = 0; i < outputLength; i++) {
    const from = i * step;
    const to = Math.min(sourceLength, (i + 1) * step);
    const first = Math.floor(from);
    const last = Math.min(sourceLength - 1, Math.ceil(to) - 1);
    start[i] = first;
    count[i] = last - first + 1;
    const w = new Float64Array(last - first + 1);
    for (let s = first; s <= last; s++) w[s - first] = (Math.min(to, s + 1) - Math.max(from, s)) / step;
    weight.push(w);
  }
  return { start, count, weight };
}

/** Area-averages a rectangle of a plane down (or copies it) to cols × rows. */
function resample(plane: Float32Array, planeWidth: number, rect: Rect, cols: number, rows: number): Float32Array {
  const out = new Float32Array(cols * rows);
  if (cols === rect.w && rows === rect.h) {
    for (let y = 0; y < rows; y++) out.set(plane.subarray((rect.y + y) * planeWidth + rect.x, (rect.y + y) * planeWidth + rect.x + cols), y * cols);
    return out;
  }
  const wx = areaWeights(rect.w, cols);
  const wy = areaWeights(rect.h, rows);
  const horizontal = new Float64Array(cols * rect.h);
  for (let y = 0; y < rect.h; y++) {
    const row = (rect.y + y) * planeWidth + rect.x;
    for (let i = 0; i < cols; i++) {
      const w = wx.weight[i]!;
      let sum = 0;
      for (let k = 0; k < w.length; k++) sum += plane[row + wx.start[i]! + k]! * w[k]!;
      horizontal[y * cols + i] = sum;
    }
  }
  for (let j = 0; j < rows; j++) {
    const w = wy.weight[j]!;
    for (let i = 0; i < cols; i++) {
      let sum = 0;
      for (let k = 0; k < w.length; k++) sum += horizontal[(wy.start[j]! + k) * cols + i]! * w[k]!;
      out[j * cols + i] = sum;
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
 * Connected components of the samples where `member` is 1 (8-connected when `diagonal`), each
 * reported with its samples and whether it touches the grid border.
 */
function components(member: Uint8Array, cols: number, rows: number, diagonal: boolean, visit: (samples: Int32Array, touchesBorder: boolean) => void): void {
  const seen = new Uint8Array(member.length);
  const queue = new Int32Array(member.length);
  for (let seed = 0; seed < member.length; seed++) {
    if (!member[seed] || seen[seed]) continue;
    let head = 0;
    let tail = 0;
    queue[tail++] = seed;
    seen[seed] = 1;
    let border = false;
    while (head < tail) {
      const i = queue[head++]!;
      const x = i % cols;
      const y = (i - x) / cols;
      if (x === 0 || y === 0 || x === cols - 1 || y === rows - 1) border = true;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if ((dx === 0 && dy === 0) || (!diagonal && dx !== 0 && dy !== 0)) continue;
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= cols || ny >= rows) continue;
          const n = ny * cols + nx;
          if (member[n] && !seen[n]) {
            seen[n] = 1;
            queue[tail++] = n;
          }
        }
      }
    }
    visit(queue.slice(0, tail), border);
  }
}

/**
 * Drops foreground specks and fills background holes smaller than `minSamples` samples. A filled
 * hole takes the mean depth of the foreground around it.
 */
function cleanMask(field: Float32Array, depth: Float32Array, cols: number, rows: number, minSamples: number): void {
  const inside = new Uint8Array(field.length);
  for (let i = 0; i < field.length; i++) inside[i] = field[i]! > 0 ? 1 : 0;
  components(inside, cols, rows, true, (samples) => {
    if (samples.length >= minSamples) return;
    for (const i of samples) field[i] = -0.5;
  });
  const outside = new Uint8Array(field.length);
  for (let i = 0; i < field.length; i++) outside[i] = field[i]! > 0 ? 0 : 1;
  components(outside, cols, rows, false, (samples, touchesBorder) => {
    if (touchesBorder || samples.length >= minSamples) return;
    let sum = 0;
    let count = 0;
    for (const i of samples) {
      const x = i % cols;
      for (const n of [i - 1, i + 1, i - cols, i + cols]) {
        if ((n === i - 1 && x === 0) || (n === i + 1 && x === cols - 1) || n < 0 || n >= field.length) continue;
        if (field[n]! > 0) {
          sum += depth[n]!;
          count++;
        }
      }
    }
    const fill = count > 0 ? sum / count : 0;
    for (const i of samples) {
      field[i] = 0.5;
      depth[i] = fill;
    }
  });
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

  let depth: Float32Array;
  const field = new Float32Array(n);
  let mmPerSample: number;
  if (alpha) {
    const coverage = resample(alpha, imageWidth, rect, cols, rows);
    const weighted = new Float32Array(map.depth.length);
    for (let i = 0; i < weighted.length; i++) weighted[i] = map.depth[i]! * alpha[i]!;
    depth = resample(weighted, imageWidth, rect, cols, rows);
    for (let i = 0; i < n; i++) {
      const a = coverage[i]!;
      depth[i] = a > 1e-6 ? depth[i]! / a : 0;
      field[i] = a - 0.5;
    }
    mmPerSample = (mmPerPixel * rect.w) / cols;
    const minSamples = Math.max(4, Math.ceil(options.minBlobArea / (mmPerSample * mmPerSample)));
    cleanMask(field, depth, cols, rows, minSamples);
  } else if (mode === 'circle') {
    depth = resample(map.depth, imageWidth, rect, cols, rows);
    // Half a sample inside the grid, so the outline never touches the grid's edge.
    const centre = (cols - 1) / 2;
    const radius = centre - 0.5;
    for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) field[y * cols + x] = radius - Math.hypot(x - centre, y - centre);
    mmPerSample = params.width / (2 * radius);
  } else {
    depth = resample(map.depth, imageWidth, rect, cols, rows);
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
  const z = new Float32Array(n);
  let peak = -1;
  for (let i = 0; i < n; i++) {
    if (!inside[i]) continue;
    // Stretched to 0..1 over the region; a flat region keeps its depth.
    const d = span > 0 ? (depth[i]! - low) / span : Math.min(1, Math.max(0, depth[i]!));
    const level = params.sculpmode === 'engrave' ? 1 - d : d;
    z[i] = params.thicknessBase + level * params.heightRelief;
    if (peak < 0 || z[i]! > z[peak]!) peak = i;
  }
  return { cols, rows, z, field, inside, peak, mmPerSample };
}
