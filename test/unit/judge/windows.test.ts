import { describe, expect, it } from 'vitest';
import {
  counterHalves,
  counterIncrement,
  counterWindow,
  gaugeWindow,
} from '../../../src/judge/windows.js';
import type { Snapshot } from '../../../src/judge/types.js';

describe('counterIncrement', () => {
  it('is the difference while the counter grows', () => {
    expect(counterIncrement(100, 130)).toBe(30);
  });
  it('treats a drop as a restart from zero (Prometheus counter reset)', () => {
    expect(counterIncrement(100, 7)).toBe(7);
  });
  it('treats a changed epoch as a restart even if the value grew (log rotated)', () => {
    expect(counterIncrement(100, 150, 11, 12)).toBe(150);
    expect(counterIncrement(100, 150, 11, 11)).toBe(50);
  });
});

describe('counterWindow', () => {
  // columns: 0 = errors, 1 = requests
  const snaps: Snapshot[] = [
    { t: 0, v: [10, 1000] },
    { t: 10_000, v: [12, 1500] },
    { t: 20_000, v: [null, null] }, // probe failed
    { t: 30_000, v: [3, 500], k: [2, null] }, // process restarted: both counters dropped
    { t: 40_000, v: [5, 900], k: [2, null] },
  ];

  it('sums increments over usable readings, across failed ones and resets', () => {
    expect(counterWindow(snaps, 0, 1)).toEqual({
      count: 2 + 3 + 2,
      exposure: 500 + 500 + 400,
      intervals: 3,
    });
  });

  it('uses elapsed seconds as exposure when none is given', () => {
    expect(counterWindow(snaps, 0, undefined)).toEqual({ count: 7, exposure: 40, intervals: 3 });
  });

  it('is null with fewer than two usable readings', () => {
    expect(
      counterWindow(
        [
          { t: 0, v: [1, 2] },
          { t: 1, v: [null, 3] },
        ],
        0,
        1,
      ),
    ).toBeNull();
  });
});

describe('gaugeWindow', () => {
  it('is the mean of the readings that exist', () => {
    const snaps: Snapshot[] = [
      { t: 0, v: [100] },
      { t: 1, v: [null] },
      { t: 2, v: [120] },
    ];
    expect(gaugeWindow(snaps, 0, undefined)).toBe(110);
  });

  it('is a ratio of increments with `per` (CPU busy per total jiffies)', () => {
    const snaps: Snapshot[] = [
      { t: 0, v: [1000, 4000] },
      { t: 1, v: [1300, 5000] },
      { t: 2, v: [1500, 6000] },
    ];
    expect(gaugeWindow(snaps, 0, 1)).toBeCloseTo(0.25, 12);
  });
});

describe('counterHalves', () => {
  // Readings every 10 s of one request counter, with a failed reading, a
  // restart and an epoch change: the three windows must be the sums
  // counterWindow gives over 0..end, 0..mid and mid..end, to the last bit.
  const readings: Snapshot[] = [
    { t: 0, v: [100] },
    { t: 10_000, v: [160] },
    { t: 20_000, v: [null] },
    { t: 30_000, v: [290] },
    { t: 40_000, v: [12] }, // restarted
    { t: 50_000, v: [95], k: [7] },
    { t: 60_000, v: [140], k: [8] }, // log rotated: 140 counts from zero
    { t: 70_000, v: [Number.NaN] },
    { t: 80_000, v: [230], k: [8] },
  ];
  for (let mid = 0; mid < readings.length; mid++)
    it(`equals three counterWindow walks with the halves split at reading ${mid}`, () => {
      const { whole, first, second } = counterHalves(readings, 0, mid);
      expect(whole).toEqual(counterWindow(readings, 0, undefined));
      expect(first).toEqual(counterWindow(readings, 0, undefined, 0, mid));
      expect(second).toEqual(counterWindow(readings, 0, undefined, mid));
    });
});
