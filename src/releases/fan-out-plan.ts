// Which hosts seed a fan-out staging, and how many copies a serving host
// makes at once. Pure: the same hosts and setting always give the same plan.
import { spreadOrder } from '../core/plan.js';
import type { Host } from '../core/vocabulary.js';
import { bestSwarmShape, followDepth } from './swarm.js';

export type FanOutSetting = 'auto' | { seeds: number; perSeed: number; bwLimitKiB?: number };

/** `auto` fans out from this many hosts in a batch; below it the worker copies to each. */
const AUTO_MIN_HOSTS = 16;

export interface FanOutPlan {
  /** Staged by the worker first; then every host holding the release serves it. */
  seeds: Host[];
  /** Copies one serving host makes at once (its rsync daemon's connection limit). */
  perSeed: number;
  /** The longest chain of hosts following one still filling (swarm.ts followDepth). */
  followDepth: number;
}

/**
 * What `auto` uses from AUTO_MIN_HOSTS: two seeds, one more per 32 hosts
 * (a seed lost costs little), each serving host making the copies at once
 * that the swarm's model says stage the batch soonest (one, which gets a
 * host's whole uplink, or two or three sharing it; see bestSwarmShape).
 */
export function autoShape(n: number): { seeds: number; perSeed: number } {
  const seeds = Math.min(n - 1, Math.max(2, Math.ceil(n / 32)));
  return { seeds, perSeed: bestSwarmShape(n, seeds).perServer };
}

/** Counts for a batch of `n` hosts, or null when the worker should copy to each. */
export function fanOutShape(
  n: number,
  setting: FanOutSetting | undefined,
): { seeds: number; perSeed: number } | null {
  if (setting === undefined || n < 3) return null;
  if (setting === 'auto') return n < AUTO_MIN_HOSTS ? null : autoShape(n);
  return { seeds: Math.min(n - 1, setting.seeds), perSeed: setting.perSeed };
}

/** The seeds, spread across the hosts' tags as canaries are. */
export function planFanOut(
  hosts: readonly Host[],
  setting: FanOutSetting | undefined,
  spreadBy: readonly string[],
  key: string,
): FanOutPlan | null {
  const shape = fanOutShape(hosts.length, setting);
  if (!shape) return null;
  return {
    seeds: spreadOrder(hosts, spreadBy, key).slice(0, shape.seeds),
    perSeed: shape.perSeed,
    followDepth: followDepth(hosts.length, shape.seeds, shape.perSeed),
  };
}
