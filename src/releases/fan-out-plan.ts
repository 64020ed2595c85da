// Which hosts seed a fan-out staging and which seed each other host copies
// from. Pure: the same hosts and setting always give the same plan.
import { spreadOrder } from '../core/plan.js';
import type { Host } from '../core/vocabulary.js';

export type FanOutSetting = 'auto' | { seeds: number; perSeed: number; bwLimitKiB?: number };

/** `auto` fans out from this many hosts in a batch; below it the worker copies to each. */
export const AUTO_MIN_HOSTS = 16;

export interface FanOutPlan {
  /** Staged by the worker first; each then serves its targets. */
  seeds: Host[];
  /** Each other host's seed, by name. */
  seedOf: Map<string, string>;
  /** Targets copying from one seed at once (its rsync daemon's connection limit). */
  perSeed: number;
}

/**
 * What `auto` uses from AUTO_MIN_HOSTS: as many seeds as each seed has
 * targets, so the worker's copies and the seeds' take about as long as
 * each other.
 */
export function autoShape(n: number): { seeds: number; perSeed: number } {
  const seeds = Math.ceil(Math.sqrt(n));
  return { seeds, perSeed: Math.ceil((n - seeds) / seeds) };
}

/** Counts for a batch of `n` hosts, or null when the worker should copy to each. */
export function fanOutShape(
  n: number,
  setting: FanOutSetting | undefined,
): { seeds: number; perSeed: number } | null {
  if (setting === undefined || n < 3) return null;
  if (setting === 'auto') return n < AUTO_MIN_HOSTS ? null : autoShape(n);
  // More seeds than asked when the rest would not fit their shares.
  const seeds = Math.min(n - 1, Math.max(setting.seeds, Math.ceil(n / (setting.perSeed + 1))));
  return { seeds, perSeed: setting.perSeed };
}

/**
 * Seeds spread across the hosts' tags (as canaries are), and each target
 * assigned to the least loaded seed that shares most of its tags (same rack,
 * else same zone), up to perSeed targets each; when every such seed is full,
 * to the least loaded seed.
 */
export function planFanOut(
  hosts: readonly Host[],
  setting: FanOutSetting | undefined,
  spreadBy: readonly string[],
  key: string,
): FanOutPlan | null {
  const shape = fanOutShape(hosts.length, setting);
  if (!shape) return null;
  const ordered = spreadOrder(hosts, spreadBy, key);
  const seeds = ordered.slice(0, shape.seeds);
  const load = new Map(seeds.map((s) => [s.name, 0]));
  const shared = (a: Host, b: Host) =>
    spreadBy.reduce(
      (n, tag, i) =>
        n + (a.tags?.[tag] !== undefined && a.tags[tag] === b.tags?.[tag] ? 1 << i : 0),
      0,
    );
  const seedOf = new Map<string, string>();
  for (const target of ordered.slice(shape.seeds)) {
    const best = [...seeds].sort(
      (a, b) =>
        Number(load.get(a.name)! >= shape.perSeed) - Number(load.get(b.name)! >= shape.perSeed) ||
        shared(target, b) - shared(target, a) ||
        load.get(a.name)! - load.get(b.name)!,
    )[0]!;
    seedOf.set(target.name, best.name);
    load.set(best.name, load.get(best.name)! + 1);
  }
  return { seeds, seedOf, perSeed: shape.perSeed };
}
