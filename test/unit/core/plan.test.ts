import { describe, expect, it } from 'vitest';
import type { Host } from '../../../src/core/vocabulary.js';
import {
  batches,
  lookCounts,
  planRollout,
  resolveSize,
  spreadOrder,
} from '../../../src/core/plan.js';

const fleet = (n: number, zones = 2, racks = 2): Host[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `web-${i + 1}`,
    address: '127.0.0.1',
    root: `/srv/web-${i + 1}`,
    tags: { zone: `z${i % zones}`, rack: `r${Math.floor(i / zones) % racks}` },
  }));

describe('resolveSize', () => {
  it('takes counts and percentages, rounding percentages up, at least one host', () => {
    expect(resolveSize(3, 100)).toBe(3);
    expect(resolveSize('5%', 100)).toBe(5);
    expect(resolveSize('5%', 8)).toBe(1);
    expect(resolveSize('12.5%', 10)).toBe(2);
    expect(resolveSize(50, 8)).toBe(8);
  });
});

describe('spreadOrder and planRollout', () => {
  it('is deterministic for a deploy and differs between deploys', () => {
    const a = planRollout({
      hosts: fleet(40),
      canarySize: 4,
      spreadBy: ['zone', 'rack'],
      waves: ['100%'],
      holdbackSize: undefined,
      seed: 'deploy-1',
    });
    const again = planRollout({
      hosts: fleet(40),
      canarySize: 4,
      spreadBy: ['zone', 'rack'],
      waves: ['100%'],
      holdbackSize: undefined,
      seed: 'deploy-1',
    });
    const other = planRollout({
      hosts: fleet(40),
      canarySize: 4,
      spreadBy: ['zone', 'rack'],
      waves: ['100%'],
      holdbackSize: undefined,
      seed: 'deploy-2',
    });
    expect(again).toEqual(a);
    expect(other.canaries.map((h) => h.name)).not.toEqual(a.canaries.map((h) => h.name));
  });

  it('spreads canaries over zones first, then racks', () => {
    const order = spreadOrder(fleet(40), ['zone', 'rack'], 'seed');
    const firstFour = order.slice(0, 4).map((h) => `${h.tags!.zone}/${h.tags!.rack}`);
    expect(new Set(firstFour).size).toBe(4); // both zones, both racks in each
    expect(new Set(order.slice(0, 2).map((h) => h.tags!.zone)).size).toBe(2);
  });

  it('switches the rest in cumulative waves and holds back controls for the watch', () => {
    const hosts = fleet(20);
    const plan = planRollout({
      hosts,
      canarySize: '10%',
      spreadBy: ['zone'],
      waves: ['50%', '100%'],
      holdbackSize: undefined,
      seed: 's',
    });
    expect(plan.canaries).toHaveLength(2);
    expect(plan.waves.map((w) => w.length)).toEqual([8, 8]);
    expect(plan.holdback).toHaveLength(2);
    const all = [...plan.canaries, ...plan.waves.flat(), ...plan.holdback].map((h) => h.name);
    expect(new Set(all).size).toBe(20);
    expect(lookCounts(plan, { watch: 300_000, soak: 60_000, lookEvery: 30_000 })).toEqual({
      canaryLooks: 2,
      soakLooks: 2,
      watchLooks: 10,
    });
  });

  it('always leaves a control host while the canary is judged', () => {
    const plan = planRollout({
      hosts: fleet(2),
      canarySize: 5,
      spreadBy: [],
      waves: ['100%'],
      holdbackSize: undefined,
      seed: 's',
    });
    expect(plan.canaries).toHaveLength(1);
    expect(plan.waves.flat()).toHaveLength(1);
    expect(plan.holdback).toHaveLength(0);
    expect(lookCounts(plan, { watch: 300_000, soak: 60_000, lookEvery: 30_000 }).watchLooks).toBe(
      0,
    );
  });
});

describe('batches', () => {
  it('splits into batches of at most the size', () => {
    expect(batches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});
