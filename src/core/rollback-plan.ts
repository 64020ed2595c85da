// Pure planning for a plain rollback (no --to): one release for the whole
// fleet, never a mix nobody was told of. Each host knows where it would go
// on its own (the release live before its current one, not rejected); hosts
// added or replaced since disagree or have nowhere to go. The fleet goes to
// the release most hosts would go to; a host that keeps it (and has not
// rejected it) goes there too, a host already on it stays, and a host that
// cannot go there is left where it is and named, without holding up the rest.
import type { RollbackTarget } from '../releases/host-state.js';

/** What inspecting a host told the rollback. */
export interface RollbackView {
  host: string;
  current: string | null;
  /** Retained releases, newest first. */
  releases: string[];
  rejected: string[];
  rollback: RollbackTarget;
}

export interface RollbackMove {
  host: string;
  from: string | null;
  to: string;
  /** Where this host alone would have gone, when the fleet's release differs from it. */
  ownTarget?: string | null;
}

export interface RollbackPlanResult {
  /** The release the fleet goes to; null when no host has anywhere to go. */
  target: string | null;
  moves: RollbackMove[];
  /** Hosts already on the target. */
  staying: string[];
  /** Hosts that cannot go to the target: left on their release, and why. */
  skipped: { host: string; on: string | null; why: string }[];
}

export function planPlainRollback(views: readonly RollbackView[]): RollbackPlanResult {
  const votes = new Map<string, number>();
  for (const v of views)
    if ('revision' in v.rollback)
      votes.set(v.rollback.revision, (votes.get(v.rollback.revision) ?? 0) + 1);
  const keeping = (rev: string) =>
    views.filter((v) => v.releases.includes(rev) && !v.rejected.includes(rev)).length;
  // Most hosts' own target; a tie goes to the release more hosts can reach.
  const target =
    [...votes].sort((a, b) => b[1] - a[1] || keeping(b[0]) - keeping(a[0]))[0]?.[0] ?? null;
  const plan: RollbackPlanResult = { target, moves: [], staying: [], skipped: [] };
  for (const v of views) {
    const own = 'revision' in v.rollback ? v.rollback.revision : null;
    if (target === null) {
      plan.skipped.push({ host: v.host, on: v.current, why: whyNoTarget(v) });
    } else if (v.current === target) {
      plan.staying.push(v.host);
    } else if (v.rejected.includes(target)) {
      plan.skipped.push({ host: v.host, on: v.current, why: `${target} was rejected here` });
    } else if (!v.releases.includes(target)) {
      plan.skipped.push({
        host: v.host,
        on: v.current,
        why: `keeps no ${target} (it keeps ${v.releases.join(', ') || 'no release'})`,
      });
    } else {
      plan.moves.push({
        host: v.host,
        from: v.current,
        to: target,
        ...(own !== target ? { ownTarget: own } : {}),
      });
    }
  }
  return plan;
}

const whyNoTarget = (v: RollbackView) =>
  'none' in v.rollback ? v.rollback.none : 'no rollback target';

/** "the fleet is on v2 (7 hosts) and v3 (web-9)" when the skipped hosts leave it mixed; null when not. */
export function mixedFleet(plan: RollbackPlanResult): string | null {
  if (plan.target === null || plan.skipped.length === 0) return null;
  const onTarget = plan.moves.length + plan.staying.length;
  const others = new Map<string, string[]>();
  for (const s of plan.skipped) {
    const on = s.on ?? '(no release)';
    others.set(on, [...(others.get(on) ?? []), s.host]);
  }
  const rest = [...others].map(([rev, hosts]) => `${rev} (${hosts.join(', ')})`);
  return `the fleet is on ${plan.target} (${onTarget} host(s)) and ${rest.join(' and ')}`;
}
