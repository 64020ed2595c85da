// Reference values: SciPy 1.17.1, scipy.stats.norm.sf(z) and scipy.stats.t.sf(t, df).
import { describe, expect, it } from 'vitest';
import { normalUpperTail, tUpperTail } from '../../../src/stats/distributions.js';

describe('normalUpperTail', () => {
  it.each([
    [1.96, 0.024997895148220435],
    [3.5, 0.00023262907903552502],
    [6.0, 9.865876450376946e-10],
  ])('P(Z > %f) matches SciPy', (z, expected) => {
    expect(normalUpperTail(z) / expected).toBeCloseTo(1, 9);
  });
});

describe('tUpperTail', () => {
  it.each([
    [2.5, 4, 0.03338327240599407],
    [4.2, 19, 0.00024265823604339705],
    [10, 3, 0.0010641995292070751],
    [-1.0, 7, 0.8246916685898963],
  ])('P(T > %f | df=%i) matches SciPy', (t, df, expected) => {
    expect(tUpperTail(t, df) / expected).toBeCloseTo(1, 9);
  });

  it('is the normal tail for infinite degrees of freedom', () => {
    expect(tUpperTail(3.5, Infinity)).toBe(normalUpperTail(3.5));
  });
});
