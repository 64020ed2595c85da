// Reference values: an independent NumPy/SciPy 1.17.1 implementation of the
// same quasi-Poisson difference-in-differences test (log rates with +0.5,
// Pearson dispersion of hosts' log changes around their group's change,
// pooled over both groups and floored at 1; t with n - 2 df;
// p = scipy.stats.t.sf).
import { describe, expect, it } from 'vitest';
import {
  moderatedDispersion,
  pooledDispersion,
  rateRatioDid,
  type RateCell,
} from '../../../src/stats/rate-ratio.js';

const cell = (eb: number, nb: number, ea: number, na: number): RateCell => ({
  eventsBefore: eb,
  exposureBefore: nb,
  eventsAfter: ea,
  exposureAfter: na,
});

/** Overdispersed hosts: their log changes scatter about 4.7 times the Poisson variance. */
const t2 = [cell(50, 5000, 140, 5100), cell(40, 4800, 120, 4700)];
const c2 = [
  cell(45, 5000, 70, 5050),
  cell(60, 6000, 40, 5900),
  cell(38, 4000, 60, 4100),
  cell(52, 5500, 30, 5600),
  cell(41, 4500, 65, 4400),
];

describe('rateRatioDid', () => {
  const treated = [cell(50, 5000, 95, 5100), cell(40, 4800, 88, 4700)];
  const control = [
    cell(45, 5000, 47, 5050),
    cell(60, 6000, 55, 5900),
    cell(38, 4000, 44, 4100),
    cell(52, 5500, 49, 5600),
    cell(41, 4500, 50, 4400),
  ];

  it('matches the reference with Poisson-like controls (dispersion floored at 1)', () => {
    const r = rateRatioDid(treated, control, { nullLogRatio: Math.log(1.2) });
    expect(r.logRatio).toBeCloseTo(0.6715140801488295, 12);
    expect(r.dispersion).toBe(1);
    expect(r.standardError).toBeCloseTo(0.15748322006768212, 12);
    expect(r.degreesOfFreedom).toBe(5);
    expect(r.pValue / 0.013330886486189403).toBeCloseTo(1, 8);
    expect(rateRatioDid(treated, control).pValue / 0.003992027482487289).toBeCloseTo(1, 8);
  });

  it('tests the other direction for metrics where lower is worse', () => {
    const r = rateRatioDid(treated, control, { nullLogRatio: Math.log(0.8), alternative: 'less' });
    expect(r.pValue / 0.9988229174544487).toBeCloseTo(1, 8);
  });

  it('widens the error by the dispersion of overdispersed hosts', () => {
    expect(pooledDispersion(t2, c2)).toBeCloseTo(4.687011496912762, 10);
    const r = rateRatioDid(t2, c2, { nullLogRatio: Math.log(1.2) });
    expect(r.logRatio).toBeCloseTo(0.9435843804002078, 12);
    expect(r.standardError).toBeCloseTo(0.32749703296888893, 12);
    expect(r.pValue / 0.03383709162595866).toBeCloseTo(1, 8);
  });
});

describe('rateRatioDid with a moderated dispersion', () => {
  // One canary, four controls: the estimate alone has 3 degrees of freedom.
  const canary = [cell(11, 1140, 540, 2700)];
  const controls = [
    cell(20, 2000, 29, 2900),
    cell(19, 1900, 28, 2800),
    cell(21, 2100, 30, 3000),
    cell(18, 1800, 27, 2700),
  ];

  it('adds the prior to the Pearson sum and to the degrees of freedom', () => {
    // The overdispersed hosts above: Pearson sum 4.687... x 5 df.
    const sum = 4.687011496912762 * 5;
    expect(moderatedDispersion([t2, c2], 0).dispersion).toBeCloseTo(sum / 5, 10);
    expect(moderatedDispersion([t2, c2], 5)).toEqual({
      dispersion: expect.closeTo((5 + sum) / 10, 10) as number,
      degreesOfFreedom: 10,
    });
    // Poisson-like hosts stay at the floor of 1.
    expect(moderatedDispersion([canary, controls], 5).dispersion).toBe(1);
  });

  it('tells x20 from noise with one canary and four controls, where 3 df could not', () => {
    const heavy = rateRatioDid(canary, controls, { nullLogRatio: Math.log(1.2) });
    const moderated = rateRatioDid(canary, controls, { nullLogRatio: Math.log(1.2), priorDf: 5 });
    expect(heavy.degreesOfFreedom).toBe(3);
    expect(moderated.degreesOfFreedom).toBe(8);
    expect(moderated.logRatio).toBe(heavy.logRatio);
    expect(heavy.pValue).toBeGreaterThan(1e-4);
    expect(moderated.pValue).toBeLessThan(1e-4);
  });
});
