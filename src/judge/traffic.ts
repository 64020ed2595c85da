// Traffic loss: the most common bad release crashes on start or stops
// answering, and then it has no errors and no latency to judge. So every
// switched host's served rate is judged on its own, against its own baseline
// and the control's change: a host that lost `tolerance` of its traffic or
// more, or stopped answering probes while the control answers, is a critical
// regression. Zero is data here, not missing data.
import { DEFAULTS } from '../core/defaults.js';
import { tUpperTail } from '../stats/distributions.js';
import type { MetricContext } from './classify-metric.js';
import { formatLevel, formatP, formatRatio } from './format.js';
import {
  type HostSeries,
  type MetricEvidence,
  type MetricSpec,
  type MetricVerdict,
  type Snapshot,
  type TrafficMetric,
  storeHadNoData,
} from './types.js';
import { cellsFor, type CellOf } from './host-cells.js';
import { counterHalves, counterWindow, describeMissing, type CounterWindow } from './windows.js';

/**
 * The metrics a look judges: as configured, plus (when none of kind traffic
 * is declared) one traffic metric per distinct exposure series of the counter
 * metrics, since requests are what a release that does not serve loses.
 */
export function withTrafficMetrics(metrics: readonly MetricSpec[]): MetricSpec[] {
  if (metrics.some((m) => m.kind === 'traffic')) return [...metrics];
  const names = new Set(metrics.map((m) => m.name));
  const derived: TrafficMetric[] = [];
  for (const m of metrics) {
    if (m.kind !== 'counter' || m.exposure === undefined) continue;
    if (derived.some((d) => d.series === m.exposure)) continue;
    const name = names.has(m.exposure) ? `${m.exposure}_traffic` : m.exposure;
    derived.push({
      name,
      kind: 'traffic',
      series: m.exposure,
      worse: 'lower',
      tolerance: DEFAULTS.trafficDrop,
      critical: true,
    });
  }
  return [...metrics, ...derived];
}

/** Continuity: keeps the log rate of a host that served nothing finite. */
const HALF = 0.5;
/** Prior for how far a host's traffic wanders from the fleet's (log scale), and its weight. */
const PRIOR_SPREAD = 0.1;
const PRIOR_DF = 10;
/** Trailing readings that must all fail before a host counts as not answering. */
const SILENT_READINGS = 2;

/** Requests over a window: `exposure` is its seconds (a by-time counter window, kept as it is). */
type Rate = Pick<CounterWindow, 'count' | 'exposure'>;

const asRate = (w: CounterWindow | null): Rate | null => (w && w.exposure > 0 ? w : null);
const rateOf = (snaps: readonly Snapshot[], col: number) =>
  asRate(counterWindow(snaps, col, undefined));
const logRateOf = (count: number, seconds: number) => Math.log((count + HALF) / seconds);
const logRate = (r: Rate) => logRateOf(r.count, r.exposure);
/** The control's mean rate per host, before or since the switch. */
const perControl = (
  control: readonly PackedTrafficCell[],
  count: 'afterCount' | 'beforeCount',
  seconds: 'afterSeconds' | 'beforeSeconds',
) =>
  control.length === 0
    ? 0
    : control.reduce((s, c) => s + c[count] / c[seconds], 0) / control.length;

/**
 * True when the host's last readings since the switch all lack the series,
 * and not only because the metrics store had nothing for it: a store's gap
 * is missing data (inconclusive), a host that does not answer is lost.
 */
function stoppedAnswering(h: HostSeries, col: number): boolean {
  const from = Math.max(0, h.after.length - SILENT_READINGS);
  let storeGaps = 0;
  for (let i = from; i < h.after.length; i++) {
    const s = h.after[i]!;
    if (s.v[col] != null) return false;
    if (storeHadNoData(s.e?.[col])) storeGaps++;
  }
  return h.after.length > from && storeGaps < h.after.length - from;
}

