// One-sided Mann-Whitney U (Wilcoxon rank-sum) test: is `x` stochastically
// greater than `y`? Exact null distribution for small samples, normal
// approximation with tie and continuity corrections for large ones. Knows
// nothing of metrics or configuration.
import { normalUpperTail } from './distributions.js';

export interface MannWhitneyResult {
  /** U statistic of x: pairs (xi, yj) with xi > yj, ties counting one half. */
  u: number;
  /** P(U >= u) under the null hypothesis. */
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/** Largest n1 * n2 * min(n1, n2) for which the exact distribution is computed. */
const EXACT_WORK_LIMIT = 2_000_000;

export function mannWhitneyGreater(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyGreater needs two non-empty samples');
  const { rankSumX, tieTerm } = rankSum(x, y);
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const exact = tieTerm === 0 && n1 * n2 * Math.min(n1, n2) <= EXACT_WORK_LIMIT;
  if (exact) return { u, pValue: exactUpperTail(u, n1, n2), method: 'exact' };
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, pValue: 1, method: 'asymptotic' };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, pValue: normalUpperTail(z), method: 'asymptotic' };
}

/** The smallest p-value the test can give for these sample sizes: 1 / C(n1+n2, n1). */
export function smallestAttainableP(n1: number, n2: number): number {
  let logC = 0;
  for (let i = 1; i <= n1; i++) logC += Math.log(n2 + i) - Math.log(i);
  return Math.exp(-logC);
}

/** Equal, NaN to NaN too (typed sorts put NaN last, as one tie group). */
const same = (a: number, b: number) => a === b || (a !== a && b !== b);

/**
 * x's rank sum among all values, ties at their mid-rank, and the tie term.
 * Each sample is sorted on its own (numeric sorts of typed arrays, no
 * comparator) and the two are walked together: a look ranks thousands of
 * hosts per metric.
 */
function rankSum(x: readonly number[], y: readonly number[]) {
  const xs = Float64Array.from(x).sort();
  const ys = Float64Array.from(y).sort();
  let rankSumX = 0;
  let tieTerm = 0; // sum of t^3 - t over tie groups
  let i = 0;
  let j = 0;
  while (i < xs.length || j < ys.length) {
    const y = ys[j]!;
    const v = i < xs.length && (j >= ys.length || xs[i]! < y || y !== y) ? xs[i]! : y;
    const rank = i + j; // values below this tie group
    let fromX = 0;
    while (i < xs.length && same(xs[i]!, v)) {
      i++;
      fromX++;
    }
    while (j < ys.length && same(ys[j]!, v)) j++;
    const t = i + j - rank;
    if (t > 1) tieTerm += t * t * t - t;
    rankSumX += fromX * (rank + (t + 1) / 2);
  }
  return { rankSumX, tieTerm };
}

/**
 * Null distribution of U for samples of sizes m and n without ties, by the
 * recurrence p(u; m, n) = m/(m+n) p(u-n; m-1, n) + n/(m+n) p(u; m, n-1) on
 * probabilities (not counts, which overflow). It depends only on the sizes,
 * and a deploy asks for the same sizes look after look, so it is cached.
 */
function exactDistribution(m: number, n: number): Float64Array {
  const key = `${m},${n}`;
  const cached = distributions.get(key);
  if (cached) return cached;
  // prev[j] = distribution for sizes (i - 1, j), built up over i.
  let prev: Float64Array[] = Array.from({ length: n + 1 }, () => Float64Array.of(1)); // i = 0
  for (let i = 1; i <= m; i++) {
    const cur: Float64Array[] = new Array<Float64Array>(n + 1);
    cur[0] = Float64Array.of(1); // j = 0: U is always 0
    for (let j = 1; j <= n; j++) {
      const d = new Float64Array(i * j + 1);
      const xLargest = prev[j]!; // the largest value is from x: it beats all j of y
      const yLargest = cur[j - 1]!; // the largest value is from y: it beats none of x
      const a = i / (i + j);
      const b = j / (i + j);
      for (let k = 0; k < xLargest.length; k++) d[k + j]! += a * xLargest[k]!;
      for (let k = 0; k < yLargest.length; k++) d[k]! += b * yLargest[k]!;
      cur[j] = d;
    }
    prev = cur;
  }
  const dist = prev[n]!;
  if (distributions.size >= 64) distributions.delete(distributions.keys().next().value!);
  distributions.set(key, dist);
  return dist;
}

const distributions = new Map<string, Float64Array>();

/** P(U >= u) under the null, for samples of sizes m and n without ties. */
function exactUpperTail(u: number, m: number, n: number): number {
  const dist = exactDistribution(m, n);
  let tail = 0;
  for (let k = Math.ceil(u - 1e-9); k < dist.length; k++) tail += dist[k]!;
  return Math.min(1, tail);
}
