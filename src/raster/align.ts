// Least-squares scale and shift: the one alignment of relative depth used everywhere (tiles onto
// the global estimate in fuse.ts, predictions onto ground truth in the evaluation).

export interface ScaleShift {
  scale: number;
  shift: number;
}

/**
 * The scale s and shift t minimising sum w * (s * source + t - target)^2 over the pixels whose
 * weight is > 0 (all pixels when `weight` is absent). A source without variance gets scale 0
 * and the weighted mean of the target as shift; no pixel at all gives the identity.
 */
export function fitScaleShift(source: ArrayLike<number>, target: ArrayLike<number>, weight?: ArrayLike<number>): ScaleShift {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < source.length; i++) {
    const w = weight ? weight[i]! : 1;
    if (!(w > 0)) continue;
    sw += w;
    sx += w * source[i]!;
    sy += w * target[i]!;
  }
  if (sw === 0) return { scale: 1, shift: 0 };
  const mx = sx / sw;
  const my = sy / sw;
  // Centred sums: no cancellation when the values sit far from zero (inverse metres, disparities).
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < source.length; i++) {
    const w = weight ? weight[i]! : 1;
    if (!(w > 0)) continue;
    const dx = source[i]! - mx;
    sxx += w * dx * dx;
    sxy += w * dx * (target[i]! - my);
  }
  if (!(sxx > 0)) return { scale: 0, shift: my };
  const scale = sxy / sxx;
  return { scale, shift: my - scale * mx };
}
