// Which serving host a target copies from in fan-out staging, and how many may serve.
import { describe, expect, it } from 'vitest';
import type { Host } from '../../../src/core/vocabulary.js';
import {
  MAX_FOLLOW_DEPTH,
  maxServers,
  pickServer,
  type SwarmServer,
} from '../../../src/releases/swarm.js';

const host = (name: string, rack: string, zone: string): Host => ({
  name,
  address: '10.0.0.1',
  root: '/srv/app',
  tags: { zone, rack },
});
const SPREAD = ['zone', 'rack'];
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
    expect(pickServer(target, [near, far], 1, SPREAD)?.host.name).toBe('far');
  });

  it('among servers alike: same rack, then same zone, then anywhere', () => {
    const other = server('other', {});
    const zone = server('zone', { zone: 'z1', rack: 'z1-r2' });
    const rack = server('rack', { zone: 'z1', rack: 'z1-r1' });
    expect(pickServer(target, [other, zone, rack], 1, SPREAD)?.host.name).toBe('rack');
    expect(pickServer(target, [other, zone], 1, SPREAD)?.host.name).toBe('zone');
  });

  it('among filling servers equally near: the fewest hops from the worker, then the least busy', () => {
    const deep = server('a-deep', { filling: true, depth: 5 });
    const shallow = server('b-shallow', { filling: true, depth: 1, busy: 1 });
    const idle = server('c-shallow', { filling: true, depth: 1 });
    expect(pickServer(target, [deep, shallow, idle], 2, SPREAD)?.host.name).toBe('c-shallow');
    expect(pickServer(target, [deep, shallow], 2, SPREAD)?.host.name).toBe('b-shallow');
  });

  it(`a chain of following copies stops at ${MAX_FOLLOW_DEPTH} links; a complete server is never too deep`, () => {
    const end = server('end', { filling: true, depth: MAX_FOLLOW_DEPTH });
    const last = server('last', { filling: true, depth: MAX_FOLLOW_DEPTH - 1 });
    expect(pickServer(target, [end], 1, SPREAD)).toBeUndefined();
    expect(pickServer(target, [end, last], 1, SPREAD)?.host.name).toBe('last');
    expect(pickServer(target, [{ ...end, filling: false }], 1, SPREAD)?.host.name).toBe('end');
  });

  it('a delta never follows: only a complete server will do', () => {
    const filling = server('filling', { filling: true, depth: 0 });
    expect(pickServer(target, [filling], 1, SPREAD, false)).toBeUndefined();
    const complete = server('complete', {});
    expect(pickServer(target, [filling, complete], 1, SPREAD, false)?.host.name).toBe('complete');
  });

  it('never a dead server or one at its limit; none left: undefined', () => {
    const dead = server('dead', { dead: true });
    const full = server('full', { busy: 2 });
    expect(pickServer(target, [dead, full], 2, SPREAD)).toBeUndefined();
    expect(pickServer(target, [dead, full], 3, SPREAD)?.host.name).toBe('full');
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
