// Timers hold while readings are slow: the soak and the watch keep their
// cadence on the time-skipping test server (a reading takes real seconds).
import { outcomeOf } from '../../src/app/client.js';
import { describe, expect, it } from 'vitest';
import { FakeFleet, testConfig } from '../helpers/fake-fleet.js';
import { uniqueId } from '../helpers/temporal.js';
import { freshServerPerTest, HOSTS, withWorker, start } from '../helpers/deploy-harness.js';

freshServerPerTest();

describe('timers hold: readings run on the cadence, not after it', () => {
  it('a 60 s soak and a 60 s watch with readings that take 3 s each last 60 s plus one reading, not plus every reading', async () => {
    const fleet = new FakeFleet(HOSTS);
    fleet.readingDelayMs = 3000;
    const config = testConfig(uniqueId('c'), HOSTS, {
      durations: {
        baseline: '30s',
        soak: '60s',
        watch: '60s',
        lookEvery: '30s',
        soakLookEvery: '30s',
      },
    });
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('done');
    const t = outcome.timings;
    // Canary: the switch, the reading at the switch, two more 30 s apart; the
    // judge starts after the last. Stretched timers would take 3 readings
    // more than 60 s (at least 69 s); on the cadence it is 60 s plus the last
    // (63 s), with the rest of the margin for a loaded machine's task latency.
    const canary = t.judging! - t.canary!;
    expect(canary).toBeGreaterThanOrEqual(63_000);
    expect(canary).toBeLessThan(69_000);
    const watch = t.finishing! - t.watching!;
    expect(watch).toBeGreaterThanOrEqual(63_000);
    expect(watch).toBeLessThan(69_000);
    // Every planned reading was still taken: 2 baseline, 3 canary, 3 watch;
    // the canary's early look judged the first two.
    expect(fleet.judged.map((l) => l.after.length)).toEqual([2, 3, 2, 3]);
  }, 60_000);
});
