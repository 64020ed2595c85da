import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/config/duration.js';

describe('durations in a cluster file', () => {
  it('reads single units, compounds largest first, and plain seconds', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1h15m')).toBe(4_500_000);
    expect(parseDuration('2m0.5s')).toBe(120_500);
    expect(parseDuration('1s500ms')).toBe(1500);
    expect(parseDuration(' 45s ')).toBe(45_000);
    expect(parseDuration(30)).toBe(30_000);
  });

  it('refuses what is not a duration', () => {
    for (const bad of ['', '90', '1m1m', '30s1m', '1d', 'm', '-5s', '1.5.5s', '5 m'])
      expect(parseDuration(bad), bad).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });

  it('writes durations back in the largest whole unit', () => {
    expect([3_600_000, 300_000, 90_000, 250].map(formatDuration)).toEqual([
      '1h',
      '5m',
      '90s',
      '250ms',
    ]);
  });
});
