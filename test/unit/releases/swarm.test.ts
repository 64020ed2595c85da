// Which serving host a target copies from in fan-out staging, and how many may serve.
import { describe, expect, it } from 'vitest';
import type { Host } from '../../../src/core/vocabulary.js';
import {
  bestSwarmShape,
  followDepth,
  MAX_FOLLOW_DEPTH,
  maxServers,
  pickServer,
  roundsFor,
  swarmShape,
  type PickRules,
  type SwarmServer,
} from '../../../src/releases/swarm.js';

const host = (name: string, rack: string, zone: string): Host => ({
  name,
  address: '10.0.0.1',
  root: '/srv/app',
  tags: { zone, rack },
});
const SPREAD = ['zone', 'rack'];
const DEPTH = 4;
const rules = (perServer: number, over: Partial<PickRules> = {}): PickRules => ({
  perServer,
  spreadBy: SPREAD,
  follow: true,
  maxDepth: DEPTH,
  ...over,
});
const target = host('web-9', 'z1-r1', 'z1');
const server = (name: string, over: Partial<SwarmServer> & { rack?: string; zone?: string }) => ({
  host: host(name, over.rack ?? 'z2-r1', over.zone ?? 'z2'),
  busy: 0,
  dead: false,
  filling: false,
  depth: 1,
  ...over,
});

describe('picking a server', () => {
  it('a complete server before one still filling, even a farther one', () => {
    const near = server('near', { rack: 'z1-r1', zone: 'z1', filling: true });
    const far = server('far', {});
    expect(pickServer(target, [near, far], rules(1))?.host.name).toBe('far');
  });

  it('among servers alike: same rack, then same zone, then anywhere', () => {
    const other = server('other', {});
    const zone = server('zone', { zone: 'z1', rack: 'z1-r2' });
    const rack = server('rack', { zone: 'z1', rack: 'z1-r1' });
    expect(pickServer(target, [other, zone, rack], rules(1))?.host.name).toBe('rack');
    expect(pickServer(target, [other, zone], rules(1))?.host.name).toBe('zone');
  });

  it('among filling servers equally near: the fewest hops from the worker, then the least busy', () => {
    const deep = server('a-deep', { filling: true, depth: 5 });
    const shallow = server('b-shallow', { filling: true, depth: 1, busy: 1 });
    const idle = server('c-shallow', { filling: true, depth: 1 });
    expect(pickServer(target, [deep, shallow, idle], rules(2))?.host.name).toBe('c-shallow');
    expect(pickServer(target, [deep, shallow], rules(2))?.host.name).toBe('b-shallow');
  });

  it('a chain of following copies stops at its plan’s depth; a complete server is never too deep', () => {
    const end = server('end', { filling: true, depth: DEPTH });
    const last = server('last', { filling: true, depth: DEPTH - 1 });
    expect(pickServer(target, [end], rules(1))).toBeUndefined();
    expect(pickServer(target, [end, last], rules(1))?.host.name).toBe('last');
    expect(pickServer(target, [{ ...end, filling: false }], rules(1))?.host.name).toBe('end');
  });

  it('a delta never follows: only a complete server will do', () => {
    const filling = server('filling', { filling: true, depth: 0 });
    expect(pickServer(target, [filling], rules(1, { follow: false }))).toBeUndefined();
    const complete = server('complete', {});
    expect(pickServer(target, [filling, complete], rules(1, { follow: false }))?.host.name).toBe(
      'complete',
    );
  });

  it('never a dead server or one at its limit; none left: undefined', () => {
    const dead = server('dead', { dead: true });
    const full = server('full', { busy: 2 });
    expect(pickServer(target, [dead, full], rules(2))).toBeUndefined();
    expect(pickServer(target, [dead, full], rules(3))?.host.name).toBe('full');
  });
});

describe('how long a chain of following copies may be', () => {
  it('counts the rounds: the seeds and their chains, then a chain from every host holding it', () => {
    // 2 seeds, 4 links: 10 hosts, then each starts a chain of 5 more: 60, then 360.
    expect(roundsFor(10, 2, 1, 4)).toBe(1);
    expect(roundsFor(60, 2, 1, 4)).toBe(2);
    expect(roundsFor(64, 2, 1, 4)).toBe(3);
    expect(roundsFor(64, 2, 1, 5)).toBe(2);
    // Two copies at once from each server: a seed's tree of 1 + 2 + 4 hosts.
    expect(roundsFor(14, 2, 2, 2)).toBe(1);
    expect(roundsFor(15, 2, 2, 2)).toBe(2);
    // No seeds is counted as one (the worker copies to at least one host), never an endless count.
    expect(roundsFor(4, 0, 1, 1)).toBe(roundsFor(4, 1, 1, 1));
  });

  it('the depth whose rounds take least: a round saved is worth several links of lag', () => {
    // The fan-out benchmark's fleets: 8 hosts in one round; 32 in two with 3 links
    // (measured: 21-23 s, against 33 s with 8 links); 64 in two with 5 (4 needs three).
    expect(followDepth(8, 2, 1)).toBe(3);
    expect(followDepth(32, 2, 1)).toBe(3);
    expect(followDepth(64, 2, 1)).toBe(5);
    // 16 hosts: one round of chains of 7 beats two rounds of shorter ones.
    expect(followDepth(16, 2, 1)).toBe(7);
    // Nothing to follow for: the shortest.
    expect(followDepth(3, 2, 1)).toBe(1);
    for (const n of [8, 16, 64, 200, 1000, 10_000])
      for (const seeds of [1, 2, 8])
        for (const per of [1, 2, 4]) {
          const d = followDepth(n, seeds, per);
          expect(d).toBeGreaterThanOrEqual(1);
          expect(d).toBeLessThanOrEqual(MAX_FOLLOW_DEPTH);
        }
  });
});

describe('how many copies a serving host makes at once', () => {
  it('one while chains reach the fleet in one round; two once they would need another', () => {
    // 16 hosts: chains of 7 from 2 seeds reach them all (a round of one copy and 7 lags).
    expect(bestSwarmShape(16, 2)).toMatchObject({ perServer: 1, depth: 7, rounds: 1 });
    // 64 hosts: one copy each needs two rounds (the benchmark: 79-86 s on 20 Mbit/s links);
    // two each reach 2 x (1 + 2 + ... + 32) hosts in one round of two copies (66.6 s).
    expect(bestSwarmShape(64, 2)).toMatchObject({ perServer: 2, depth: 5, rounds: 1 });
    expect(swarmShape(64, 2, 1)).toMatchObject({ depth: 5, rounds: 2 });
    expect(bestSwarmShape(64, 2).cost).toBeLessThan(swarmShape(64, 2, 1).cost);
    // Tiny batches: one copy each.
    expect(bestSwarmShape(3, 2).perServer).toBe(1);
  });
});

describe('how many hosts serve at once', () => {
  it('half the worker’s connections, so the rest stay free for copies; with one, none', () => {
    expect(maxServers(256)).toBe(128);
    expect(maxServers(4)).toBe(2);
    expect(maxServers(3)).toBe(1);
    expect(maxServers(1)).toBe(0);
  });
});