/** A host's served rates: its baseline (and the baseline's two halves), since the switch. */
interface TrafficCell {
  before: Rate | null;
  after: Rate | null;
  /** The baseline's halves, when it has three readings or more and both have traffic. */
  first: Rate | null;
  second: Rate | null;
  /** Its last readings since the switch all lack the series (stoppedAnswering). */
  silent: boolean;
}

/**
 * A traffic cell as a look keeps it for every host until the look ends:
 * numbers only, one object (NaN: no rate). Kept as nested rates, a look
 * over thousands of hosts spent a fifth of its time moving them between
 * the collector's generations.
 */
interface PackedTrafficCell {
  beforeCount: number;
  beforeSeconds: number;
  afterCount: number;
  afterSeconds: number;
  firstCount: number;
  firstSeconds: number;
  secondCount: number;
  secondSeconds: number;
  silent: boolean;
}

export function trafficCellOf(
  m: TrafficMetric,
  column: (series: string) => number,
): CellOf<PackedTrafficCell> {
  const col = column(m.series);
  return (h) => {
    const baseline = counterHalves(h.before, col, h.before.length >> 1);
    const before = asRate(baseline.whole);
    const after = rateOf(h.after, col);
    const first = h.before.length < 3 ? null : asRate(baseline.first);
    const second = first && asRate(baseline.second);
    const both = first !== null && second !== null;
    return {
      beforeCount: before ? before.count : NaN,
      beforeSeconds: before ? before.exposure : NaN,
      afterCount: after ? after.count : NaN,
      afterSeconds: after ? after.exposure : NaN,
      firstCount: both ? first.count : NaN,
      firstSeconds: both ? first.exposure : NaN,
      secondCount: both ? second.count : NaN,
      secondSeconds: both ? second.exposure : NaN,
      silent: stoppedAnswering(h, col),
    };
  };
}

const rateIn = (count: number, exposure: number): Rate | null =>
  Number.isNaN(count) ? null : { count, exposure };

function unpack(c: PackedTrafficCell | null): TrafficCell {
  return {
    before: rateIn(c!.beforeCount, c!.beforeSeconds),
    after: rateIn(c!.afterCount, c!.afterSeconds),
    first: rateIn(c!.firstCount, c!.firstSeconds),
    second: rateIn(c!.secondCount, c!.secondSeconds),
    silent: c!.silent,
  };
}

/** Each host's log change from the first half of its baseline to the second, around the fleet's. */
function baselineHalves(groups: readonly (readonly PackedTrafficCell[])[]): number[] {
  const first = { count: 0, exposure: 0 };
  const second = { count: 0, exposure: 0 };
  let pairs = 0;
  for (const cells of groups)
    for (const c of cells) {
      if (Number.isNaN(c.firstCount)) continue;
      first.count += c.firstCount;
      first.exposure += c.firstSeconds;
      second.count += c.secondCount;
      second.exposure += c.secondSeconds;
      pairs++;
    }
  if (pairs < 2) return [];
  const fleet = logRate(second) - logRate(first);
  const out: number[] = [];
  for (const cells of groups)
    for (const c of cells)
      if (!Number.isNaN(c.firstCount))
        out.push(
          logRateOf(c.secondCount, c.secondSeconds) -
            logRateOf(c.firstCount, c.firstSeconds) -
            fleet,
        );
  return out;
}

type HostResult =
  | { host: string; kind: 'silent'; before: Rate }
  | { host: string; kind: 'missing' }
  | {
      host: string;
      kind: 'judged';
      before: Rate;
      after: Rate;
      /** Host's change relative to the control's change (1 = same). */
      ratio: number;
      pValue: number;
      /** Whether a host serving nothing would have been significant. */
      couldCatch: boolean;
      /** Requests expected at the tolerated drop. */
      expected: number;
    };

