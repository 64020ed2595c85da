// The judge benchmark is only as honest as its simulator: check that the
// traces have the properties the benchmark claims (deterministic seed).
import { describe, expect, it } from 'vitest';
import {
  createRng,
  DEFAULT_FLEET,
  looksOf,
  readingsOf,
  NO_REGRESSION,
  simulateDeploy,
} from '../../../bench/judge/simulate.js';
import { parseClusterConfig } from '../../../src/config/load.js';
import { lookCounts, planRollout } from '../../../src/core/plan.js';

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
};

describe('fleet simulator', () => {
  const trace = simulateDeploy(DEFAULT_FLEET, NO_REGRESSION, createRng(42));
  const perHost = (arr: Float64Array, h: number) =>
    Array.from(arr.subarray(h * trace.intervals, (h + 1) * trace.intervals));

  it('is deterministic for a seed', () => {
    const again = simulateDeploy(DEFAULT_FLEET, NO_REGRESSION, createRng(42));
    expect(again.errors).toEqual(trace.errors);
    expect(again.canary).toEqual(trace.canary);
  });

  it('has host request rates that differ by well over 30%', () => {
    const rates = Array.from({ length: trace.hosts }, (_, h) => mean(perHost(trace.requests, h)));
    expect(Math.sqrt(variance(rates)) / mean(rates)).toBeGreaterThan(0.2);
    expect(Math.max(...rates) / Math.min(...rates)).toBeGreaterThan(1.3);
  });

  it('has error counts at least 3 times as variable as Poisson within a host', () => {
    // Compare each host's interval counts with their mean, over the baseline
    // (no regression, little drift): variance / mean is 1 for Poisson.
    const ratios = Array.from({ length: trace.hosts }, (_, h) => {
      const e = perHost(trace.errors, h).slice(0, trace.canaryAt);
      return variance(e) / mean(e);
    });
    expect(mean(ratios)).toBeGreaterThan(3);
  });

  it('plans a look at every soak reading, and a watch look every 30 s for 5 minutes', () => {
    const looks = looksOf(DEFAULT_FLEET, trace);
    expect(looks.map((l) => `${l.phase}@${l.atSec}`)).toEqual([
      ...Array.from({ length: 6 }, (_, k) => `canary@${10 + 10 * k}`),
      ...Array.from({ length: 10 }, (_, k) => `watch@${90 + 30 * k}`),
    ]);
    expect(looks[0]!.treated).toEqual(trace.canary);
    expect(looks.filter((l) => l.phase === 'canary').map((l) => l.reading)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    const watch = looks.filter((l) => l.phase === 'watch');
    expect(watch[0]!.control).toEqual(trace.holdback);
    // The recent window (60 s, 2 watch readings) starts once the watch is longer than it.
    expect(watch.map((l) => l.recentFrom === undefined)).toEqual(
      Array.from({ length: 10 }, (_, k) => k < 2),
    );
    expect(watch[9]!.recentFrom).toBe(watch[9]!.afterTo - 6);
    // The workflow reads every 30 s outside the soak, every 10 s in it.
    const read = readingsOf(DEFAULT_FLEET, trace);
    expect(read.filter(Boolean)).toHaveLength(7 + 6 + 10);
    expect(read.slice(trace.canaryAt, trace.fullAt + 1).every(Boolean)).toBe(true);
  });

  it("reads and looks on the workflow's own cadence, from the same code", () => {
    // One default configuration, as phased loads it, for the same 100 hosts.
    const config = parseClusterConfig({
      cluster: 'bench',
      hosts: Array.from({ length: DEFAULT_FLEET.hosts }, (_, i) => ({
        name: `h${i}`,
        root: `/srv/h${i}`,
      })),
    });
    const d = config.durations;
    expect(DEFAULT_FLEET.intervalSec * 1000).toBe(d.soakLookEvery);
    expect(DEFAULT_FLEET.lookEverySec * 1000).toBe(d.lookEvery);
    expect(DEFAULT_FLEET.baselineSec * 1000).toBe(d.baseline);
    expect(DEFAULT_FLEET.soakSec * 1000).toBe(d.soak);
    expect(DEFAULT_FLEET.watchSec * 1000).toBe(d.watch);
    const plan = planRollout({
      hosts: config.hosts.map((h) => ({ ...h, address: '', tags: {} })),
      canarySize: config.canary.size,
      spreadBy: [],
      waves: config.waves,
      holdbackSize: config.holdback,
      seed: 'bench',
    });
    const { watchLooks, soakLooks } = lookCounts(plan, d);
    const looks = looksOf(DEFAULT_FLEET, trace);
    expect(looks.filter((l) => l.phase === 'watch')).toHaveLength(watchLooks);
    expect(looks.filter((l) => l.phase === 'canary')).toHaveLength(soakLooks);
    expect(trace.canary).toHaveLength(plan.canaries.length);
    expect(trace.holdback).toHaveLength(plan.holdback.length);
  });
});
