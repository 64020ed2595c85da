// Which hosts seed a fan-out staging, and how many copies a serving host makes at once.
import { describe, expect, it } from 'vitest';
import type { Host } from '../../../src/core/vocabulary.js';
import { fanOutShape, planFanOut } from '../../../src/releases/fan-out-plan.js';
import { followDepth } from '../../../src/releases/swarm.js';

const fleet = (n: number, zones = 4): Host[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `web-${i + 1}`,
    address: `10.0.0.${i + 1}`,
    root: '/srv/app',
    tags: { zone: `z${i % zones}`, rack: `z${i % zones}-r${Math.floor(i / zones) % 2}` },
  }));

describe('fan-out shape', () => {
  it('unset, or auto below 16 hosts: the worker copies to every host', () => {
    expect(fanOutShape(100, undefined)).toBeNull();
    expect(fanOutShape(15, 'auto')).toBeNull();
    expect(fanOutShape(2, { seeds: 1, perSeed: 4 })).toBeNull();
  });

  it('auto: two seeds, one more per 32 hosts, each host serving the copies at once the swarm model picks', () => {
    // 16 hosts: one round of chains 7 long; from 19 (chains of 8 reach 18), every host serving two.
    expect(fanOutShape(16, 'auto')).toEqual({ seeds: 2, perSeed: 1 });
    expect(fanOutShape(64, 'auto')).toEqual({ seeds: 2, perSeed: 2 });
    expect(fanOutShape(200, 'auto')).toEqual({ seeds: 7, perSeed: 2 });
  });

  it('as configured, never every host a seed', () => {
    expect(fanOutShape(64, { seeds: 8, perSeed: 2 })).toEqual({ seeds: 8, perSeed: 2 });
    expect(fanOutShape(4, { seeds: 8, perSeed: 2 })).toEqual({ seeds: 3, perSeed: 2 });
  });
});

describe('fan-out plan', () => {
  it('spreads the seeds across zones, and the same input gives the same seeds', () => {
    const hosts = fleet(64);
    const plan = planFanOut(hosts, { seeds: 4, perSeed: 1 }, ['zone', 'rack'], 'deploy-1')!;
    expect(plan.seeds).toHaveLength(4);
    expect(new Set(plan.seeds.map((s) => s.tags!.zone)).size).toBe(4);
    expect(plan.perSeed).toBe(1);
    expect(plan.followDepth).toBe(followDepth(64, 4, 1));
    const again = planFanOut(hosts, { seeds: 4, perSeed: 1 }, ['zone', 'rack'], 'deploy-1')!;
    expect(again.seeds.map((s) => s.name)).toEqual(plan.seeds.map((s) => s.name));
  });

  it('another deploy picks other seeds (no host seeds every deploy)', () => {
    const hosts = fleet(64);
    const seedsOf = (key: string) =>
      planFanOut(hosts, 'auto', ['zone', 'rack'], key)!.seeds.map((s) => s.name);
    const picked = new Set(['a', 'b', 'c', 'd', 'e', 'f'].flatMap(seedsOf));
    expect(picked.size).toBeGreaterThan(4);
  });
});
