// Measures of a relief taken from outside, on the mesh the API writes (not on the engine's height
// grid), so any relief style, whatever its insides, is scored the same way:
//
// - recognisability: does the relief's fine shape draw the photo's own edges (eyes, fur, wing
//   patterns)? Pearson correlation of the photo's edge strength |∇ G(L)| with the relief's
//   fine-shape edge strength |∇ G(z − G₂ₘₘ(z))|, G a 0.3 mm Gaussian.
// - big shape: does the relief keep the depth's volume? Pearson correlation of the relief's height
//   with the depth map, both blurred 2 mm.
//
// Both on the mesh's top surface rasterised to a 0.1 mm grid, inside the footprint eroded 1.5 mm
// (the outline's walls and the blurs' edges would otherwise dominate the edges).
import type { DepthMap } from '../../src/raster/depth-map.js';
import { distanceToBackground } from '../../src/raster/distance.js';
import { salientBox } from '../../src/pipeline/mask.js';
import { resizeArea, resizeBilinear } from '../../src/raster/resize.js';
import type { FloatPlane } from '../../src/raster/plane.js';
import { maskedBlur } from '../../src/relief/bas-relief.js';
import type { Rect, ReliefParams } from '../../src/relief/heightfield.js';
import type { ReliefMesh } from '../../src/relief/index.js';
import { fineShape, fineShapeRms, slopes } from './relief-quality.js';
import { pearson } from './stats.js';

/** Grid pitch (mm): finer than a resin printer's pixel, so the mesh's own detail is all there. */
export const GRID_MM = 0.1;
/** The edges' scale (mm): about a nozzle's width, the finest detail a print shows. */
const EDGE_MM = 0.3;
/** What "fine" and "big" shape are split at (mm), as in relief-quality.ts's fineShape. */
const BIG_MM = 2;
/** Margin (mm) left out along the outline. */
const ERODE_MM = 1.5;

/** A relief's top surface on a regular grid: x right, y down (row 0 is the mesh's largest Y, the image's top row). */
export interface TopGrid {
  cols: number;
  rows: number;
  /** mm between cells. */
  mmPerSample: number;
  /** Height (mm) of the top surface at each cell centre; 0 outside. */
  z: Float32Array;
  /** 1 where a triangle facing up covers the cell centre: the footprint. */
  inside: Uint8Array;
}

/**
 * Z-buffers the mesh's upward-facing triangles onto a grid over its XY bounding box: per cell the
 * highest z of any of them covering the cell's centre. Walls are vertical and the bottom faces
 * down, so what is left is the top surface a viewer (and the printer's last layers) sees.
 */
