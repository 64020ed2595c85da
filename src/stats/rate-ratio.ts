// Difference-in-differences test on event rates (errors per request) between
// a treated group and a control group, each observed before and after a
// change. Counts are modelled as quasi-Poisson: the Poisson variance is
// inflated by a dispersion factor estimated from the units themselves (each
// around its own group's change, pooled over both groups), so overdispersed
// counts and host-to-host variation in the change do not pass for a signal.
// Knows nothing of metrics or configuration.
import { tUpperTail } from './distributions.js';

/** One unit's (host's) events and exposure in both periods. */
export interface RateCell {
  eventsBefore: number;
  exposureBefore: number;
  eventsAfter: number;
  exposureAfter: number;
}

export interface RateRatioResult {
  /** log of the DiD rate ratio: (treated after/before) / (control after/before). */
  logRatio: number;
  standardError: number;
  /** Dispersion factor (>= 1) estimated from both groups' units. */
  dispersion: number;
  degreesOfFreedom: number;
  /** One-sided p-value of H0: log ratio = nullLogRatio, in the direction asked. */
  pValue: number;
  treated: { rateBefore: number; rateAfter: number; events: number; exposure: number };
  control: { rateBefore: number; rateAfter: number; events: number; exposure: number };
}

const HALF = 0.5; // continuity: keeps log rates finite when a count is zero

function pool(cells: readonly RateCell[]) {
  let eb = 0;
  let nb = 0;
  let ea = 0;
  let na = 0;
  for (const c of cells) {
    eb += c.eventsBefore;
    nb += c.exposureBefore;
    ea += c.eventsAfter;
    na += c.exposureAfter;
  }
  return { eb, nb, ea, na };
}

const logChange = (eb: number, nb: number, ea: number, na: number) =>
  Math.log((ea + HALF) / na) - Math.log((eb + HALF) / nb);
const poissonVar = (eb: number, ea: number) => 1 / (eb + HALF) + 1 / (ea + HALF);

/** Sum of squared Pearson residuals of units' log changes around their group's pooled change. */
function pearsonSum(units: readonly RateCell[]): number {
  const p = pool(units);
  const pooled = logChange(p.eb, p.nb, p.ea, p.na);
  let sum = 0;
  for (const c of units) {
    const d = logChange(c.eventsBefore, c.exposureBefore, c.eventsAfter, c.exposureAfter) - pooled;
    sum += (d * d) / poissonVar(c.eventsBefore, c.eventsAfter);
  }
  return sum;
}

/**
 * Dispersion of the units' log changes relative to their Poisson variances,
 * pooled over the groups (each around its own group's change, so a real
 * effect does not inflate it); never below 1.
 */
export function pooledDispersion(...groups: (readonly RateCell[])[]): number {
  return moderatedDispersion(groups, 0).dispersion;
}

/**
 * The pooled dispersion moderated by a prior of Poisson counts (dispersion 1)
 * worth `priorDf` units: (priorDf + Pearson sum) / (priorDf + units' df),
 * never below 1, with those degrees of freedom. With a handful of hosts the
 * estimate alone has two or three degrees of freedom, and a t reference that
 * heavy-tailed cannot tell x20 from noise; with many hosts the data dominate.
 */
export function moderatedDispersion(groups: readonly (readonly RateCell[])[], priorDf: number) {
  const observed = groups.reduce((s, g) => s + Math.max(0, g.length - 1), 0);
  const sum = groups.reduce((s, g) => s + (g.length > 1 ? pearsonSum(g) : 0), 0);
  const df = priorDf + observed;
  return { dispersion: df === 0 ? 1 : Math.max(1, (priorDf + sum) / df), degreesOfFreedom: df };
}

export interface RateRatioOptions {
  /** The log ratio under the null hypothesis (log of the tolerated ratio). */
  nullLogRatio?: number;
  /** 'greater': is the treated rate up by more than the null? 'less': down by more? */
  alternative?: 'greater' | 'less';
  /** Weight, in units, of a prior of Poisson counts on the dispersion (see moderatedDispersion). */
  priorDf?: number;
}

/**
 * Tests H0: log DiD ratio = nullLogRatio against a one-sided alternative, with
 * a t reference distribution whose degrees of freedom are those of the
 * dispersion estimate (units - groups).
 */
export function rateRatioDid(
  treated: readonly RateCell[],
  control: readonly RateCell[],
  { nullLogRatio = 0, alternative = 'greater', priorDf = 0 }: RateRatioOptions = {},
): RateRatioResult {
  if (treated.length === 0 || control.length === 0)
    throw new RangeError('rateRatioDid needs treated and control units');
  const t = pool(treated);
  const c = pool(control);
  const logRatio = logChange(t.eb, t.nb, t.ea, t.na) - logChange(c.eb, c.nb, c.ea, c.na);
  const moderated = moderatedDispersion([treated, control], priorDf);
  const dispersion = moderated.dispersion;
  const standardError = Math.sqrt(dispersion * (poissonVar(t.eb, t.ea) + poissonVar(c.eb, c.ea)));
  const degreesOfFreedom = Math.max(1, moderated.degreesOfFreedom);
  const sign = alternative === 'greater' ? 1 : -1;
  const pValue = tUpperTail((sign * (logRatio - nullLogRatio)) / standardError, degreesOfFreedom);
  return {
    logRatio,
    standardError,
    dispersion,
    degreesOfFreedom,
    pValue,
    treated: { rateBefore: t.eb / t.nb, rateAfter: t.ea / t.na, events: t.ea, exposure: t.na },
    control: { rateBefore: c.eb / c.nb, rateAfter: c.ea / c.na, events: c.ea, exposure: c.na },
  };
}