export function classifyTraffic(m: TrafficMetric, ctx: MetricContext): MetricVerdict {
  const col = ctx.column(m.series);
  const tolerated = 1 - m.tolerance;
  const evidence: MetricEvidence = {
    test: 'traffic-per-host',
    canaryAfter: null,
    controlAfter: null,
    canaryBefore: null,
    controlBefore: null,
    ratio: null,
    toleratedRatio: tolerated,
    pValue: null,
    threshold: ctx.threshold,
    canaryHosts: 0,
    controlHosts: 0,
    detail: {},
  };
  const verdict = (v: MetricVerdict['verdict'], reason: string): MetricVerdict => ({
    metric: m.name,
    verdict: v,
    critical: m.critical,
    reason: `${m.name}: ${reason}`,
    evidence,
  });

  // The control says how the whole fleet's traffic moved and how much hosts
  // wander around that on their own.
  const cellOf = trafficCellOf(m, ctx.column);
  const canaryCells = cellsFor(ctx.canary, cellOf, ctx.cells?.canary) as PackedTrafficCell[];
  const controlCells = cellsFor(ctx.control, cellOf, ctx.cells?.control) as PackedTrafficCell[];
  const control = controlCells.filter(
    (c) => !Number.isNaN(c.beforeCount) && !Number.isNaN(c.afterCount),
  );
  evidence.controlHosts = control.length;
  const controlMissing = ctx.control.length === 0 ? 1 : 1 - control.length / ctx.control.length;
  if (control.length < ctx.limits.minControlHosts || controlMissing > ctx.limits.maxMissingFraction)
    return verdict(
      'inconclusive',
      `inconclusive: ${control.length} of ${ctx.control.length} control hosts have traffic readings, needs ${Math.max(ctx.limits.minControlHosts, Math.ceil(ctx.control.length * (1 - ctx.limits.maxMissingFraction)))}`,
    );
  const total = { afterCount: 0, afterSeconds: 0, beforeCount: 0, beforeSeconds: 0 };
  for (const c of control) {
    total.afterCount += c.afterCount;
    total.afterSeconds += c.afterSeconds;
    total.beforeCount += c.beforeCount;
    total.beforeSeconds += c.beforeSeconds;
  }
  const controlChange =
    logRateOf(total.afterCount, total.afterSeconds) -
    logRateOf(total.beforeCount, total.beforeSeconds);
  // How far a host's traffic wanders from the fleet's on its own: from the
  // control across the switch, and from every host across the two halves of
  // its baseline, so a small holdback still gives a usable estimate.
  const drifts = control.map(
    (c) =>
      logRateOf(c.afterCount, c.afterSeconds) -
      logRateOf(c.beforeCount, c.beforeSeconds) -
      controlChange,
  );
  const halves = baselineHalves([canaryCells, controlCells]);
  // Moderated by a prior (hosts wander about 10% from the fleet, worth ten
  // hosts of evidence): with three controls an estimate alone has two degrees
  // of freedom, and a t-test on it could not tell a dead host from a live one.
  let ss = 0;
  for (const d of drifts) ss += d * d;
  for (const d of halves) ss += d * d;
  const observedDf = Math.max(0, drifts.length - 1) + Math.max(0, halves.length - 1);
  const df = PRIOR_DF + observedDf;
  const spread2 = (PRIOR_DF * PRIOR_SPREAD ** 2 + ss) / df;

  const hostThreshold = ctx.threshold / Math.max(1, ctx.canary.length);
  const results: HostResult[] = ctx.canary.map((h, i) => {
    const { before, after, silent } = unpack(canaryCells[i]!);
    if (!before) return { host: h.host, kind: 'missing' };
    if (silent) return { host: h.host, kind: 'silent', before };
    if (!after) return { host: h.host, kind: 'missing' };
    const logRatio = logRate(after) - logRate(before) - controlChange;
    // The count's variance as the null expects it (a host at the tolerated
    // drop), not as observed: a host that served nothing has no variance of
    // its own to speak of, and must not look uncertain for it.
    const expected =
      tolerated * (before.count / before.exposure) * Math.exp(controlChange) * after.exposure;
    const se = Math.sqrt(spread2 + 1 / (expected + HALF) + 1 / (before.count + HALF));
    const pOf = (lr: number) => tUpperTail((Math.log(tolerated) - lr) / se, df);
    const pValue = pOf(logRatio);
    // Enough data: the window must be long enough that a host serving nothing
    // would have been caught; otherwise a pass means nothing.
    const silentLogRatio =
      logRate({ count: 0, exposure: after.exposure }) - logRate(before) - controlChange;
    const couldCatch = pOf(silentLogRatio) < hostThreshold;
    return {
      host: h.host,
      kind: 'judged',
      before,
      after,
      ratio: Math.exp(logRatio),
      pValue,
      couldCatch,
      expected,
    };
  });

  // A host whose test gave no p-value is treated as missing, never as a pass.
  const judged = results.flatMap((r) =>
    r.kind === 'judged' && !Number.isNaN(r.pValue) ? [r] : [],
  );
  const silent = results.filter((r) => r.kind === 'silent');
  const lost = judged.filter((r) => r.pValue < hostThreshold);
  const missing = results.filter(
    (r) => r.kind === 'missing' || (r.kind === 'judged' && Number.isNaN(r.pValue)),
  );
  const perHost = (rs: Rate[]) =>
    rs.length === 0 ? 0 : rs.reduce((s, r) => s + r.count / r.exposure, 0) / rs.length;
  // Hosts that stopped answering serve nothing as far as anyone can tell.
  const canaryAfter =
    (perHost(judged.map((r) => r.after)) * judged.length) /
    Math.max(1, judged.length + silent.length);
  Object.assign(evidence, {
    canaryAfter,
    controlAfter: perControl(control, 'afterCount', 'afterSeconds'),
    canaryBefore: perHost([...judged, ...silent].map((r) => r.before)),
    controlBefore: perControl(control, 'beforeCount', 'beforeSeconds'),
    ratio: judged.length ? Math.min(...judged.map((r) => r.ratio)) : null,
    pValue: judged.length ? Math.min(...judged.map((r) => r.pValue)) : null,
    threshold: hostThreshold,
    canaryHosts: judged.length + silent.length,
    detail: { lostHosts: lost.length, silentHosts: silent.length, spread: Math.sqrt(spread2) },
  });
  const rates =
    `canary ${formatLevel(canaryAfter)}/s vs control ${formatLevel(evidence.controlAfter!)}/s ` +
    `(own baseline ${formatLevel(evidence.canaryBefore!)}/s)`;

  if (lost.length + silent.length > 0) {
    const named = [
      ...silent.map((r) => `${r.host} stopped answering probes`),
      ...lost.map(
        (r) =>
          `${r.host} ${formatLevel(r.after.count / r.after.exposure)}/s, ${formatRatio(r.ratio)} of its baseline vs control, p=${formatP(r.pValue)}`,
      ),
    ];
    return verdict(
      'regression',
      `${rates} -> regression: traffic lost on ${lost.length + silent.length} of ${ctx.canary.length} switched hosts (${named.join('; ')}), tolerated a drop to ${formatRatio(tolerated)}`,
    );
  }
  const canaryMissing = ctx.canary.length === 0 ? 1 : missing.length / ctx.canary.length;
  if (judged.length < ctx.limits.minCanaryHosts || canaryMissing > ctx.limits.maxMissingFraction)
    return verdict(
      'inconclusive',
      `inconclusive: no baseline or traffic readings on ${missing.length} of ${ctx.canary.length} switched hosts (${describeMissing(
        ctx.canary.filter((h) => missing.some((r) => r.host === h.host)),
        [col],
        missing.length,
      )})`,
    );
  const blind = judged.filter((r) => !r.couldCatch);
  if (blind.length > 0)
    return verdict(
      'inconclusive',
      `inconclusive: too little traffic to tell a dead host: ${blind.length} of ${ctx.canary.length} switched hosts expected ${formatLevel(Math.min(...blind.map((r) => r.expected)))} requests or fewer at the tolerated drop; judge a longer window or busier hosts`,
    );
  return verdict(
    'pass',
    `${rates}, lowest host ${formatRatio(evidence.ratio!)} vs own baseline, tolerated a drop to ${formatRatio(tolerated)} -> pass`,
  );
}
