// What `phased plan` says a look can see: the base rate at which a look
// catches x2 half the time, checked by hand, against the judge's own rate
// test on simulated Poisson counts, and the warning for a watch whose few
// held-back hosts cannot see what the canary could.
import mt19937 from '@stdlib/random-base-mt19937';
import poissonFactory from '@stdlib/random-base-poisson';
import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../../src/config/load.js';
import { formatPlan, scheduleLooks } from '../../../src/config/look-schedule.js';
import {
  chanceToCatch,
  eventsPerHostSecondFor,
  ratioSeenAt,
  type LookShape,
} from '../../../src/config/power.js';
import { DISPERSION_PRIOR_DF } from '../../../src/judge/classify-metric.js';
import { rateRatioDid, type RateCell } from '../../../src/stats/rate-ratio.js';
import { normalUpperQuantile } from '../../../src/stats/distributions.js';

// The canary look of a 100-host fleet with the defaults.
const canaryLook: LookShape = {
  treated: 10,
  control: 90,
  afterSeconds: 60,
  beforeSeconds: 180,
  threshold: 0.00065,
};

describe('the base rate a look needs to catch a ratio half the time', () => {
  it('is z^2 times the summed inverse expected counts over the squared effect beyond the tolerance', () => {
    const z = normalUpperQuantile(0.00065);
    const inverse = 1 / (10 * 60 * 2) + 1 / (10 * 180) + 1 / (90 * 60) + 1 / (90 * 180);
    expect(eventsPerHostSecondFor(canaryLook, 2, 1.2)).toBeCloseTo(
      (z * z * inverse) / Math.log(2 / 1.2) ** 2,
      12,
    );
    // What the look sees at that rate is the ratio asked about.
    const rate = eventsPerHostSecondFor(canaryLook, 2, 1.2);
    expect(ratioSeenAt(canaryLook, rate, 1.2)).toBeCloseTo(2, 6);
    // A ratio within the tolerance, or a side without hosts, is never seen.
    expect(eventsPerHostSecondFor(canaryLook, 1.1, 1.2)).toBe(Infinity);
    expect(eventsPerHostSecondFor({ ...canaryLook, control: 0 }, 2, 1.2)).toBe(Infinity);
  });

  it.each([
    ['the stated rate', 1],
    ['twice the stated rate', 2],
  ])("holds for the judge's own rate test at %s", (_, times) => {
    const mt = mt19937.factory({ seed: 27 }) as unknown as { normalized: () => number };
    const poisson = poissonFactory.factory({ prng: mt.normalized });
    const rate = eventsPerHostSecondFor(canaryLook, 2, 1.2) * times;
    const expected = chanceToCatch(canaryLook, rate, 2, 1.2);
    expect(expected).toBeCloseTo(times === 1 ? 0.5 : 0.91, 2);
    const cells = (hosts: number, ratio: number): RateCell[] =>
      Array.from({ length: hosts }, () => ({
        eventsBefore: poisson(rate * 180),
        exposureBefore: 180,
        eventsAfter: poisson(rate * 60 * ratio),
        exposureAfter: 60,
      }));
    const deploys = 1000;
    let caught = 0;
    for (let d = 0; d < deploys; d++) {
      const r = rateRatioDid(cells(10, 2), cells(90, 1), {
        nullLogRatio: Math.log(1.2),
        alternative: 'greater',
        priorDf: DISPERSION_PRIOR_DF,
      });
      if (r.pValue < canaryLook.threshold) caught++;
    }
    // Within what 1,000 deploys (sd 1.6%) and the normal approximation allow.
    expect(Math.abs(caught / deploys - expected)).toBeLessThan(0.08);
  });
});

/** `n` hosts counting errors per request, as the README's example does. */
const cluster = (n: number, overrides: Record<string, unknown> = {}) =>
  parseClusterConfig({
    cluster: 'web',
    hosts: Array.from({ length: n }, (_, i) => ({ name: `web-${i + 1}`, root: `/srv/${i}` })),
    probes: [{ type: 'command', argv: ['stats'], series: ['requests', 'http_5xx'] }],
    metrics: [
      {
        name: 'http_5xx',
        kind: 'counter',
        series: 'http_5xx',
        exposure: 'requests',
        tolerance: 0.2,
      },
    ],
    ...overrides,
  });

describe('phased plan on what each look can see', () => {
  it('states per look the errors a minute per host that catch x2 half the time', () => {
    const plan = scheduleLooks(cluster(100));
    const [canary, watch] = plan.looks;
    expect(canary!.metrics[0]!.x2PerHostMinute).toBeCloseTo(
      eventsPerHostSecondFor({ ...canaryLook, threshold: canary!.metrics[0]!.threshold }, 2, 1.2) *
        60,
      9,
    );
    expect(formatPlan(cluster(100))).toContain(
      `  http_5xx (counter): quasi-Poisson rate ratio, regression below p=0.00065; a pass needs about 22 events expected at the tolerated rate (more with overdispersion); catches x2 half the time from 3.9 http_5xx a minute per host at the rate before (Poisson)`,
    );
    // The default holdback (the canary's size) keeps the watch about as sharp as the canary.
    expect(watch!.metrics[0]!.x2PerHostMinute! / canary!.metrics[0]!.x2PerHostMinute!).toBeLessThan(
      1.1,
    );
    expect(plan.warnings).toEqual([]);
  });

  it.each([8, 20, 40, 100, 400, 2000])('the defaults on %i hosts: no blind-watch warning', (n) => {
    expect(scheduleLooks(cluster(n)).warnings).toEqual([]);
  });

  it('warns when 3 held back of 100 leave the watch needing about 3 times the canary traffic, with a holdback that fixes it', () => {
    const plan = scheduleLooks(cluster(100, { holdback: 3 }));
    expect(plan.warnings).toEqual([
      "warning: the watch is nearly blind on http_5xx: with 3 held-back host(s) it needs 11 http_5xx a minute per host to catch x2 half the time, 2.8 times the canary look's 3.9 http_5xx, so a regression that starts after the full switch may go unseen: hold back 5 hosts (holdback: 5)",
    ]);
    expect(formatPlan(cluster(100, { holdback: 3 }))[0]).toBe(plan.warnings[0]);
    // The fix it names clears it.
    expect(scheduleLooks(cluster(100, { holdback: 5 })).warnings).toEqual([]);
    expect(scheduleLooks(cluster(100, { holdback: 4 })).warnings).toHaveLength(1);
  });
});
