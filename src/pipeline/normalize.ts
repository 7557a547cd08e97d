// Stage 5: metric depth -> relative depth, near 1.0 and far 0.0, the convention of every output
// format (API.md, Outputs).

/**
 * Maps depth linearly onto [0, 1], nearest pixel 1, farthest 0, in place of the metres.
 *
 * Linear in depth (not in inverse depth) because the result becomes a relief: heights proportional
 * to distance keep the object's proportions, where disparity would inflate whatever is nearest.
 *
 * With a mask, the range is taken over the foreground only: the background is about to be set to 0
 * anyway, and a far wall behind the object would otherwise squeeze the object into a thin band near
 * 1 (and a cut-out would lose most of its relief height). Background pixels get depth 0.
 * Without a mask, all pixels count.
 *
 * Values end clamped to [0, 1]. A foreground of constant depth maps to 1 (a flat plate at full
 * height); an empty foreground gives all zeros.
 */
export function relativeDepth(depth: Float32Array, mask?: Float32Array): Float32Array {
  if (mask && mask.length !== depth.length) throw new RangeError('mask and depth differ in size');
  let near = Infinity;
  let far = -Infinity;
  for (let i = 0; i < depth.length; i++) {
    if (mask && mask[i]! <= 0) continue;
    const d = depth[i]!;
    if (!Number.isFinite(d)) continue;
    if (d < near) near = d;
    if (d > far) far = d;
  }
  const out = new Float32Array(depth.length);
  if (near > far) return out; // no foreground pixel (or no finite depth): nothing to show
  const span = far - near;
  for (let i = 0; i < depth.length; i++) {
    if (mask && mask[i]! <= 0) continue;
    const d = depth[i]!;
    const v = span > 0 ? (far - d) / span : 1;
    // NaN (a non-finite prediction) fails both comparisons and lands on 0, i.e. far.
    out[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return out;
}
