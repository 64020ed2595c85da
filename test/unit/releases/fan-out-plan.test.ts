// Which hosts seed a fan-out staging, and which seed each other host copies from.
import { describe, expect, it } from 'vitest';
import type { Host } from '../../../src/core/vocabulary.js';
import { fanOutShape, planFanOut } from '../../../src/releases/fan-out-plan.js';

const fleet = (n: number, zones = 4, racks = 2): Host[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `web-${i + 1}`,
    address: `10.0.0.${i + 1}`,
    root: '/srv/app',
    tags: { zone: `z${i % zones}`, rack: `z${i % zones}-r${Math.floor(i / zones) % racks}` },
  }));

describe('fan-out shape', () => {
  it('unset, or auto below 16 hosts: the worker copies to every host', () => {
    expect(fanOutShape(100, undefined)).toBeNull();
    expect(fanOutShape(15, 'auto')).toBeNull();
    expect(fanOutShape(2, { seeds: 1, perSeed: 4 })).toBeNull();
  });

  it('auto: about as many seeds as each seed has hosts', () => {
    expect(fanOutShape(16, 'auto')).toEqual({ seeds: 4, perSeed: 3 });
    expect(fanOutShape(64, 'auto')).toEqual({ seeds: 8, perSeed: 7 });
    expect(fanOutShape(200, 'auto')).toEqual({ seeds: 15, perSeed: 13 });
  });

  it('takes more seeds than asked when the rest do not fit their shares, never every host', () => {
    expect(fanOutShape(64, { seeds: 8, perSeed: 16 })).toEqual({ seeds: 8, perSeed: 16 });
    expect(fanOutShape(200, { seeds: 8, perSeed: 16 })).toEqual({ seeds: 12, perSeed: 16 });
    expect(fanOutShape(4, { seeds: 8, perSeed: 16 })).toEqual({ seeds: 3, perSeed: 16 });
  });
});

describe('fan-out plan', () => {
  it('spreads seeds across zones and gives each host a seed in its own zone, within perSeed', () => {
    const hosts = fleet(64);
    const plan = planFanOut(hosts, { seeds: 8, perSeed: 7 }, ['zone', 'rack'], 'deploy-1')!;
    expect(plan.seeds).toHaveLength(8);
    expect(new Set(plan.seeds.map((s) => s.tags!.zone)).size).toBe(4);
    expect(plan.seedOf.size).toBe(56);
    const byName = new Map(hosts.map((h) => [h.name, h]));
    const load = new Map<string, number>();
    for (const [target, seed] of plan.seedOf) {
      expect(byName.get(target)!.tags!.zone).toBe(byName.get(seed)!.tags!.zone);
      load.set(seed, (load.get(seed) ?? 0) + 1);
    }
    expect(Math.max(...load.values())).toBeLessThanOrEqual(7);
    // Seeds are never targets, and every other host has one.
    for (const s of plan.seeds) expect(plan.seedOf.has(s.name)).toBe(false);
  });

  it('prefers a seed in the same rack when one has room', () => {
    const hosts = fleet(32, 2, 2);
    const plan = planFanOut(hosts, { seeds: 4, perSeed: 7 }, ['zone', 'rack'], 'd')!;
    const byName = new Map(hosts.map((h) => [h.name, h]));
    const sameRack = [...plan.seedOf].filter(
      ([t, s]) => byName.get(t)!.tags!.rack === byName.get(s)!.tags!.rack,
    ).length;
    expect(sameRack).toBe(28);
  });

  it('a full zone spills to the least loaded seed; the same input gives the same plan', () => {
    const hosts = fleet(20, 1);
    const a = planFanOut(hosts, { seeds: 2, perSeed: 9 }, ['zone'], 'x')!;
    expect([...a.seedOf.values()].filter((s) => s === a.seeds[0]!.name)).toHaveLength(9);
    const b = planFanOut(hosts, { seeds: 2, perSeed: 9 }, ['zone'], 'x')!;
    expect([...b.seedOf]).toEqual([...a.seedOf]);
  });
});
