// Lithophanes (create-task's relief_mode=lithophane, beyond Hitem3D): the photo's lightness becomes
// the plate's thickness, for prints held against a light. Dark = thick (little light through),
// light = thin. No depth model: the photo itself is the height map.
//
//   decodeImage (EXIF orientation applied) -> circle: the central square -> resampled to a printable
//   pitch (PITCH mm, at most MAX_SAMPLES on the long side) -> CIE L* of the Rec. 709 luminance of
//   the linearised sRGB, stretched to 0..1 over the picture -> thickness -> the frame at the
//   thickest -> buildRelief as a plain (reliefDetail 0, reliefSmooth 0) emboss plate -> for an arc or
//   a cylinder (litho_shape), that plate bent (curve.ts): it stands on its edge, the picture outside.
import sharp from 'sharp';
import { checkPhotoShape, decodeImage, DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../raster/decode.js';
import type { DepthMap } from '../raster/depth-map.js';
import { BACK, bendMesh, curveRadius, WALL } from './curve.js';
import { buildRelief, DEFAULT_RELIEF_OPTIONS, ReliefInputError, shellCount, type Relief, type ReliefOptions } from './index.js';
import { FIELD_DEFAULTS } from '../contract/task.js';

export interface LithophaneParams {
  /** Millimetres: the X extent of the plate. */
  width: number;
  /** square: the whole photo; circle: the disc inscribed in its central square. */
  shapeBase: 'square' | 'circle';
  /** Millimetres: the thickness of the lightest part of the picture. */
  lithoMin: number;
  /** Millimetres: the thickness of the darkest part of the picture, and of the frame. */
  lithoMax: number;
  /** Millimetres of full-thickness (lithoMax) border around the picture; 0: none. A cylinder's is at its top and bottom only. */
  lithoFrame: number;
  /** flat: a plate; arc: bent along `lithoAngle` degrees; cylinder: a closed tube. Default flat. */
  lithoShape?: 'flat' | 'arc' | 'cylinder';
  /** Degrees of arc an arc spans (10..350). Default FIELD_DEFAULTS.lithoAngle. */
  lithoAngle?: number;
}

export { FIELD_DEFAULTS };

/** Millimetres between neighbouring samples: finer than an FDM nozzle, coarse enough to mesh fast. */
export const PITCH = 0.15;
/** Samples on the long side at most (a 600 mm plate then has samples 0.6 mm apart). */
export const MAX_SAMPLES = 1000;
/** The decode shrinks to this long side first: twice the samples, so the resize still averages. */
const DECODE_LONG_SIDE = 2 * MAX_SAMPLES;

/** sRGB code value (0..255) -> linear light 0..1. */
export const LINEAR = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

/** CIE L* / 100 of a relative luminance Y (0..1): lightness as the eye judges it, 0..1. */
function lightness(y: number): number {
  const f = y > 216 / 24389 ? Math.cbrt(y) : ((24389 / 27) * y + 16) / 116;
  return (116 * f - 16) / 100;
}

/** The photo's 8-bit RGB resampled to the plate's sample grid (`cols` x `rows`), for a plate `width` mm wide. */
export async function photoSamples(
  input: Uint8Array,
  params: Pick<LithophaneParams, 'width' | 'shapeBase'>,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
  grid: { pitch: number; maxSamples: number } = { pitch: PITCH, maxSamples: MAX_SAMPLES },
): Promise<{ cols: number; rows: number; rgb: Uint8Array }> {
  await checkPhotoShape(input);
  const image = await decodeImage(input, limits, DECODE_LONG_SIDE);
  let { width, height } = image;
  let left = 0;
  let top = 0;
  if (params.shapeBase === 'circle') {
    const side = Math.min(width, height);
    left = Math.floor((width - side) / 2);
    top = Math.floor((height - side) / 2);
    width = height = side;
  }
  const pitch = Math.max(grid.pitch, params.width / (grid.maxSamples - 1));
  const cols = Math.max(2, Math.min(grid.maxSamples, Math.round(params.width / pitch) + 1));
  const rows = Math.max(2, Math.min(grid.maxSamples, Math.round(((cols - 1) * height) / width) + 1));
  const rgb = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left, top, width, height })
    .resize(cols, rows, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  return { cols, rows, rgb };
}

