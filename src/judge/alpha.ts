// The false-rollback budget of one deploy, spent over every look the judge
// takes. A deploy plans its looks up front (one per canary wave, one per watch
// interval); each look gets a fixed share, so however often the judge looks,
// the chance of rolling back a good release stays within `alpha` (Bonferroni
// over looks: valid for any correlation between them). Within a look the
// share is split evenly across metrics by the judge.

export interface LookPlan {
  /** Deploy-wide false-rollback budget (default 0.001). */
  alpha: number;
  /** Judged looks before the full switch (canary, and one per later wave). */
  canaryLooks: number;
  /** Judged looks during the watch. */
  watchLooks: number;
  /**
   * Share of alpha for the canary looks when there are watch looks (default
   * 0.8): the canary look protects the whole fleet, the watch is a backstop.
   */
  canaryShare?: number;
}

export type LookPhase = 'canary' | 'watch';

export const DEFAULT_CANARY_SHARE = 0.8;

export function alphaForLook(plan: LookPlan, phase: LookPhase): number {
  const share =
    plan.watchLooks === 0
      ? 1
      : plan.canaryLooks === 0
        ? 0
        : (plan.canaryShare ?? DEFAULT_CANARY_SHARE);
  if (phase === 'canary')
    return plan.canaryLooks === 0 ? 0 : (plan.alpha * share) / plan.canaryLooks;
  return plan.watchLooks === 0 ? 0 : (plan.alpha * (1 - share)) / plan.watchLooks;
}
