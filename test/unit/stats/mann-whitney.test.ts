// Reference values: SciPy 1.17.1,
// scipy.stats.mannwhitneyu(x, y, alternative='greater', method=..., use_continuity=True).
import { describe, expect, it } from 'vitest';
import { mannWhitneyGreater, smallestAttainableP } from '../../../src/stats/mann-whitney.js';

describe('mannWhitneyGreater', () => {
  it('matches SciPy exact for small samples without ties', () => {
    const x = [12.1, 15.3, 14.8, 13.9, 16.2];
    const y = [10.2, 11.5, 12.0, 13.1, 9.8, 10.9, 12.7, 11.1, 14.0, 10.5, 11.8, 12.4];
    const r = mannWhitneyGreater(x, y);
    expect(r).toMatchObject({ u: 55, method: 'exact' });
    expect(r.pValue / 0.003070458952811894).toBeCloseTo(1, 9);
  });

  it('matches SciPy exact for 5 canaries against 95 controls', () => {
    const x = [1, 2, 3, 4, 5].map((i) => Math.sin(i * 2.1) * 10 + 9);
    const y = Array.from({ length: 95 }, (_, j) => Math.sin((j + 1) * 1.3) * 10);
    const r = mannWhitneyGreater(x, y);
    expect(r).toMatchObject({ u: 367, method: 'exact' });
    expect(r.pValue / 0.01929819178530519).toBeCloseTo(1, 9);
  });

  it('matches SciPy asymptotic (tie and continuity corrected) when there are ties', () => {
    const x = [3, 4, 4, 5, 6, 6, 7, 8];
    const y = [1, 2, 3, 3, 4, 5, 5, 6, 2, 1, 4, 3];
    const r = mannWhitneyGreater(x, y);
    expect(r).toMatchObject({ u: 78.5, method: 'asymptotic' });
    expect(r.pValue / 0.009613398129815988).toBeCloseTo(1, 9);
  });

  it('gives the smallest attainable p when every x exceeds every y', () => {
    const r = mannWhitneyGreater([10, 11], [1, 2, 3, 4, 5, 6]);
    expect(r.pValue).toBeCloseTo(smallestAttainableP(2, 6), 12);
  });
});

describe('smallestAttainableP', () => {
  it('is 1 / C(n1 + n2, n1)', () => {
    // 1 / scipy.special.comb(100, 5) and 1 / comb(8, 2)
    expect(smallestAttainableP(5, 95) / 1.3282413871515492e-8).toBeCloseTo(1, 9);
    expect(smallestAttainableP(2, 6)).toBeCloseTo(0.03571428571428571, 12);
  });
});

describe('rank sums', () => {
  it('rank a value that is not a number last, as one tie group, and end', () => {
    const withNaN = mannWhitneyGreater([1, NaN, 3], [2, NaN, 0.5]);
    // Ranks 0.5:1, 1:2, 2:3, 3:4, NaN:5.5 twice; x's sum 2 + 4 + 5.5 = 11.5, U = 11.5 - 6.
    expect(withNaN.u).toBe(5.5);
    expect(withNaN.method).toBe('asymptotic');
  });

  it('counts a tie across both samples at its mid-rank', () => {
    // Sorted 1, 2, 2, 2, 3: the 2s share rank 3; x = [2, 3] sums 3 + 5 = 8, U = 8 - 3.
    expect(mannWhitneyGreater([2, 3], [1, 2, 2]).u).toBe(5);
  });
});
