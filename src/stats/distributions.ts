// Distribution functions from @stdlib (maintained, tested against reference
// implementations) rather than hand-written special functions.
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';

/** P(Z > z) for a standard normal Z, precise far into the upper tail. */
export function normalUpperTail(z: number): number {
  return normalCdf(-z, 0, 1);
}

/** P(T > t) for Student's t with `df` degrees of freedom (df = Infinity: normal). */
export function tUpperTail(t: number, df: number): number {
  if (!Number.isFinite(df)) return normalUpperTail(t);
  return tCdf(-t, df);
}

/** The z with P(Z > z) = p, for a standard normal Z. */
export function normalUpperQuantile(p: number): number {
  return -normalQuantile(p, 0, 1);
}

/** The z with P(Z <= z) = p, for a standard normal Z (the probit). */
export function normalLowerQuantile(p: number): number {
  return normalQuantile(p, 0, 1);
}
