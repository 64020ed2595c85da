// Pure planning for a deploy: which hosts are canaries, how the rest switch
// in waves, which hosts are held back as controls during the watch, how the
// work is batched, and how many looks the judge takes. Deterministic for a
// given deploy: the same input always gives the same plan.
import type { ClusterConfig } from '../config/schema.js';
import { judgeLimits } from './defaults.js';
import type { Host, TransportSpec } from './vocabulary.js';

/**
 * Replay compatibility: what a deploy did when its recorded input lacks a
 * field added later. These are not defaults (a new configuration always
 * carries the field, filled by the schema or the loader); they keep a deploy
 * started on older code planning as it did, and must not change while such a
 * deploy may still replay (docs/patches.md).
 */
export const REPLAY_COMPAT = {
  /** Input from before the loader wrote the holdback in: as many as the canary. */
  holdbackWhenUnset: (nCanary: number) => nCanary,
  /** Input from before soakLookEvery: the soak read at the watch's cadence. */
  soakLookEveryWhenUnset: (d: { lookEvery: number }) => d.lookEvery,
} as const;

/** How activities reach the cluster's hosts (paths and names only, no secrets). */
export function transportSpec(cfg: ClusterConfig): TransportSpec {
  return cfg.transport === 'ssh' && cfg.ssh ? { kind: 'ssh', ...cfg.ssh } : { kind: 'local' };
}

/** FNV-1a: a small, stable string hash (no randomness in workflow code). */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A host count from "3" or "5%" of `total` (percentages round up, at least 1). */
export function resolveSize(size: number | string, total: number): number {
  if (total === 0) return 0;
  const n = typeof size === 'number' ? size : Math.ceil((Number(size.slice(0, -1)) / 100) * total);
  return Math.min(total, Math.max(1, n));
}

/**
 * Orders hosts so that any prefix spreads across tag values: round-robin over
 * the first tag's groups, each group itself ordered by the next tags; ties
 * broken by a hash of (seed, name) so different deploys pick different hosts.
 */
export function spreadOrder(hosts: readonly Host[], tags: readonly string[], seed: string): Host[] {
  const [tag, ...rest] = tags;
  if (tag === undefined)
    return [...hosts].sort(
      (a, b) =>
        stableHash(`${seed}/${a.name}`) - stableHash(`${seed}/${b.name}`) ||
        a.name.localeCompare(b.name),
    );
  const groups = new Map<string, Host[]>();
  for (const h of hosts) {
    const key = h.tags?.[tag] ?? '';
    const group = groups.get(key);
    if (group) group.push(h);
    else groups.set(key, [h]);
  }
  if (groups.size === 1) return spreadOrder(hosts, rest, seed);
  const ordered = [...groups.entries()]
    .sort(
      ([a], [b]) => stableHash(`${seed}#${a}`) - stableHash(`${seed}#${b}`) || a.localeCompare(b),
    )
    .map(([, g]) => spreadOrder(g, rest, seed));
  const out: Host[] = [];
  for (let i = 0; out.length < hosts.length; i++)
    for (const g of ordered) if (i < g.length) out.push(g[i]!);
  return out;
}

export interface RolloutPlan {
  canaries: Host[];
  /** Later waves, in order; the last one ends the rollout (holdback excluded). */
  waves: Host[][];
  /** Control hosts kept on the old release during the watch, switched at the finish. */
  holdback: Host[];
}

export function planRollout({
  hosts,
  canarySize,
  spreadBy,
  waves,
  holdbackSize,
  seed,
}: {
  hosts: readonly Host[];
  canarySize: number | string;
  spreadBy: readonly string[];
  waves: readonly (number | string)[];
  holdbackSize: number | string | undefined;
  seed: string;
}): RolloutPlan {
  const ordered = spreadOrder(hosts, spreadBy, seed);
  const total = ordered.length;
  // Keep at least one host on the old release while the canary is judged.
  const nCanary = Math.min(resolveSize(canarySize, total), Math.max(1, total - 1));
  const canaries = ordered.slice(0, nCanary);
  const rest = ordered.slice(nCanary);
  const nHoldback = Math.min(
    holdbackSize === undefined
      ? REPLAY_COMPAT.holdbackWhenUnset(nCanary)
      : holdbackSize === 0
        ? 0 // no watch controls (older configurations never held 0: replays are unchanged)
        : resolveSize(holdbackSize, total),
    Math.max(0, rest.length - 1),
  );
  // Hold back hosts spread across tags too: take them from the end of the order.
  const holdback = nHoldback > 0 ? rest.slice(rest.length - nHoldback) : [];
  const movable = rest.slice(0, rest.length - nHoldback);
  const planned: Host[][] = [];
  let done = nCanary;
  for (const w of waves) {
    const target = Math.min(total - nHoldback, Math.max(done, resolveSize(w, total)));
    planned.push(movable.slice(done - nCanary, target - nCanary));
    done = target;
  }
  if (done - nCanary < movable.length) planned.push(movable.slice(done - nCanary));
  return { canaries, waves: planned.filter((w) => w.length > 0), holdback };
}

