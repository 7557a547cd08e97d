// Order statistics of a large plane from a strided sample: the normalisation's robust range and
// the scene priors' levels need a few quantiles of up to 4 million pixels, not a full sort.

/** Sorted copy of every `step`-th of the values where `where` holds (counted among those only). */
export function sortedSample(values: Float32Array, where: (i: number) => boolean, step = 1): Float32Array {
  const picked: number[] = [];
  for (let i = 0, k = 0; i < values.length; i++) if (where(i) && k++ % step === 0) picked.push(values[i]!);
  return Float32Array.from(picked).sort();
}

/** The q-quantile (0..1) of a sorted sample, by nearest rank. */
export function quantile(sorted: Float32Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
}