/**
 * The photo's lightness on the plate's sample grid: `cols` x `rows`, 0 black .. 1 white, stretched
 * so the picture's darkest sample is 0 and its lightest 1 (a flat photo keeps its own lightness).
 */
export async function lithophaneLightness(
  input: Uint8Array,
  params: Pick<LithophaneParams, 'width' | 'shapeBase'>,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): Promise<{ cols: number; rows: number; lightness: Float32Array }> {
  const { cols, rows, rgb } = await photoSamples(input, params, limits);
  return { cols, rows, lightness: stretchedLightness(cols, rows, rgb, params.shapeBase) };
}

/** The samples' CIE L* / 100, stretched to 0..1 over what is printed (for a circle, the disc). */
export function stretchedLightness(cols: number, rows: number, rgb: Uint8Array, shapeBase: LithophaneParams['shapeBase']): Float32Array {
  const values = new Float32Array(cols * rows);
  // The stretch is over what is printed: for a circle, the disc (as heightField draws it).
  const centre = (cols - 1) / 2;
  const radius = centre - 0.5;
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const y = 0.2126 * LINEAR[rgb[3 * i]!]! + 0.7152 * LINEAR[rgb[3 * i + 1]!]! + 0.0722 * LINEAR[rgb[3 * i + 2]!]!;
    const l = lightness(y);
    values[i] = l;
    if (shapeBase === 'circle' && !(Math.hypot((i % cols) - centre, Math.floor(i / cols) - centre) < radius)) continue;
    if (l < low) low = l;
    if (l > high) high = l;
  }
  const span = high - low;
  if (span > 1e-6) for (let i = 0; i < values.length; i++) values[i] = Math.min(1, Math.max(0, (values[i]! - low) / span));
  return values;
}

/**
 * The lithophane's depth map for buildRelief: depth = (thickness - lithoMin) / (lithoMax - lithoMin)
 * with thickness = lithoMax - lightness * (lithoMax - lithoMin), the frame at depth 1 (lithoMax).
 * The map's pixels are the samples, laid out as heightField does (square: the corners at 0 and
 * `width` mm; circle: the disc of radius (cols - 1) / 2 - 0.5 samples is `width` mm across).
 */
export function lithophaneMap(
  cols: number,
  rows: number,
  light: Float32Array,
  params: Pick<LithophaneParams, 'width' | 'shapeBase' | 'lithoFrame' | 'lithoShape'>,
): DepthMap {
  const depth = new Float32Array(cols * rows);
  for (let i = 0; i < depth.length; i++) depth[i] = 1 - light[i]!;
  const frame = params.lithoFrame;
  if (frame > 0) {
    if (params.shapeBase === 'circle') {
      const centre = (cols - 1) / 2;
      const mm = params.width / (2 * (centre - 0.5));
      const inner = params.width / 2 - frame;
      for (let y = 0; y < rows; y++)
        for (let x = 0; x < cols; x++) if (Math.hypot(x - centre, y - centre) * mm > inner) depth[y * cols + x] = 1;
    } else {
      const mm = params.width / (cols - 1);
      const right = (cols - 1) * mm - frame;
      const bottom = (rows - 1) * mm - frame;
      // A cylinder has no sides: its frame is its top and bottom bands.
      const sides = params.lithoShape !== 'cylinder';
      for (let y = 0; y < rows; y++) {
        for (let x = 0; x < cols; x++) {
          const [px, py] = [x * mm, y * mm];
          if ((sides && (px < frame || px > right)) || py < frame || py > bottom) depth[y * cols + x] = 1;
        }
      }
    }
  }
  return { width: cols, height: rows, depth };
}

