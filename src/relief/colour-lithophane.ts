// Colour lithophanes (a lithophane with create-task's colour option): the photo's colours from three translucent
// filaments stacked behind the white lithophane that carries its light. docs/colour-lithophanes.md
// says what to print them with.
//
//   photo -> samples on a grid of COLOUR_PITCH mm (the colour needs no more than a nozzle's width,
//   and four parts of two surfaces each must stay within the mesh's triangle limit) -> per sample,
//   from the linear RGB normalised by its largest channel: the optical density each channel must
//   lose, the cyan, magenta and yellow thicknesses that make it (the SDK's contract/filaments.ts's
//   absorption, non-negative least squares), whole layers, at least one layer -> the white's
//   thickness from the lightness as a plain lithophane's, less what the colour already darkens ->
//   from the bed up: cyan, magenta, yellow, white, each a closed slab between two height fields,
//   neighbours sharing the very same heights at the same grid points.
//
// A slab at its one-layer minimum tints the light evenly (a slightly darker, neutral-ish filter);
// only its variation makes colour. The model and its limits: the SDK's contract/filaments.ts.
import { COLOUR_LAYER_HEIGHT, FILAMENTS, type FilamentName } from '@depthmill/client/contract';
import type { DecodeLimits } from '../raster/decode.js';
import { ReliefInputError, DEFAULT_RELIEF_OPTIONS, type ReliefOptions } from './heightfield.js';
import { LINEAR, lithophaneMap, photoSamples, stretchedLightness, type LithophaneParams } from './lithophane.js';
import type { ReliefMesh } from './mesh.js';

/** Millimetres between samples of a colour lithophane: one 0.4 mm nozzle's width. */
export const COLOUR_PITCH = 0.4;
/** Samples on the long side at most: 4 parts x 2 surfaces x 2 x 300 x 300 stays under the 2 M triangles a mesh may have. */
export const COLOUR_MAX_SAMPLES = 300;
/** Millimetres a colour slab is at most: 1.2 mm of a colour filament keeps about 6 % of the light it stops. */
export const COLOUR_MAX_THICKNESS = 1.2;
/** Below this linear value in every channel a sample is too dark to have a colour worth printing: neutral. */
const DARK = 0.003;

export interface ColourPart {
  filament: FilamentName;
  mesh: ReliefMesh;
  /** Millimetres of this part at each grid sample (row-major, the image's top row first). */
  thickness: Float32Array;
}

export interface ColourLithophane {
  /** From the bed up: cyan, magenta, yellow, white. */
  parts: ColourPart[];
  cols: number;
  rows: number;
  /** Millimetres between samples. */
  pitch: number;
  triangles: number;
}

/**
 * The closed mesh between two height fields on a `cols` x `rows` grid `pitch` mm apart (bottom <
 * top everywhere): the top's triangles counter-clockwise from above, the bottom's the same reversed,
 * and a wall quad under every edge of the rectangle. Y is flipped so the image's top row is at the
 * largest Y, as every relief reads from above.
 */
export function slabMesh(bottom: Float32Array, top: Float32Array, cols: number, rows: number, pitch: number): ReliefMesh {
  const count = cols * rows;
  const positions = new Float32Array(6 * count);
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const v = j * cols + i;
      const x = i * pitch;
      const y = (rows - 1 - j) * pitch;
      positions.set([x, y, top[v]!], 3 * v);
      positions.set([x, y, bottom[v]!], 3 * (count + v));
    }
  }
  const cells = (cols - 1) * (rows - 1);
  const border = 2 * (cols - 1 + rows - 1);
  const indices = new Uint32Array(3 * (4 * cells + 2 * border));
  let n = 0;
  for (let j = 0; j < rows - 1; j++) {
    for (let i = 0; i < cols - 1; i++) {
      const a = j * cols + i;
      const b = a + 1;
      const c = a + cols;
      const d = c + 1;
      indices.set([a, c, b, b, c, d], n);
      indices.set([count + a, count + b, count + c, count + b, count + d, count + c], n + 6);
      n += 12;
    }
  }
  // The top's boundary edges u -> v as its triangles run them; the wall under each runs v -> u.
  const wall = (u: number, v: number) => {
    indices.set([v, u, count + u, v, count + u, count + v], n);
    n += 6;
  };
  const last = (rows - 1) * cols;
  for (let i = 0; i < cols - 1; i++) {
    wall(i + 1, i);
    wall(last + i, last + i + 1);
  }
  for (let j = 0; j < rows - 1; j++) {
    wall(j * cols, (j + 1) * cols);
    wall((j + 1) * cols + cols - 1, j * cols + cols - 1);
  }
  return { positions, indices };
}

/** Cyan, magenta and yellow's absorption of red, green and blue: A[channel][filament]. */
const COLOUR_FILAMENTS = FILAMENTS.slice(0, 3);
const WHITE = FILAMENTS[3]!;
const LUMA = [0.2126, 0.7152, 0.0722] as const;

/**
 * The cyan, magenta and yellow thicknesses (mm, before the minimum layer) whose absorption is
 * nearest the optical density `density` (per channel), none negative, none over `most`: projected
 * Gauss–Seidel on the 3 x 3 system, which the strong diagonal makes converge in a few rounds.
 */
