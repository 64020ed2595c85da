// A fleet larger than judge.maxHostsRead is read, and judged, through a
// spread sample of its canaries, later waves and held-back hosts, and the
// sample still catches a regression: on the time-skipping test server with
// the real judge.
import { outcomeOf } from '../../src/app/client.js';
import { describe, expect, it } from 'vitest';
import { FakeFleet, servingConfig } from '../helpers/fake-fleet.js';
import { uniqueId } from '../helpers/temporal.js';
import { freshServerPerTest, withWorker, start } from '../helpers/deploy-harness.js';

freshServerPerTest();

const FLEET = Array.from({ length: 60 }, (_, i) => `web-${i + 1}`);

async function deployWith(errorRate: number) {
  const fleet = new FakeFleet(FLEET);
  fleet.serving = (_, release) => ({ rps: 100, errorRate: release === 'v2' ? errorRate : 0.01 });
  // 6 canaries, 6 held back, 48 in the wave; 20 read: 6, 8 and 6.
  const config = servingConfig(uniqueId('c'), FLEET, {
    canary: { size: 6 },
    judge: { maxHostsRead: 20 },
  });
  const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
  return { fleet, outcome };
}

describe('a fleet larger than judge.maxHostsRead', () => {
  it('reads 20 of its 60 hosts at every reading, judges every canary against the sampled rest, and goes live everywhere', async () => {
    const { fleet, outcome } = await deployWith(0.01);
    expect(outcome.outcome).toBe('done');
    expect(fleet.sampled.size).toBe(20);
    expect(Object.values(fleet.currents())).toEqual(FLEET.map(() => 'v2'));
    const canaryLooks = fleet.judged.filter((l) => l.phase === 'canary');
    const watchLooks = fleet.judged.filter((l) => l.phase === 'watch');
    expect(canaryLooks.length).toBeGreaterThan(0);
    expect(watchLooks.length).toBeGreaterThan(0);
    for (const l of canaryLooks) expect([l.canary.length, l.control.length]).toEqual([6, 14]);
    // The watch: every sampled switched host against every held-back one.
    for (const l of watchLooks) expect([l.canary.length, l.control.length]).toEqual([14, 6]);
    for (const l of fleet.judged)
      for (const h of [...l.canary, ...l.control]) expect(fleet.sampled.has(h)).toBe(true);
  });

  it('catches x5 errors on the canaries it reads and rolls every canary back', async () => {
    const { fleet, outcome } = await deployWith(0.05);
    expect(outcome.outcome).toBe('rolled_back');
    expect(outcome.summary).toContain('canary regression');
    expect(fleet.sampled.size).toBe(20);
    expect(Object.values(fleet.currents())).toEqual(FLEET.map(() => 'v1'));
  });
});
