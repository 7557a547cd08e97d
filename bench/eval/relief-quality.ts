// Measures of a relief's top surface (a HeightField from src/relief), for the relief section of
// `npm run eval`: how it looks under a raking light, how close that look is to another relief's,
// how much fine shape it has, and whether that fine shape is the photo's texture.
import { resizeArea, resizeBilinear } from '../../src/raster/resize.js';
import { maskedBlur } from '../../src/relief/bas-relief.js';
import type { HeightField } from '../../src/relief/heightfield.js';

/**
 * The light of the renders: from the upper left, 25° above the horizon. A raking light is how a
 * relief is judged (and photographed): its slopes of a few percent change the shading strongly.
 */
const LIGHT_ELEVATION = (25 * Math.PI) / 180;
/** Towards the light, in the image's axes (x right, y down, z up out of the relief). */
const LIGHT = [-Math.cos(LIGHT_ELEVATION) / Math.SQRT2, -Math.cos(LIGHT_ELEVATION) / Math.SQRT2, Math.sin(LIGHT_ELEVATION)] as const;

/**
 * What the measures below read of a relief's top: the engine's HeightField, or the top of its mesh
 * rasterised from outside (recognisability.ts's TopGrid).
 */
export type Surface = Pick<HeightField, 'cols' | 'rows' | 'z' | 'inside' | 'mmPerSample'>;

/** Height slopes (mm per mm) along the grid's columns and rows (x right, y down the image), inside the footprint. */
export function slopes(hf: Surface): { zx: Float32Array; zy: Float32Array } {
  const { cols, rows, z, inside, mmPerSample } = hf;
  const zx = new Float32Array(cols * rows);
  const zy = new Float32Array(cols * rows);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const i = y * cols + x;
      if (!inside[i]) continue;
      const left = x > 0 && inside[i - 1] ? i - 1 : i;
      const right = x + 1 < cols && inside[i + 1] ? i + 1 : i;
      const up = y > 0 && inside[i - cols] ? i - cols : i;
      const down = y + 1 < rows && inside[i + cols] ? i + cols : i;
      zx[i] = right === left ? 0 : (z[right]! - z[left]!) / ((right - left) * mmPerSample);
      zy[i] = down === up ? 0 : (z[down]! - z[up]!) / (((down - up) / cols) * mmPerSample);
    }
  }
  return { zx, zy };
}

/** Lambert shading (0..1) of the relief at its true height under the raking light; 0 outside. */
export function rakingShade(hf: Surface): Float32Array {
  const { zx, zy } = slopes(hf);
  const out = new Float32Array(hf.z.length);
  for (let i = 0; i < out.length; i++) {
    if (!hf.inside[i]) continue;
    // Normal (-zx, -zy, 1), in the image's axes like the light.
    const dot = -zx[i]! * LIGHT[0] - zy[i]! * LIGHT[1] + LIGHT[2];
    out[i] = Math.max(0, dot / Math.hypot(zx[i]!, zy[i]!, 1));
  }
  return out;
}

/** Mean angle (degrees) between the two reliefs' surface normals (same grid) over the samples in `where`. */
export function normalAngle(a: Surface, b: Surface, where: Uint8Array): number {
  const sa = slopes(a);
  const sb = slopes(b);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.z.length; i++) {
    if (!where[i]) continue;
    const dot = sa.zx[i]! * sb.zx[i]! + sa.zy[i]! * sb.zy[i]! + 1;
    const cos = dot / (Math.hypot(sa.zx[i]!, sa.zy[i]!, 1) * Math.hypot(sb.zx[i]!, sb.zy[i]!, 1));
    sum += Math.acos(Math.min(1, cos));
    n++;
  }
  return n > 0 ? ((sum / n) * 180) / Math.PI : Number.NaN;
}

/** Long side of the renders SSIM compares: a relief seen whole, at arm's length. */
export const SSIM_SIDE = 320;

