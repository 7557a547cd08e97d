// How much disk a task's result is expected to take: create-task keeps that room for each task it
// has accepted and not finished (docs/operations.md "Limits and safety", Full disk), so a disk too small for one more result
// refuses the new task (507) instead of failing an accepted one when its result is written.
import { formatInfo, type DepthFormat } from '@depthmill/client/contract';
import { OUTPUT_LONG_SIDE, type TaskParams } from '../contract/task.js';

const MiB = 1024 * 1024;

/** Bytes per pixel and channel of each depth-map format (float EXR, 16-bit PNG, 8-bit BMP, 16-bit normal map). */
const SAMPLE_BYTES: Record<DepthFormat, number> = { exr: 4, png: 2, bmp: 1, normal: 2 };
/** Channels besides alpha: one (the depth), but a normal map's three. */
const COLOUR_CHANNELS: Partial<Record<DepthFormat, number>> = { normal: 3 };

/**
 * A mesh's size depends on the photo's shape, not on the parameters alone: reliefs at the defaults
 * stay under 5 MB and a 120 mm lithophane is a 14 MB STL (docs/reliefs.md "Relief styles"). Meshes larger
 * than this (up to DEPTHMILL_MAX_TRIANGLES, a 100 MB STL) can still use the 16 MB kept beside.
 */
const MESH_RESERVE_BYTES = 16 * MiB;

/**
 * The result's size for these parameters. Depth maps: an upper bound, the raw samples of a square
 * output at the model type's long side (a photo of another shape makes fewer, and compression only
 * shrinks EXR and PNG), with the alpha channel when the background is removed (BMP has none), plus
 * 1 % and 64 KiB for headers and incompressible blocks. Meshes: an estimate (MESH_RESERVE_BYTES).
 */
export function expectedResultBytes(params: TaskParams): number {
  const format = formatInfo(params.format);
  if (format.kind === 'mesh') return MESH_RESERVE_BYTES;
  const side = OUTPUT_LONG_SIDE[params.modelType];
  const channels = (COLOUR_CHANNELS[format.name] ?? 1) + (params.rmbg && format.name !== 'bmp' ? 1 : 0);
  return Math.ceil(side * side * channels * SAMPLE_BYTES[format.name] * 1.01) + 64 * 1024;
}
