// Quantiles from cumulative histogram buckets. histogramQuantile is
// Prometheus's histogram_quantile: find the bucket the rank falls in and
// interpolate linearly inside it (the first bucket starts at 0; a rank in the
// +Inf bucket answers the highest finite bound). In a wide bucket that reads
// badly: latency piles up near a bucket's lower bound, and linear
// interpolation puts p99 far above where it is and squeezes a change of it
// (in a 100-250 ms bucket a p99 x1.5 reads as about x1.05). bucketQuantile,
// which the judge uses, reads the bucket on a lognormal shape instead.
import { normalLowerQuantile } from './distributions.js';

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

/**
 * The quantile read on a lognormal shape around its bucket: where the shares
 * at two bounds sit on the normal scale against log latency, the quantile
 * lies on the line through them. It uses the bucket's own bounds when
 * observations lie beyond both, else the two bounds below it (a p99 just
 * above the last bound anything passed) or above it, and always answers
 * inside the bucket the rank falls in. Exact for lognormal latency whatever
 * the buckets; with no two bounds to go by, it is histogram_quantile.
 */
export function bucketQuantile(
  q: number,
  bounds: readonly number[],
  cumulative: readonly number[],
): number | null {
  const linear = histogramQuantile(q, bounds, cumulative);
  const total = cumulative[bounds.length] ?? 0;
  if (linear === null || !(q > 0 && q < 1)) return linear;
  const rank = q * total;
  const i = bounds.findIndex((_, k) => cumulative[k]! >= rank);
  if (i < 0) return linear; // in the +Inf bucket
  const low = i === 0 ? Math.min(0, bounds[0]!) : bounds[i - 1]!;
  const high = bounds[i]!;
  // A bound with observations on both sides, on the normal scale.
  const z = (k: number) =>
    k >= 0 && k < bounds.length && bounds[k]! > 0 && cumulative[k]! > 0 && cumulative[k]! < total
      ? normalLowerQuantile(cumulative[k]! / total)
      : undefined;
  const zq = normalLowerQuantile(q);
  for (const [j, k] of [
    [i - 1, i],
    [i - 2, i - 1],
    [i, i + 1],
  ] as const) {
    const zj = z(j);
    const zk = z(k);
    if (zj === undefined || zk === undefined || !(zk > zj)) continue;
    const lj = Math.log(bounds[j]!);
    const at = Math.exp(lj + ((Math.log(bounds[k]!) - lj) * (zq - zj)) / (zk - zj));
    return Math.min(high, Math.max(low, at));
  }
  return linear;
}