/**
 * Mean SSIM (Wang et al. 2004: Gaussian window, sigma 1.5 px, C1 = 0.01², C2 = 0.03² for 0..1
 * values) of two renders of the same grid, after both are averaged down to SSIM_SIDE px on the
 * long side, over the pixels at least a quarter made of samples in `inside`.
 */
export function ssim(a: Float32Array, b: Float32Array, inside: Uint8Array, cols: number, rows: number): number {
  const scale = Math.min(1, SSIM_SIDE / Math.max(cols, rows));
  const w = Math.max(8, Math.round(cols * scale));
  const h = Math.max(8, Math.round(rows * scale));
  const down = (v: Float32Array) => resizeArea({ width: cols, height: rows, data: v }, w, h).data;
  const mask = down(Float32Array.from(inside));
  const keep = Uint8Array.from(mask, (m) => (m > 0.25 ? 1 : 0));
  const x = down(a);
  const y = down(b);
  const blur = (v: Float32Array) => maskedBlur(v, keep, w, h, 1.5);
  const mx = blur(x);
  const my = blur(y);
  const xx = blur(x.map((v) => v * v));
  const yy = blur(y.map((v) => v * v));
  const xy = blur(x.map((v, i) => v * y[i]!));
  const c1 = 0.01 ** 2;
  const c2 = 0.03 ** 2;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < keep.length; i++) {
    if (!keep[i]) continue;
    const vx = xx[i]! - mx[i]! ** 2;
    const vy = yy[i]! - my[i]! ** 2;
    const cov = xy[i]! - mx[i]! * my[i]!;
    sum += ((2 * mx[i]! * my[i]! + c1) * (2 * cov + c2)) / ((mx[i]! ** 2 + my[i]! ** 2 + c1) * (vx + vy + c2));
    n++;
  }
  return n > 0 ? sum / n : Number.NaN;
}

/** The fine shape: height minus its 2 mm Gaussian blur inside the footprint (what reads as detail). */
export function fineShape(hf: Surface): Float32Array {
  const blurred = maskedBlur(hf.z, hf.inside, hf.cols, hf.rows, 2 / hf.mmPerSample);
  return hf.z.map((z, i) => (hf.inside[i] ? z - blurred[i]! : 0));
}

/** RMS (mm) of the fine shape inside the footprint. */
export function fineShapeRms(hf: Surface): number {
  const fine = fineShape(hf);
  let ss = 0;
  let n = 0;
  for (let i = 0; i < fine.length; i++) {
    if (!hf.inside[i]) continue;
    ss += fine[i]! ** 2;
    n++;
  }
  return Math.sqrt(ss / Math.max(1, n));
}

/**
 * Correlation (Pearson) of the relief's fine shape with the photo's own fine luminance over the
 * same region and 2 mm high pass: near ±1 when the relief copies the photo's texture (dark eyes
 * sunk in, a highlight raised), near 0 for shape that comes from depth.
 */
export function textureCorrelation(
  hf: HeightField,
  luma: Float32Array,
  lumaWidth: number,
  lumaHeight: number,
  mapWidth: number,
  mapHeight: number,
): number {
  const box = hf.region;
  const crop = new Float32Array(box.w * box.h);
  const sx = lumaWidth / mapWidth;
  const sy = lumaHeight / mapHeight;
  for (let y = 0; y < box.h; y++) {
    for (let x = 0; x < box.w; x++) {
      const px = Math.min(lumaWidth - 1, Math.floor((box.x + x) * sx));
      const py = Math.min(lumaHeight - 1, Math.floor((box.y + y) * sy));
      crop[y * box.w + x] = luma[py * lumaWidth + px]!;
    }
  }
  const grid = resizeBilinear({ width: box.w, height: box.h, data: crop }, hf.cols, hf.rows).data;
  const gridBlur = maskedBlur(grid, hf.inside, hf.cols, hf.rows, 2 / hf.mmPerSample);
  const fine = fineShape(hf);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < fine.length; i++) {
    if (!hf.inside[i]) continue;
    const a = fine[i]!;
    const b = grid[i]! - gridBlur[i]!;
    ab += a * b;
    aa += a * a;
    bb += b * b;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}
