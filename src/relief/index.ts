// Depth map -> printable relief: a closed, consistently oriented triangle mesh in millimetres.
//
//   heightField: the region (image, disk or foreground) and its heights in mm, at a printable pitch
//     -> buildSolid: adaptive top surface (greedy Delaunay TIN, tin.ts, within maxError), flat bottom, walls; X = width
//     -> with relief_bend: cut into slabs of at most 1° and wrapped around a vertical axis, standing (bend.ts)
import type { DepthMap } from '../raster/depth-map.js';
import { heightField, reliefSettings, type ReliefOptions, type ReliefParams } from './heightfield.js';
import { shellCount, type ReliefMesh } from './mesh.js';
import { buildSolid } from './solid.js';

export { DEFAULT_RELIEF_OPTIONS, ReliefInputError, type ReliefOptions, type ReliefParams } from './heightfield.js';
export { faceNormals, meshBounds, shellCount, triangleCount, type ReliefMesh } from './mesh.js';

export interface ReliefStats {
  /** Height samples across and down, after averaging the map to the printable pitch. */
  cols: number;
  rows: number;
  /** Millimetres between neighbouring samples in the mesh. */
  mmPerSample: number;
  /** Largest vertical distance (mm) between the top surface and the samples; at most maxError. */
  error: number;
  triangles: { top: number; bottom: number; walls: number; total: number };
  /** Separate closed parts: 1 for a plate; a cut-out has one per piece the cut left (each stands on the bed). */
  shells: number;
}

export interface Relief {
  mesh: ReliefMesh;
  stats: ReliefStats;
}

/**
 * Builds the relief of a depth map.
 *
 * Without alpha (rmbg=0): a plate, the whole image (square) or the disk inscribed in its central
 * square (circle), `thicknessBase` mm thick, with the relief on top spanning `heightRelief` mm:
 * emboss puts near parts (depth 1) highest, engrave lowest. With alpha (rmbg=1): the foreground
 * only (alpha >= 0.5), its outline extruded from z = 0, with `thicknessBase` mm under the relief's
 * lowest point; each separate blob is its own closed shell. The X extent is `width` mm in every case.
 */
export function buildRelief(map: DepthMap, params: ReliefParams, options: ReliefOptions = {}): Relief {
  const settings = reliefSettings(map, params, options);
  if (!(settings.maxError > 0)) throw new RangeError(`maxError must be positive, got ${settings.maxError}`);
  if (!(settings.minSpacing >= 0)) throw new RangeError(`minSpacing must be 0 or more, got ${settings.minSpacing}`);
  const hf = heightField(map, params, settings);
  const { mesh, stats } = buildSolid(
    hf,
    params.width,
    settings.maxError,
    settings.maxTriangles,
    settings.maxMeshTriangles,
    params.reliefBend ?? 0,
  );
  return {
    mesh,
    stats: {
      cols: hf.cols,
      rows: hf.rows,
      mmPerSample: stats.mmPerSample,
      error: stats.error,
      triangles: { top: stats.top, bottom: stats.bottom, walls: stats.walls, total: stats.top + stats.bottom + stats.walls },
      shells: shellCount(mesh),
    },
  };
}
