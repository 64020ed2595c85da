// Two-sample t-test with a pooled variance, one-sided. It stands in for the
// rank test where the fleet is too small for ranks to reach the threshold
// (one canary among seven hosts has a best rank p of 1/8): the price is an
// assumption of roughly normal per-host changes, which a log scale makes
// reasonable for latencies and loads.
import { tUpperTail } from './distributions.js';

export interface TTestResult {
  t: number;
  degreesOfFreedom: number;
  pValue: number;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const squares = (xs: readonly number[]) => {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0);
};

/** P-value of H0: mean(x) = mean(y) against mean(x) > mean(y); needs three values in all. */
export function pooledTGreater(x: readonly number[], y: readonly number[]): TTestResult {
  if (x.length === 0 || y.length === 0 || x.length + y.length < 3)
    throw new RangeError('pooledTGreater needs one value per group and three in all');
  const df = x.length + y.length - 2;
  const variance = (squares(x) + squares(y)) / df;
  const se = Math.sqrt(variance * (1 / x.length + 1 / y.length));
  const diff = mean(x) - mean(y);
  // Identical values everywhere: any difference is certain, none is not.
  const t = se > 0 ? diff / se : diff > 0 ? Infinity : diff < 0 ? -Infinity : 0;
  return { t, degreesOfFreedom: df, pValue: tUpperTail(t, df) };
}