export function colourThickness(density: readonly [number, number, number], most: number): [number, number, number] {
  const t: [number, number, number] = [0, 0, 0];
  for (let round = 0; round < 12; round++) {
    for (let f = 0; f < 3; f++) {
      let rest = density[f]!;
      for (let g = 0; g < 3; g++) if (g !== f) rest -= COLOUR_FILAMENTS[g]!.absorption[f]! * t[g]!;
      t[f] = Math.min(most, Math.max(0, rest / COLOUR_FILAMENTS[f]!.absorption[f]!));
    }
  }
  return t;
}

/** Whole layers, at least one. */
function toLayers(mm: number): number {
  return Math.max(1, Math.round(mm / COLOUR_LAYER_HEIGHT)) * COLOUR_LAYER_HEIGHT;
}

/** The share of luminance a stack of cyan, magenta and yellow (mm) lets through. */
function luminanceThrough(t: readonly number[]): number {
  let y = 0;
  for (let c = 0; c < 3; c++) {
    let density = 0;
    for (let f = 0; f < 3; f++) density += COLOUR_FILAMENTS[f]!.absorption[c]! * t[f]!;
    y += LUMA[c]! * Math.exp(-density);
  }
  return y;
}

/**
 * The parts of a colour lithophane of a photo: a flat square plate `width` mm wide (the create-task
 * schema refuses the rest), cyan, magenta, yellow and white from the bed up.
 */
export async function buildColourLithophane(
  input: Uint8Array,
  params: LithophaneParams,
  limits?: DecodeLimits,
  options: ReliefOptions = {},
): Promise<ColourLithophane> {
  if (!(params.lithoMax > params.lithoMin && params.lithoMin > 0))
    throw new RangeError(`litho_max (${params.lithoMax}) must be more than litho_min (${params.lithoMin}) > 0`);
  if (params.shapeBase !== 'square' || (params.lithoShape ?? 'flat') !== 'flat')
    throw new RangeError('a colour lithophane is a flat square plate (shape_base 0, litho_shape flat)');
  const { cols, rows, rgb } = await photoSamples(input, params, limits, { pitch: COLOUR_PITCH, maxSamples: COLOUR_MAX_SAMPLES });
  const pitch = params.width / (cols - 1);
  const triangles = 4 * (4 * (cols - 1) * (rows - 1) + 4 * (cols + rows - 2));
  const most = options.maxMeshTriangles ?? DEFAULT_RELIEF_OPTIONS.maxMeshTriangles;
  if (triangles > most)
    throw new ReliefInputError(
      `colour lithophane: this would be ${triangles.toLocaleString('en')} triangles, more than the ${most.toLocaleString('en')} a relief may have`,
    );
  const light = stretchedLightness(cols, rows, rgb, 'square');
  const depth = lithophaneMap(cols, rows, light, params).depth;
  // The frame: where the map is at full thickness whatever the photo (a white photo's map).
  const frame = lithophaneMap(cols, rows, new Float32Array(cols * rows).fill(1), params).depth;
  const minimum = COLOUR_LAYER_HEIGHT;
  const base = luminanceThrough([minimum, minimum, minimum]);
  const whiteLuma = LUMA.reduce((sum, w, c) => sum + w * WHITE.absorption[c]!, 0);
  const thickness = FILAMENTS.map(() => new Float32Array(cols * rows));
  for (let i = 0; i < cols * rows; i++) {
    const linear = [LINEAR[rgb[3 * i]!]!, LINEAR[rgb[3 * i + 1]!]!, LINEAR[rgb[3 * i + 2]!]!] as const;
    const peak = Math.max(...linear);
    let t: [number, number, number] = [0, 0, 0];
    if (frame[i]! < 1 && peak > DARK) {
      // What each channel must lose against the brightest: its optical density.
      const density = linear.map((value) => -Math.log(Math.max(value, 1e-6) / peak)) as unknown as [number, number, number];
      t = colourThickness(density, COLOUR_MAX_THICKNESS - minimum);
    }
    const layers = t.map((mm) => toLayers(mm + minimum));
    // The white as a plain lithophane's, less the light the colour already stops beyond the minimum stack.
    const plain = params.lithoMin + depth[i]! * (params.lithoMax - params.lithoMin);
    const darkened = -Math.log(luminanceThrough(layers) / base) / whiteLuma;
    const white = Math.min(params.lithoMax, Math.max(params.lithoMin, plain - darkened));
    for (let f = 0; f < 3; f++) thickness[f]![i] = layers[f]!;
    thickness[3]![i] = white;
  }
  // From the bed up: each part's top is the next one's bottom, the same float32 heights.
  let bottom = new Float32Array(cols * rows);
  const parts: ColourPart[] = [];
  for (let f = 0; f < FILAMENTS.length; f++) {
    const top = new Float32Array(cols * rows);
    for (let i = 0; i < top.length; i++) top[i] = bottom[i]! + thickness[f]![i]!;
    parts.push({ filament: FILAMENTS[f]!.name, mesh: slabMesh(bottom, top, cols, rows, pitch), thickness: thickness[f]! });
    bottom = top;
  }
  return { parts, cols, rows, pitch, triangles };
}