export function rasteriseTop(mesh: ReliefMesh, pitch = GRID_MM): TopGrid {
  const p = mesh.positions;
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < p.length; i += 3) {
    minX = Math.min(minX, p[i]!);
    maxX = Math.max(maxX, p[i]!);
    minY = Math.min(minY, p[i + 1]!);
    maxY = Math.max(maxY, p[i + 1]!);
  }
  const cols = Math.max(1, Math.round((maxX - minX) / pitch));
  const rows = Math.max(1, Math.round((maxY - minY) / pitch));
  const z = new Float32Array(cols * rows).fill(-Infinity);
  const inside = new Uint8Array(cols * rows);
  // Grid coordinates: cell (c, r) has its centre at u = c, v = r.
  const u = (k: number) => (p[3 * k]! - minX) / pitch - 0.5;
  const v = (k: number) => (maxY - p[3 * k + 1]!) / pitch - 0.5;
  const idx = mesh.indices;
  for (let t = 0; t < idx.length; t += 3) {
    const a = idx[t]!;
    const b = idx[t + 1]!;
    const c = idx[t + 2]!;
    // Facing up: the normal's z share of its length; a wall's is ~0 (float noise either side).
    const ex = p[3 * b]! - p[3 * a]!;
    const ey = p[3 * b + 1]! - p[3 * a + 1]!;
    const ez = p[3 * b + 2]! - p[3 * a + 2]!;
    const fx = p[3 * c]! - p[3 * a]!;
    const fy = p[3 * c + 1]! - p[3 * a + 1]!;
    const fz = p[3 * c + 2]! - p[3 * a + 2]!;
    const nz = ex * fy - ey * fx;
    if (nz <= 0.01 * Math.hypot(ey * fz - ez * fy, ez * fx - ex * fz, nz)) continue;
    const [u0, u1, u2] = [u(a), u(b), u(c)];
    const [v0, v1, v2] = [v(a), v(b), v(c)];
    const [z0, z1, z2] = [p[3 * a + 2]!, p[3 * b + 2]!, p[3 * c + 2]!];
    const area = (u1 - u0) * (v2 - v0) - (u2 - u0) * (v1 - v0);
    const c0 = Math.max(0, Math.ceil(Math.min(u0, u1, u2) - 1e-6));
    const c1 = Math.min(cols - 1, Math.floor(Math.max(u0, u1, u2) + 1e-6));
    const r0 = Math.max(0, Math.ceil(Math.min(v0, v1, v2) - 1e-6));
    const r1 = Math.min(rows - 1, Math.floor(Math.max(v0, v1, v2) + 1e-6));
    for (let r = r0; r <= r1; r++) {
      for (let col = c0; col <= c1; col++) {
        const w1 = ((col - u0) * (v2 - v0) - (u2 - u0) * (r - v0)) / area;
        const w2 = ((u1 - u0) * (r - v0) - (col - u0) * (v1 - v0)) / area;
        const w0 = 1 - w1 - w2;
        // A small tolerance: a centre on a shared edge belongs to both triangles, never to neither.
        if (w0 < -1e-6 || w1 < -1e-6 || w2 < -1e-6) continue;
        const i = r * cols + col;
        const h = w0 * z0 + w1 * z1 + w2 * z2;
        if (h > z[i]!) z[i] = h;
        inside[i] = 1;
      }
    }
  }
  for (let i = 0; i < z.length; i++) if (!inside[i]) z[i] = 0;
  return { cols, rows, mmPerSample: pitch, z, inside };
}

/**
 * The part of the depth map (in its pixels) the relief spans, as heightField chooses it: a cut-out
 * the box of alpha >= 0.5, a circle plate the central square, a square plate the whole image.
 */
export function reliefRegion(map: DepthMap, shapeBase: ReliefParams['shapeBase']): Rect {
  const { width, height, alpha } = map;
  // The box of alpha >= 0.5: the same rule as the saliency's box.
  const box = alpha && salientBox(alpha, width, height);
  if (box) return { x: box.x0, y: box.y0, w: box.x1 - box.x0, h: box.y1 - box.y0 };
  if (shapeBase === 'circle') {
    const side = Math.min(width, height);
    return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), w: side, h: side };
  }
  return { x: 0, y: 0, w: width, h: height };
}

/** `region` (in a mapWidth-pixel-wide map's pixels) of a plane of any size, resized to cols x rows. */
export function cropToGrid(plane: FloatPlane, region: Rect, mapWidth: number, mapHeight: number, cols: number, rows: number): Float32Array {
  const sx = plane.width / mapWidth;
  const sy = plane.height / mapHeight;
  const x0 = Math.min(plane.width - 1, Math.floor(region.x * sx));
  const y0 = Math.min(plane.height - 1, Math.floor(region.y * sy));
  const w = Math.max(1, Math.min(plane.width - x0, Math.round(region.w * sx)));
  const h = Math.max(1, Math.min(plane.height - y0, Math.round(region.h * sy)));
  const crop = new Float32Array(w * h);
  for (let y = 0; y < h; y++) crop.set(plane.data.subarray((y0 + y) * plane.width + x0, (y0 + y) * plane.width + x0 + w), y * w);
  const src = { width: w, height: h, data: crop };
  // Averaged down where the crop is finer than the grid (no aliasing), interpolated where coarser.
  return (w >= cols ? resizeArea(src, cols, rows) : resizeBilinear(src, cols, rows)).data;
}

/** The footprint less a margin of `mm` along its outline and the grid's edge. */
export function erodeFootprint(top: TopGrid, mm = ERODE_MM): Uint8Array {
  const { cols, rows, inside } = top;
  // One cell of background around the grid: a plate's edge is an outline too.
  const pw = cols + 2;
  const padded = new Float32Array(pw * (rows + 2));
  for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) padded[(y + 1) * pw + x + 1] = inside[y * cols + x]!;
  const distance = distanceToBackground(padded, pw, rows + 2);
  const cells = mm / top.mmPerSample;
  const out = new Uint8Array(cols * rows);
  for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) out[y * cols + x] = distance[(y + 1) * pw + x + 1]! > cells ? 1 : 0;
  return out;
}