/** The fields the default holdback reads from a parsed configuration. */
export type HoldbackInput = Pick<ClusterConfig, 'hosts' | 'canary' | 'metrics'> & {
  judge: { minControlHosts?: number | undefined };
};

/**
 * The holdback when none is configured: as many hosts as the canary, and at
 * least as many as the judge needs as controls, leaving one host for the
 * waves. Without metrics nothing is judged and it stays the canary size. The
 * loader writes it into the configuration a deploy records, so the deploy's
 * plan is explicit in its input.
 */
export function defaultHoldback(c: HoldbackInput): number {
  const total = c.hosts.length;
  const canary = Math.min(resolveSize(c.canary.size, total), Math.max(1, total - 1));
  if (c.metrics.length === 0) return canary;
  const wanted = Math.max(canary, judgeLimits(c.judge).minControlHosts);
  return Math.max(0, Math.min(wanted, total - canary - 1));
}

/** Splits items into batches of at most `size` (one activity each). */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The durations planning reads; soakLookEvery is absent from deploys started before it existed. */
export interface LookDurations {
  watch: number;
  soak: number;
  lookEvery: number;
  soakLookEvery?: number;
}

/** The cadence of a soak's readings (and early looks). */
export const soakEvery = (d: LookDurations) =>
  d.soakLookEvery ?? REPLAY_COMPAT.soakLookEveryWhenUnset(d);

/** Readings a soak takes after the switch (its last one closes the soak). */
export const soakReadings = (d: LookDurations) => Math.max(1, Math.ceil(d.soak / soakEvery(d)));

/** Readings in the watch's recent window: a soak's length, at the watch's cadence. */
export const recentWindowReadings = (d: LookDurations) =>
  Math.max(1, Math.ceil(d.soak / d.lookEvery));

/**
 * Judged looks: the canary and every wave but the last (gates), each at
 * every reading of its soak, then every watch interval.
 */
export function lookCounts(plan: RolloutPlan, durations: LookDurations) {
  return {
    canaryLooks: Math.max(1, plan.waves.length),
    soakLooks: soakReadings(durations),
    watchLooks:
      plan.holdback.length > 0 ? Math.max(1, Math.floor(durations.watch / durations.lookEvery)) : 0,
  };
}

/**
 * `n` of `hosts`, evenly spaced: a list in spread order keeps its spread
 * (every zone, every wave) in any evenly spaced subset.
 */
export function evenlySpaced<T>(items: readonly T[], n: number): T[] {
  if (n >= items.length) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

/**
 * The hosts a deploy reads metrics from when the fleet is larger than
 * `max`; null when it is not (every host is read). The budget is shared
 * equally by the three groups the judge compares (canaries, the hosts
 * switched in later waves, the held-back controls), a group smaller than
 * its share handing the rest to the others, and each group's share is an
 * evenly spaced subset of it: spread across tags, and across waves. A
 * bounded sample, as Kayenta compares a canary with a baseline of its own
 * size: the judge's power comes from the canaries' hosts, and reading ten
 * thousand hosts every ten seconds would load the fleet, the worker and the
 * workflow's history for little more.
 */
export function readSet(plan: RolloutPlan, max: number): Host[] | null {
  const groups = [plan.canaries, plan.waves.flat(), plan.holdback];
  const total = groups.reduce((n, g) => n + g.length, 0);
  if (total <= max) return null;
  const shares = groups.map(() => 0);
  let left = max;
  // Water-filling: equal shares, what a small group does not need goes round again.
  for (let open = groups.filter((g) => g.length > 0).length; left > 0 && open > 0;) {
    const each = Math.max(1, Math.floor(left / open));
    open = 0;
    for (let i = 0; i < groups.length && left > 0; i++) {
      const room = groups[i]!.length - shares[i]!;
      if (room <= 0) continue;
      const take = Math.min(room, each, left);
      shares[i]! += take;
      left -= take;
      if (room > take) open++;
    }
  }
  return groups.flatMap((g, i) => evenlySpaced(g, shares[i]!));
}
