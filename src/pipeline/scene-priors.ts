// What the depth model cannot know, put right around it. The bundled FastDepth was trained on
// rooms only (NYU Depth v2): it has never seen the sky, and its prior (floor near at the bottom,
// wall far at the top) is all it has on a photo of an object. Two corrections on the relative
// inverse depth at the guide grid, each chosen on ../shared/eval (docs/models-and-quality.md "Depth quality"):
//
// - open sky: smooth, sky-coloured regions that reach the top of the frame go to the far plane;
// - the subject in front: the salient subject (the mask stage's saliency) is lifted until it
//   stands clearly in front of the background around it, keeping its own shape.
import type { DecodedImage } from '../raster/decode.js';
import { boxMean } from '../raster/box.js';
import { distanceToBackground } from '../raster/distance.js';
import { quantile, sortedSample } from '../raster/quantiles.js';

/** Local colour change (0..1 per channel, over a 3x3 box) below which a pixel counts as smooth. */
const SKY_SMOOTHNESS = 0.025;
/** Colour difference allowed between neighbours while growing the sky. */
const SKY_STEP = 0.05;
/** A sky smaller than this share of the frame is not worth a depth jump. */
const SKY_MIN_AREA = 0.01;

/** Blue enough (daylight, dusk) or blown out (overexposed), as skies photograph. */
function skyColoured(r: number, g: number, b: number): boolean {
  const luma = 0.299 * r + 0.587 * g + 0.114 * b;
  return (b > r + 0.04 && b >= g - 0.04 && luma > 0.25) || (luma > 0.88 && Math.max(r, g, b) - Math.min(r, g, b) < 0.12);
}

/**
 * Open sky: 1 where a smooth, sky-coloured region connected to the top row of the frame is, else
 * 0, at the image's size. Texture stops it (foliage, clouds with structure, buildings), so does a
 * change of colour; an indoor wall fails the colour test unless it is blown out white.
 */
export function skyMask(image: DecodedImage): Uint8Array {
  const { width, height, rgb } = image;
  const n = width * height;
  const channels = [0, 1, 2].map((c) => {
    const plane = new Float32Array(n);
    for (let i = 0; i < n; i++) plane[i] = rgb[i * 3 + c]! / 255;
    return plane;
  });
  // Texture: the mean absolute deviation from the 3x3 mean, summed over the channels.
  const texture = new Float32Array(n);
  const scratch = new Float32Array(n);
  for (const plane of channels) {
    const mean = boxMean(plane, width, height, 1, new Float32Array(n), scratch);
    for (let i = 0; i < n; i++) texture[i] = texture[i]! + Math.abs(plane[i]! - mean[i]!);
  }
  boxMean(texture, width, height, 1, texture, scratch);
  const [r, g, b] = channels as [Float32Array, Float32Array, Float32Array];
  const candidate = new Uint8Array(n);
  for (let i = 0; i < n; i++) candidate[i] = texture[i]! < SKY_SMOOTHNESS && skyColoured(r[i]!, g[i]!, b[i]!) ? 1 : 0;

  const sky = new Uint8Array(n);
  const stack: number[] = [];
  for (let x = 0; x < width; x++) {
    if (candidate[x]) {
      sky[x] = 1;
      stack.push(x);
    }
  }
  const close = (i: number, j: number): boolean => Math.abs(r[i]! - r[j]!) + Math.abs(g[i]! - g[j]!) + Math.abs(b[i]! - b[j]!) < SKY_STEP;
  let area = stack.length;
  while (stack.length > 0) {
    const i = stack.pop()!;
    const x = i % width;
    for (const j of [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width]) {
      if (j < 0 || j >= n || sky[j] || !candidate[j] || !close(i, j)) continue;
      sky[j] = 1;
      area++;
      stack.push(j);
    }
  }
  if (area < SKY_MIN_AREA * n) sky.fill(0);
  return sky;
}

/**
 * Sky at the far plane: its inverse depth a little beyond the farthest 1 % of everything else, so
 * it normalises to 0 and the rest keeps its range. Only where the model itself already puts the
 * region in the farther half of the scene: a pale blue wall beside the camera has sky's colour,
 * never sky's depth. In place; returns whether there was sky.
 */
