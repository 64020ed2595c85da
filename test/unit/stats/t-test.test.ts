import { describe, expect, it } from 'vitest';
import { pooledTGreater } from '../../../src/stats/t-test.js';

describe('pooledTGreater', () => {
  it('matches a hand computation (x = [5], y = [1, 2, 3])', () => {
    // Pooled variance: (0 + 2) / 2 = 1; se = sqrt(1 * (1 + 1/3)) = 1.1547; t = 3 / 1.1547.
    const r = pooledTGreater([5], [1, 2, 3]);
    expect(r.degreesOfFreedom).toBe(2);
    expect(r.t).toBeCloseTo(2.598076, 5);
    // P(T_2 > 2.598) = 0.5 * (1 - t / sqrt(t^2 + 2)) for two degrees of freedom.
    expect(r.pValue).toBeCloseTo(0.5 * (1 - r.t / Math.sqrt(r.t * r.t + 2)), 10);
  });

  it('is one-sided: a lower x gives a p-value above one half', () => {
    expect(pooledTGreater([0], [1, 2, 3]).pValue).toBeGreaterThan(0.5);
  });

  it('refuses groups too small to estimate a variance', () => {
    expect(() => pooledTGreater([1], [2])).toThrow(RangeError);
  });
});