/** Degrees of arc a curved lithophane spans, or undefined for a flat one. */
function curveAngle(params: Pick<LithophaneParams, 'lithoShape' | 'lithoAngle'>): number | undefined {
  if (params.lithoShape === 'cylinder') return 360;
  if (params.lithoShape === 'arc') return params.lithoAngle ?? FIELD_DEFAULTS.lithoAngle;
  return undefined;
}

/**
 * The closed lithophane mesh of a photo: lithoMin thick at its lightest, lithoMax at its darkest and
 * frame; flat, or bent into an arc or a cylinder (curve.ts) standing on its edge.
 */
export async function buildLithophane(
  input: Uint8Array,
  params: LithophaneParams,
  limits?: DecodeLimits,
  options: ReliefOptions = {},
): Promise<Relief> {
  if (!(params.lithoMax > params.lithoMin && params.lithoMin > 0))
    throw new RangeError(`litho_max (${params.lithoMax}) must be more than litho_min (${params.lithoMin}) > 0`);
  if (!(params.lithoFrame >= 0)) throw new RangeError(`litho_frame must be 0 or more, got ${params.lithoFrame}`);
  const angle = curveAngle(params);
  if (angle !== undefined) {
    if (params.shapeBase !== 'square')
      throw new RangeError(`a ${params.lithoShape} lithophane is a rectangle bent: shape_base must be square`);
    // The create-task schema asks for a radius of twice litho_max; under litho_max the wall would turn inside out.
    const radius = curveRadius(params.width, angle);
    if (!(radius > params.lithoMax))
      throw new RangeError(
        `a ${params.lithoShape} of width ${params.width} mm has a radius of ${radius.toFixed(2)} mm, not more than litho_max (${params.lithoMax} mm)`,
      );
  }
  const { cols, rows, lightness: light } = await lithophaneLightness(input, params, limits);
  if (params.lithoShape === 'cylinder') {
    // The picture's two edges meet: both take their mean, so the seam is one column of the photo.
    for (let y = 0; y < rows; y++) light[y * cols] = light[y * cols + cols - 1] = (light[y * cols]! + light[y * cols + cols - 1]!) / 2;
  }
  const map = lithophaneMap(cols, rows, light, params);
  const flat = buildRelief(
    map,
    {
      heightRelief: params.lithoMax - params.lithoMin,
      thicknessBase: params.lithoMin,
      sculpmode: 'emboss',
      reliefDetail: 0,
      reliefSmooth: 0,
      minFeature: 0,
      shapeBase: params.shapeBase,
      width: params.width,
    },
    options,
  );
  if (angle === undefined) return flat;

  const { top, bottom } = flat.stats.triangles;
  const kinds = new Uint8Array(flat.mesh.indices.length / 3);
  // buildSolid's order: the top, the back, the walls.
  kinds.fill(BACK, top, top + bottom);
  kinds.fill(WALL, top + bottom);
  const { mesh, counts } = bendMesh(flat.mesh, params.width, { shape: params.lithoShape as 'arc' | 'cylinder', angle }, kinds);
  const total = mesh.indices.length / 3;
  const most = options.maxMeshTriangles ?? DEFAULT_RELIEF_OPTIONS.maxMeshTriangles;
  if (total > most) {
    throw new ReliefInputError(
      `lithophane: bent, this would be a mesh of ${total.toLocaleString('en')} triangles, more than the ${most.toLocaleString('en')} a relief may have; make it smaller (width)`,
    );
  }
  return {
    mesh,
    stats: {
      ...flat.stats,
      triangles: { top: counts[0] ?? 0, bottom: counts[1] ?? 0, walls: counts[2] ?? 0, total },
      shells: shellCount(mesh),
    },
  };
}
