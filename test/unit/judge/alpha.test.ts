import { describe, expect, it } from 'vitest';
import { alphaForLook } from '../../../src/judge/alpha.js';

describe('alphaForLook', () => {
  const plan = { alpha: 0.001, canaryLooks: 1, watchLooks: 10 };

  it('gives the canary 80% of the budget and splits the rest over the watch looks', () => {
    expect(alphaForLook(plan, 'canary')).toBeCloseTo(0.0008, 15);
    expect(alphaForLook(plan, 'watch')).toBeCloseTo(0.00002, 15);
  });

  it('never spends more than alpha over all planned looks', () => {
    for (const p of [
      plan,
      { ...plan, canaryLooks: 3, canaryShare: 0.7 },
      { ...plan, watchLooks: 0 },
    ]) {
      const total =
        p.canaryLooks * alphaForLook(p, 'canary') + p.watchLooks * alphaForLook(p, 'watch');
      expect(total).toBeLessThanOrEqual(p.alpha * (1 + 1e-12));
      expect(total).toBeGreaterThan(p.alpha * 0.999);
    }
  });

  it('gives the canary everything when there is no watch', () => {
    expect(alphaForLook({ alpha: 0.001, canaryLooks: 2, watchLooks: 0 }, 'canary')).toBeCloseTo(
      0.0005,
      15,
    );
  });
});
