// What a look can see, before any deploy: the traffic a rate metric needs for
// a look to catch a given regression half the time. A look compares the
// switched hosts' rate with the control hosts', each against its own
// baseline (the judge's difference-in-differences rate ratio), so its
// evidence grows with the events in four windows: switched and control,
// before and since the switch. With Poisson counts the log rate ratio's
// variance is the sum of the inverse expected counts; a look catches a
// ratio r half the time when ln r - ln(tolerated) reaches z(threshold)
// standard errors. Solving that for the base rate gives a statement an
// operator can hold against their traffic: "x2 errors are caught half the
// time from 3.9 errors a minute per host".
import { normalUpperQuantile, normalUpperTail } from '../stats/distributions.js';

export interface LookShape {
  /** Hosts on the new release, and hosts compared with them. */
  treated: number;
  control: number;
  /** Seconds of readings since the switch, and of the baseline before it. */
  afterSeconds: number;
  beforeSeconds: number;
  /** The p-value a regression must fall below at this look. */
  threshold: number;
}

/**
 * Events per host per second, at the rate before the deploy, at which a look
 * catches a rate `ratio` times the control's half the time, when `tolerated`
 * is the ratio the metric lets pass. Poisson counts: overdispersed (bursty)
 * events need proportionally more. Infinity when the look cannot see it at
 * any rate (no hosts on one side, or a ratio within the tolerance).
 */
export function eventsPerHostSecondFor(look: LookShape, ratio: number, tolerated: number): number {
  const effect = Math.log(ratio) - Math.log(tolerated);
  if (!(effect > 0) || look.treated <= 0 || look.control <= 0) return Infinity;
  if (look.afterSeconds <= 0 || look.beforeSeconds <= 0) return Infinity;
  const z = normalUpperQuantile(look.threshold);
  // Expected counts at base rate 1: the switched hosts run at `ratio` after the switch.
  const inverseCounts =
    1 / (look.treated * look.afterSeconds * ratio) +
    1 / (look.treated * look.beforeSeconds) +
    1 / (look.control * look.afterSeconds) +
    1 / (look.control * look.beforeSeconds);
  return (z * z * inverseCounts) / (effect * effect);
}

/** The ratio a look catches half the time at a base rate of `perHostSecond` events (bisection on the monotone need). */
export function ratioSeenAt(look: LookShape, perHostSecond: number, tolerated: number): number {
  let lo = tolerated;
  let hi = tolerated * 2;
  while (eventsPerHostSecondFor(look, hi, tolerated) > perHostSecond) {
    hi *= 2;
    if (hi > 1e6) return Infinity;
  }
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(lo * hi);
    if (eventsPerHostSecondFor(look, mid, tolerated) > perHostSecond) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * How many standard errors beyond the tolerance a look sees `ratio`, at a
 * base rate of `perHostSecond` events per host, with counts `dispersion`
 * times as variable as Poisson and that dispersion known.
 */
export function separation(
  look: LookShape,
  perHostSecond: number,
  ratio: number,
  tolerated: number,
  dispersion = 1,
): number {
  const needed = eventsPerHostSecondFor(look, ratio, tolerated);
  if (!Number.isFinite(needed)) return 0;
  // At the needed rate the effect sits exactly z standard errors out; the
  // standard error shrinks with the square root of the rate over the dispersion.
  return normalUpperQuantile(look.threshold) * Math.sqrt(perHostSecond / (needed * dispersion));
}

/**
 * The chance a one-sided test at `threshold` catches an effect that
 * independent looks see `separations` standard errors out, their evidence
 * combined as well as it can be (weights in proportion to each separation:
 * the most powerful test of them all at that level).
 */
export function chanceToCatchCombined(separations: readonly number[], threshold: number): number {
  const combined = Math.sqrt(separations.reduce((s, x) => s + x * x, 0));
  if (!(combined > 0)) return 0;
  return 1 - normalUpperTail(combined - normalUpperQuantile(threshold));
}

/**
 * The chance a look catches `ratio` at a base rate of `perHostSecond` events
 * per host, with counts `dispersion` times as variable as Poisson and that
 * dispersion known (an upper bound for a test that must estimate it).
 */
export function chanceToCatch(
  look: LookShape,
  perHostSecond: number,
  ratio: number,
  tolerated: number,
  dispersion = 1,
): number {
  return chanceToCatchCombined(
    [separation(look, perHostSecond, ratio, tolerated, dispersion)],
    look.threshold,
  );
}