/** |∇v| per cell (central differences inside the footprint, one-sided at its edge): relief-quality.ts' slopes at a unit pitch. */
function gradientMagnitude(values: Float32Array, inside: Uint8Array, cols: number, rows: number): Float32Array {
  const { zx, zy } = slopes({ cols, rows, z: values, inside, mmPerSample: 1 });
  return zx.map((gx, i) => Math.hypot(gx, zy[i]!));
}

/** Pearson's r of a and b over the cells in `where` (NaN with fewer than 16 cells or a flat series). */
function correlationWhere(a: Float32Array, b: Float32Array, where: Uint8Array): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < where.length; i++) {
    if (!where[i]) continue;
    xs.push(a[i]!);
    ys.push(b[i]!);
  }
  return xs.length >= 16 ? pearson(xs, ys) : Number.NaN;
}

/** Recognisability of a relief's top: correlation of the photo's edge strength with its fine shape's. `light` is on the top's grid. */
export function recognisability(top: TopGrid, light: Float32Array, where = erodeFootprint(top)): number {
  const { cols, rows, inside } = top;
  const sigma = EDGE_MM / top.mmPerSample;
  const edges = (v: Float32Array) => gradientMagnitude(maskedBlur(v, inside, cols, rows, sigma), inside, cols, rows);
  // fineShape: the top less its 2 mm blur, the shape that reads as detail.
  return correlationWhere(edges(light), edges(fineShape(top)), where);
}

/** Big shape: correlation of the top's height with the depth (on the top's grid), both blurred 2 mm. Engrave: with 1 − depth. */
export function bigShape(
  top: TopGrid,
  depth: Float32Array,
  sculpmode: ReliefParams['sculpmode'] = 'emboss',
  where = erodeFootprint(top),
): number {
  const { cols, rows, inside } = top;
  const blur = (v: Float32Array) => maskedBlur(v, inside, cols, rows, BIG_MM / top.mmPerSample);
  const r = correlationWhere(blur(top.z), blur(depth), where);
  return sculpmode === 'engrave' ? -r : r;
}

export interface ReliefScore {
  /** ↑ The photo's edges drawn by the relief's fine shape (Pearson r; ~0 when they are unrelated). */
  recognisability: number;
  /** ↑ The depth's volume kept (Pearson r of 2 mm blurs). */
  bigShape: number;
  /** RMS (mm) of the fine shape over the footprint. */
  fineMm: number;
  /**
   * How far (mm) the mesh's height is from the region's at the mesh's width: ~0 when the photo
   * lies on the mesh as measured; more when the cut-out lost an outer part (thinner than
   * min_feature), so the mesh's box is not the alpha's and the photo is stretched over it.
   */
  fitMm: number;
  /** The rasterised top, for renders. */
  top: TopGrid;
}

/**
 * Scores a relief mesh against the depth map it was made of and the photo's lightness (any size,
 * the same framing as the map; lumaPlane of the decoded photo). The quick call for tuning:
 *   scoreRelief(buildRelief(map, params).mesh, map, lumaPlane(decoded), params)
 */
export function scoreRelief(
  mesh: ReliefMesh,
  map: DepthMap,
  luma: FloatPlane,
  params: Pick<ReliefParams, 'shapeBase' | 'sculpmode'>,
): ReliefScore {
  const top = rasteriseTop(mesh);
  const region = reliefRegion(map, params.shapeBase);
  const grid = (plane: FloatPlane) => cropToGrid(plane, region, map.width, map.height, top.cols, top.rows);
  const where = erodeFootprint(top);
  return {
    recognisability: recognisability(top, grid(luma), where),
    bigShape: bigShape(top, grid({ width: map.width, height: map.height, data: map.depth }), params.sculpmode, where),
    fineMm: fineShapeRms(top),
    fitMm: Math.abs(top.rows - (region.h * top.cols) / region.w) * top.mmPerSample,
    top,
  };
}
