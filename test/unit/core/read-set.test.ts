import { describe, expect, it } from 'vitest';
import type { Host } from '../../../src/core/vocabulary.js';
import { evenlySpaced, planRollout, readSet } from '../../../src/core/plan.js';

const fleet = (n: number, zones = 4): Host[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `web-${i + 1}`,
    address: '127.0.0.1',
    root: `/srv/web-${i + 1}`,
    tags: { zone: `z${i % zones}`, rack: `r${Math.floor(i / zones) % 40}` },
  }));

const plan = (n: number, over: Partial<Parameters<typeof planRollout>[0]> = {}) =>
  planRollout({
    hosts: fleet(n),
    canarySize: '10%',
    spreadBy: ['zone', 'rack'],
    waves: ['100%'],
    holdbackSize: undefined,
    seed: 'deploy-web-v2',
    ...over,
  });

const names = (hs: readonly Host[]) => new Set(hs.map((h) => h.name));
const zonesOf = (hs: readonly Host[]) => new Set(hs.map((h) => h.tags?.zone));

describe('readSet: the hosts a large deploy reads metrics from', () => {
  it('is every host (null) while the fleet is within the bound', () => {
    expect(readSet(plan(1000), 1000)).toBeNull();
    expect(readSet(plan(8), 1000)).toBeNull();
  });

  it('shares the bound equally between canaries, later waves and held-back hosts, each spread over the zones', () => {
    const p = plan(10_000); // 1,000 canaries, 1,000 held back, 8,000 in the wave
    const read = readSet(p, 1000)!;
    expect(read).toHaveLength(1000);
    expect(new Set(read.map((h) => h.name)).size).toBe(1000);
    const [c, w, b] = [names(p.canaries), names(p.waves[0]!), names(p.holdback)];
    const canaries = read.filter((h) => c.has(h.name));
    const wave = read.filter((h) => w.has(h.name));
    const held = read.filter((h) => b.has(h.name));
    expect([canaries.length, wave.length, held.length]).toEqual([334, 333, 333]);
    for (const g of [canaries, wave, held]) expect(zonesOf(g).size).toBe(4);
  });

  it('reads every held-back host of a small holdback and gives its share to the others', () => {
    const p = plan(10_000, { holdbackSize: 3 });
    const read = readSet(p, 1000)!;
    expect(read).toHaveLength(1000);
    const [c, b] = [names(p.canaries), names(p.holdback)];
    expect(read.filter((h) => b.has(h.name))).toHaveLength(3);
    expect(read.filter((h) => c.has(h.name))).toHaveLength(499);
  });

  it('reads hosts of every wave, not the first wave only', () => {
    const p = plan(10_000, { waves: ['25%', '50%', '100%'] });
    expect(p.waves).toHaveLength(3);
    const read = names(readSet(p, 900)!);
    for (const w of p.waves) {
      const inWave = w.filter((h) => read.has(h.name)).length;
      // The wave share (300) is spread over the waves in proportion to their sizes.
      expect(inWave).toBeGreaterThanOrEqual(Math.floor((300 * w.length) / 8000) - 1);
      expect(inWave).toBeGreaterThan(0);
    }
  });

  it('is the same for the same plan (replays and retries read the same hosts)', () => {
    expect(readSet(plan(5000), 600)).toEqual(readSet(plan(5000), 600));
  });
});

describe('evenlySpaced', () => {
  it('takes n items evenly spaced, or all of them', () => {
    expect(evenlySpaced([1, 2, 3, 4, 5, 6], 3)).toEqual([1, 3, 5]);
    expect(evenlySpaced([1, 2], 5)).toEqual([1, 2]);
    expect(evenlySpaced([1, 2, 3], 0)).toEqual([]);
  });
});
