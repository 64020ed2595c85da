// A quantile from cumulative histogram buckets, the way Prometheus's
// histogram_quantile computes it: find the bucket the rank falls in and
// interpolate linearly inside it (the first bucket starts at 0; a rank in the
// +Inf bucket answers the highest finite bound).

/**
 * `bounds` are the finite upper bounds, ascending; `cumulative[i]` counts the
 * observations at or below bounds[i], and `cumulative[bounds.length]` all of
 * them (the +Inf bucket). Null when there are no observations.
 */
export function histogramQuantile(
  q: number,
  bounds: readonly number[],
  cumulative: readonly number[],
): number | null {
  const total = cumulative[bounds.length] ?? 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    const upTo = cumulative[i]!;
    if (upTo < rank) continue;
    const below = i === 0 ? 0 : cumulative[i - 1]!;
    const start = i === 0 ? Math.min(0, bounds[0]!) : bounds[i - 1]!;
    const inBucket = upTo - below;
    return inBucket > 0 ? start + ((bounds[i]! - start) * (rank - below)) / inBucket : bounds[i]!;
  }
  return bounds.length > 0 ? bounds[bounds.length - 1]! : null;
}