export function skyToFar(inverse: Float32Array, sky: Uint8Array): boolean {
  let count = 0;
  for (const s of sky) count += s;
  if (count === 0 || count === sky.length) return false;
  const step = Math.max(1, Math.floor(sky.length / 20_000));
  const rest = sortedSample(inverse, (i) => !sky[i], step);
  const own = sortedSample(inverse, (i) => sky[i] === 1, step);
  if (own.length === 0 || rest.length === 0 || quantile(own, 0.5) > quantile(rest, 0.5)) return false;
  const far = quantile(rest, 0.01);
  const span = quantile(rest, 0.99) - far;
  const value = far - 0.1 * Math.max(span, 1e-6);
  for (let i = 0; i < inverse.length; i++) if (sky[i]) inverse[i] = value;
  return true;
}

/**
 * How much a photo looks like a room to a metric indoor model, 0..1, from its own inverse depth
 * (1/m): FastDepth puts the far end (95th percentile of depth) of every room of the evaluation set at
 * 5.6 m or more, and that of objects, photos of animals and people, street scenes at 4.8 m or less.
 * Rooms are what the model knows: the corrections fade out on them.
 */
export function roomness(inverseMetres: Float32Array): number {
  const step = Math.max(1, Math.floor(inverseMetres.length / 20_000));
  const sorted = sortedSample(inverseMetres, () => true, step);
  const far = 1 / Math.max(quantile(sorted, 0.05), 1e-6);
  return Math.min(1, Math.max(0, (far - ROOM_FROM) / (ROOM_AT - ROOM_FROM)));
}

/** Far end (m) below which a scene is not a room, and from which it surely is. */
const ROOM_FROM = 4.8;
const ROOM_AT = 5.6;

/** How far in front of its surroundings the subject is put, as a share of the scene's range. */
export const SUBJECT_MARGIN = 0.1;
/** The background that counts as the subject's surroundings: within this share of the diagonal. */
const RING = 0.08;

/**
 * The subject in front: `subject` (0..1, at the grid's size; the saliency cut, soft or hard) marks
 * it. When its median inverse depth is not at least SUBJECT_MARGIN x the scene's range above the
 * upper decile of the background beside and above it (within a ring around it), it is lifted by
 * the difference, weighted by `subject` (so a soft outline stays soft) and scaled by `weight`.
 * Its own shape and the background are unchanged. In place; returns the lift applied (0 when none was needed), or null
 * when there is no subject to speak of (under 0.5 % of the frame, or over 90 % of it).
 */
export function subjectInFront(inverse: Float32Array, subject: Float32Array, width: number, height: number, weight: number): number | null {
  const n = inverse.length;
  const inside = new Float32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    inside[i] = subject[i]! >= 0.5 ? 1 : 0;
    count += inside[i]!;
  }
  // No subject, or a "subject" that is the whole frame: nothing stands in front of anything.
  if (count < 0.005 * n || count > 0.9 * n) return null;
  const outside = new Float32Array(n);
  for (let i = 0; i < n; i++) outside[i] = 1 - inside[i]!;
  // Distance of each background pixel to the subject.
  const toSubject = distanceToBackground(outside, width, height);
  const ring = RING * Math.hypot(width, height);
  const step = Math.max(1, Math.floor(n / 40_000));
  // What is behind the subject: the ring beside and above its middle. Below it is what it stands on
  // (a table top, the floor), which is often nearer than the subject itself.
  let rows = 0;
  for (let i = 0; i < n; i++) if (inside[i]) rows += Math.floor(i / width);
  const middle = rows / count;
  const around = sortedSample(inverse, (i) => !inside[i] && toSubject[i]! <= ring && Math.floor(i / width) <= middle, step);
  const own = sortedSample(inverse, (i) => inside[i] === 1, step);
  const all = sortedSample(inverse, () => true, step);
  if (around.length === 0 || own.length === 0) return null;
  const span = quantile(all, 0.99) - quantile(all, 0.01);
  const lift = weight * Math.max(0, quantile(around, 0.9) + SUBJECT_MARGIN * span - quantile(own, 0.5));
  if (lift > 0) for (let i = 0; i < n; i++) inverse[i] = inverse[i]! + lift * Math.min(1, Math.max(0, subject[i]!));
  return lift;
}
