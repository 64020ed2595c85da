import { describe, expect, it } from 'vitest';
import {
  alphaForLook,
  EARLY_STOP_SHARE,
  WATCH_LAST_LOOK_SHARE,
  isDecidingLook,
  type AlphaBudget,
} from '../../../src/judge/alpha.js';

/** Every look a plan takes: each gate's soak readings, each watch look's windows. */
function spent(p: AlphaBudget, numbered = true): number {
  const soak = p.soakLooks ?? 1;
  let total = 0;
  for (let g = 0; g < p.canaryLooks; g++)
    for (let r = 1; r <= soak; r++) total += alphaForLook(p, { phase: 'canary', reading: r });
  for (let w = 1; w <= p.watchLooks; w++) {
    const look = numbered ? w : undefined;
    total +=
      alphaForLook(p, { phase: 'watch', look }) +
      alphaForLook(p, { phase: 'watch', window: 'recent', look });
  }
  return total;
}

describe('alphaForLook', () => {
  const plan = { alpha: 0.001, canaryLooks: 1, watchLooks: 10 };

  it('gives the canary 80% of the budget and splits the rest over the watch looks', () => {
    expect(alphaForLook(plan, 'canary')).toBeCloseTo(0.0008, 15);
    expect(alphaForLook(plan, 'watch')).toBeCloseTo(0.00002, 15);
  });

  it('never spends more than alpha over all planned looks, early stops and windows included', () => {
    for (const p of [
      plan,
      { ...plan, canaryLooks: 3, canaryShare: 0.7 },
      { ...plan, watchLooks: 0 },
      { ...plan, soakLooks: 6, watchLooks: 30, recentWindow: true },
      { ...plan, canaryLooks: 2, soakLooks: 3, recentWindow: true },
      { ...plan, soakLooks: 1, recentWindow: true },
      { ...plan, watchLooks: 1, recentWindow: true },
    ])
      for (const numbered of [true, false]) {
        const total = spent(p, numbered);
        expect(total).toBeLessThanOrEqual(p.alpha * (1 + 1e-12));
        expect(total).toBeGreaterThan(p.alpha * 0.999);
      }
  });

  it("keeps half of the watch's budget for its last look, which decides that the deploy is done", () => {
    const p = { ...plan, recentWindow: true };
    const watch = 0.001 * 0.2;
    const both = (look?: number) =>
      alphaForLook(p, { phase: 'watch', look }) +
      alphaForLook(p, { phase: 'watch', window: 'recent', look });
    expect(both(10)).toBeCloseTo(watch * WATCH_LAST_LOOK_SHARE, 15);
    for (const k of [1, 5, 9]) expect(both(k)).toBeCloseTo((watch * 0.5) / 9, 15);
    // Deploys that began their watch before looks were numbered: evenly, as before.
    expect(both(undefined)).toBeCloseTo(watch / 10, 15);
  });

  it('gives the canary everything when there is no watch', () => {
    expect(alphaForLook({ alpha: 0.001, canaryLooks: 2, watchLooks: 0 }, 'canary')).toBeCloseTo(
      0.0005,
      15,
    );
  });

  it("keeps nine tenths of a gate's budget for the look that decides, the rest for early stops", () => {
    const p = { ...plan, soakLooks: 6 };
    expect(alphaForLook(p, { phase: 'canary' })).toBeCloseTo(0.0008 * 0.9, 15);
    expect(alphaForLook(p, { phase: 'canary', reading: 6 })).toBeCloseTo(0.0008 * 0.9, 15);
    for (const r of [1, 2, 3, 4, 5])
      expect(alphaForLook(p, { phase: 'canary', reading: r })).toBeCloseTo(
        (0.0008 * EARLY_STOP_SHARE) / 5,
        15,
      );
    expect([1, 5, 6, undefined].map((r) => isDecidingLook(p, r))).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });

  it('splits a watch look between the window since the switch and the recent one', () => {
    const p = { ...plan, recentWindow: true };
    expect(alphaForLook(p, { phase: 'watch' })).toBeCloseTo(0.00001, 15);
    expect(alphaForLook(p, { phase: 'watch', window: 'recent' })).toBeCloseTo(0.00001, 15);
    // Plans from before the recent window spend nothing on it.
    expect(alphaForLook(plan, { phase: 'watch', window: 'recent' })).toBe(0);
  });
});
