// Classifies one metric from its per-host windows: check that there is
// enough data, run the metric kind's test, and explain the result in one line.
import { mannWhitneyGreater, smallestAttainableP } from '../stats/mann-whitney.js';
import { normalUpperQuantile } from '../stats/distributions.js';
import { rateRatioDid, type RateCell } from '../stats/rate-ratio.js';
import { bucketQuantile } from '../stats/histogram.js';
import { pooledTGreater } from '../stats/t-test.js';
import { formatLevel, formatP, formatRate, formatRatio } from './format.js';
import type {
  CounterMetric,
  DataLimits,
  GaugeMetric,
  HostSeries,
  MetricEvidence,
  MetricSpec,
  MetricVerdict,
  QuantileMetric,
  Snapshot,
} from './types.js';
import { metricColumns } from './types.js';
import { classifyTraffic, trafficCellOf } from './traffic.js';
import { cellsFor, type CellOf } from './host-cells.js';
import { counterWindow, describeMissing, gaugeWindow } from './windows.js';

export interface MetricContext {
  column: (series: string) => number;
  canary: readonly HostSeries[];
  control: readonly HostSeries[];
  /** The p-value a regression must fall below (this look's alpha / metrics). */
  threshold: number;
  /** A pass needs enough expected events to have been able to see a regression (eventsToPass). */
  requireEnoughData?: boolean;
  limits: DataLimits;
  /** This metric's per-host cells (made by metricCellOf), when judge() computed them host by host. */
  cells?: { canary: readonly unknown[]; control: readonly unknown[] };
}

/** How a metric reduces one host's readings to its cell. */
export function metricCellOf(
  metric: MetricSpec,
  column: (series: string) => number,
): CellOf<unknown> {
  switch (metric.kind) {
    case 'counter':
      return counterCellOf(metric, column);
    case 'gauge':
      return gaugeCellOf(metric, column);
    case 'traffic':
      return trafficCellOf(metric, column);
    case 'quantile':
      return bucketsCellOf(metric, column);
  }
}

/** A group's cells for this metric: given, or computed now. */
export function groupCells<T>(
  ctx: MetricContext,
  group: 'canary' | 'control',
  cellOf: CellOf<T>,
): readonly (T | null)[] {
  return cellsFor(ctx[group], cellOf, ctx.cells?.[group]);
}

/**
 * Weight of the Poisson prior on a rate test's dispersion, in hosts: enough
 * that five hosts can tell x20 from noise, little beside a hundred.
 */
export const DISPERSION_PRIOR_DF = 5;

/** Default least canary exposure: requests for rates per request, seconds otherwise. */
export const DEFAULT_MIN_EXPOSURE = { perRequest: 1000, perSecond: 30 };

export function classifyMetric(metric: MetricSpec, ctx: MetricContext): MetricVerdict {
  switch (metric.kind) {
    case 'counter':
      return classifyCounter(metric, ctx);
    case 'gauge':
      return classifyGauge(metric, ctx);
    case 'traffic':
      return classifyTraffic(metric, ctx);
    case 'quantile':
      return classifyGauge(metric, ctx);
  }
}

const toleratedRatio = (m: MetricSpec) =>
  m.worse === 'higher' ? 1 + m.tolerance : 1 - m.tolerance;

function emptyEvidence(m: MetricSpec, ctx: MetricContext, canaryHosts = 0, controlHosts = 0) {
  return {
    test: 'none',
    canaryAfter: null,
    controlAfter: null,
    canaryBefore: null,
    controlBefore: null,
    ratio: null,
    toleratedRatio: toleratedRatio(m),
    pValue: null,
    threshold: ctx.threshold,
    canaryHosts,
    controlHosts,
    detail: {},
  } satisfies MetricEvidence;
}

function inconclusive(m: MetricSpec, why: string, evidence: MetricEvidence): MetricVerdict {
  return {
    metric: m.name,
    verdict: 'inconclusive',
    critical: m.critical,
    reason: `${m.name}: inconclusive: ${why}`,
    evidence,
  };
}

/** Each host's cell for a metric, and the hosts that have none. */
interface PerHost<T> {
  cells: T[];
  missing: HostSeries[];
}

function perHost<T>(ctx: MetricContext, group: 'canary' | 'control', cellOf: CellOf<T>) {
  const hosts = ctx[group];
  const all = groupCells(ctx, group, cellOf);
  const out: PerHost<T> = { cells: [], missing: [] };
  for (let i = 0; i < hosts.length; i++) {
    const cell = all[i]!;
    if (cell === null) out.missing.push(hosts[i]!);
    else out.cells.push(cell);
  }
  return out;
}

/**
 * Data checks shared by every kind; returns a reason when the data cannot
 * decide, naming the hosts without data and why, when a probe said.
 */
function missingDataReason(
  groups: { canary: PerHost<unknown>; control: PerHost<unknown> },
  ctx: MetricContext,
  cols: readonly number[],
): string | undefined {
  const { limits } = ctx;
  const limit = `limit ${Math.round(limits.maxMissingFraction * 100)}%`;
  const groupsInOrder = ['canary', 'control'] as const;
  for (const group of groupsInOrder) {
    const { missing } = groups[group];
    const total = ctx[group].length;
    if ((total === 0 ? 1 : missing.length / total) > limits.maxMissingFraction)
      return `data missing on ${missing.length} of ${total} ${group} hosts (${limit})${missing.length > 0 ? `: ${describeMissing(missing, cols)}` : ''}`;
  }
  for (const group of groupsInOrder) {
    const { cells, missing } = groups[group];
    const needed = group === 'canary' ? limits.minCanaryHosts : limits.minControlHosts;
    const quiet = (groups[group] as Partial<QuantileCells>).tooQuiet ?? 0;
    if (cells.length < needed)
      return `${cells.length} ${group} hosts with data, needs ${needed}${quiet > 0 ? `; ${quiet} too quiet even pooled` : ''}${missing.length > 0 ? `; missing: ${describeMissing(missing, cols)}` : ''}`;
  }
  return undefined;
}

function counterCellOf(m: CounterMetric, column: (series: string) => number): CellOf<RateCell> {
  const col = column(m.series);
  const exp = m.exposure === undefined ? undefined : column(m.exposure);
  return (h) => {
    const before = counterWindow(h.before, col, exp);
    const after = counterWindow(h.after, col, exp);
    if (!before || !after || before.exposure <= 0 || after.exposure <= 0) return null;
    return {
      eventsBefore: before.count,
      exposureBefore: before.exposure,
      eventsAfter: after.count,
      exposureAfter: after.exposure,
    };
  };
}

/** The columns a metric reads, for naming why they are missing. */
const columnsOf = (m: MetricSpec, ctx: MetricContext) => metricColumns(m).map(ctx.column);

/**
 * The rule for a pass that means something: at the control's rate times the
 * tolerated ratio, the canary's window must be expected to hold enough events
 * that an effect twice the tolerated one (x2.4 when +20% is tolerated) would
 * reach the threshold at least half the time:
 *   expected events >= dispersion * (z(threshold) / ln 2)^2.
 * Counting only the canary's own window makes this a lower bound.
 */
export function eventsToPass(threshold: number, dispersion = 1): number {
  return dispersion * (normalUpperQuantile(threshold) / Math.LN2) ** 2;
}

function notEnoughToPass(
  r: ReturnType<typeof rateRatioDid>,
  tol: number,
  threshold: number,
): string | undefined {
  const expected = r.control.rateAfter * tol * r.treated.exposure;
  const needed = eventsToPass(threshold, r.dispersion);
  if (expected >= needed) return undefined;
  return `not enough data to pass: the canary's window expected ${formatLevel(expected)} events at the tolerated rate, a pass needs ${Math.ceil(needed)} (so that x2 beyond the tolerance would reach p < ${formatP(threshold)} half the time): about ${formatLevel(needed / Math.max(expected, 1e-9))} times this window's traffic or time`;
}

function classifyCounter(m: CounterMetric, ctx: MetricContext): MetricVerdict {
  const cellOf = counterCellOf(m, ctx.column);
  const canaryCells = perHost(ctx, 'canary', cellOf);
  const controlCells = perHost(ctx, 'control', cellOf);
  const canary = canaryCells.cells;
  const control = controlCells.cells;
  const base = emptyEvidence(m, ctx, canary.length, control.length);
  const missing = missingDataReason(
    { canary: canaryCells, control: controlCells },
    ctx,
    columnsOf(m, ctx),
  );
  if (missing) return inconclusive(m, missing, base);

  const perRequest = m.exposure !== undefined;
  const minExposure =
    m.minExposure ??
    (perRequest ? DEFAULT_MIN_EXPOSURE.perRequest : DEFAULT_MIN_EXPOSURE.perSecond);
  const canaryExposure = canary.reduce((s, c) => s + c.exposureAfter, 0);
  if (canaryExposure < minExposure) {
    const unit = perRequest ? (m.exposure ?? '') : 'seconds';
    return {
      ...inconclusive(
        m,
        `canary saw ${Math.round(canaryExposure)} ${unit} since the switch, needs ${minExposure} (minExposure)`,
        base,
      ),
      shortOfExposure: true,
    };
  }

  const tol = toleratedRatio(m);
  const r = rateRatioDid(canary, control, {
    nullLogRatio: Math.log(tol),
    alternative: m.worse === 'higher' ? 'greater' : 'less',
    priorDf: DISPERSION_PRIOR_DF,
  });
  const pValue = r.pValue;
  const evidence: MetricEvidence = {
    ...base,
    test: 'rate-ratio-did',
    canaryAfter: r.treated.rateAfter,
    controlAfter: r.control.rateAfter,
    canaryBefore: r.treated.rateBefore,
    controlBefore: r.control.rateBefore,
    ratio: Math.exp(r.logRatio),
    pValue,
    detail: {
      dispersion: r.dispersion,
      degreesOfFreedom: r.degreesOfFreedom,
      standardError: r.standardError,
      canaryEvents: r.treated.events,
      canaryExposure: r.treated.exposure,
    },
  };
  // A test that could not compute its p-value decides nothing: never a pass.
  if (Number.isNaN(pValue))
    return inconclusive(m, 'the rate test gave no p-value (degenerate data)', evidence);
  const verdict = pValue < ctx.threshold ? 'regression' : 'pass';
  if (verdict === 'pass' && ctx.requireEnoughData) {
    const short = notEnoughToPass(r, tol, ctx.threshold);
    if (short) return inconclusive(m, short, evidence);
  }
  // A share of the exposure (errors per request) reads as a percentage; more
  // than one event per unit (milliseconds per request) does not.
  const asShare = perRequest && Math.max(r.treated.rateAfter, r.control.rateAfter) <= 1;
  const rate = (x: number) =>
    perRequest && !asShare
      ? `${formatLevel(x)} per ${m.exposure ?? 'unit'}`
      : formatRate(x, perRequest);
  const reason =
    `${m.name}: canary ${rate(r.treated.rateAfter)} vs control ${rate(r.control.rateAfter)} ` +
    `(${formatRatio(Math.exp(r.logRatio))} vs own baselines, tolerated ${formatRatio(tol)}), ` +
    `p=${formatP(pValue)} ${verdict === 'regression' ? '<' : '>='} ${formatP(ctx.threshold)} -> ${verdict}`;
  return { metric: m.name, verdict, critical: m.critical, reason, evidence };
}

interface GaugeLevels {
  before: number;
  after: number;
}

function gaugeCellOf(m: GaugeMetric, column: (series: string) => number): CellOf<GaugeLevels> {
  const col = column(m.series);
  const per = m.per === undefined ? undefined : column(m.per);
  return (h) => {
    const before = gaugeWindow(h.before, col, per);
    // A level reading describes the interval that ends at it, so the reading
    // taken at the switch still belongs to the old release.
    const after = gaugeWindow(h.after, col, per, per === undefined && h.after.length > 1 ? 1 : 0);
    return before === null || after === null ? null : { before, after };
  };
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const median = (xs: readonly number[]) => {
  const s = Float64Array.from(xs).sort(); // numeric, without a comparator call per pair
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Observations a host's window needs for its quantile to mean something (500 for p99). */
export const minObservations = (q: number) => Math.ceil(5 / Math.max(1e-6, 1 - q));

/** A window's cumulative bucket counts (+Inf last), or null when a column has no data. */
function bucketCounts(snaps: readonly Snapshot[], cols: readonly number[]): number[] | null {
  const cumulative: number[] = [];
  for (const col of cols) {
    const w = counterWindow(snaps, col, undefined);
    if (!w) return null;
    cumulative.push(w.count);
  }
  return cumulative;
}

interface HostBuckets {
  before: number[];
  after: number[];
}

const observations = (cumulative: readonly number[]) => cumulative.at(-1) ?? 0;
const addInto = (into: number[], more: readonly number[]) =>
  more.forEach((x, k) => (into[k] = (into[k] ?? 0) + x));

/**
 * Quiet hosts pooled, in the order given, into cells of at least `need`
 * observations before and since the switch; what is left short of that joins
 * the last cell (a host is never dropped for being quiet). Each cell's before
 * and after come from the same hosts, so its change is still a within-host
 * change, and a quiet host weighs in proportion to its observations.
 */
export function poolQuietHosts(quiet: readonly HostBuckets[], need: number): HostBuckets[] {
  const cells: HostBuckets[] = [];
  let open: HostBuckets | null = null;
  for (const h of quiet) {
    open ??= { before: [], after: [] };
    addInto(open.before, h.before);
    addInto(open.after, h.after);
    if (observations(open.before) >= need && observations(open.after) >= need) {
      cells.push(open);
      open = null;
    }
  }
  if (open && cells.length > 0) {
    const last = cells[cells.length - 1]!;
    addInto(last.before, open.before);
    addInto(last.after, open.after);
  } else if (open) cells.push(open);
  return cells;
}

/**
 * Each host's quantile before and since the switch, from its bucket
 * increments. A host with fewer observations than the quantile needs (500
 * for p99) is not missing data: quiet hosts are pooled into cells that have
 * enough. Only a host with no observations, or no data, is missing.
 */
function bucketsCellOf(m: QuantileMetric, column: (series: string) => number): CellOf<HostBuckets> {
  const cols = metricColumns(m).map(column);
  return (h) => {
    const before = bucketCounts(h.before, cols);
    const after = bucketCounts(h.after, cols);
    if (!before || !after || observations(before) <= 0 || observations(after) <= 0) return null;
    return { before, after };
  };
}

function quantileLevels(m: QuantileMetric, ctx: MetricContext, group: 'canary' | 'control') {
  const hosts = ctx[group];
  const buckets = groupCells(ctx, group, bucketsCellOf(m, ctx.column));
  const need = minObservations(m.quantile);
  const out: QuantileCells = { cells: [], missing: [], pooledHosts: 0, pools: 0, tooQuiet: 0 };
  const level = (cumulative: readonly number[]) =>
    bucketQuantile(m.quantile, m.buckets, cumulative)!;
  const cellOf = (b: HostBuckets) => ({ before: level(b.before), after: level(b.after) });
  const quiet: HostBuckets[] = [];
  for (let i = 0; i < hosts.length; i++) {
    const b = buckets[i]!;
    if (b === null) out.missing.push(hosts[i]!);
    else if (observations(b.before) >= need && observations(b.after) >= need)
      out.cells.push(cellOf(b));
    else quiet.push(b);
  }
  const enough = (b: HostBuckets) =>
    observations(b.before) >= need && observations(b.after) >= need;
  const pools = poolQuietHosts(quiet, need);
  if (pools.every(enough)) {
    out.cells.push(...pools.map(cellOf));
    out.pooledHosts = quiet.length;
    out.pools = pools.length;
  } else out.tooQuiet = quiet.length; // all of them together are short of `need`
  return out;
}

/** Says (and records) which quiet hosts were pooled, when any were. */
function pooledNote(
  canary: PerHost<unknown>,
  control: PerHost<unknown>,
  evidence: MetricEvidence,
): string {
  const groups = { canary, control } as Record<string, Partial<QuantileCells>>;
  const parts: string[] = [];
  for (const [group, cells] of Object.entries(groups)) {
    if (!cells.pooledHosts) continue;
    evidence.detail[`${group}PooledHosts`] = cells.pooledHosts;
    parts.push(`${group} ${cells.pooledHosts} into ${cells.pools}`);
  }
  return parts.length ? `; quiet hosts pooled: ${parts.join(', ')}` : '';
}

/** A group's quantile cells: hosts with enough observations, then pools of quiet ones. */
interface QuantileCells extends PerHost<GaugeLevels> {
  /** Quiet hosts pooled, and into how many cells. */
  pooledHosts: number;
  pools: number;
  /** Hosts with data that even pooled together fall short of the quantile's observations. */
  tooQuiet: number;
}

function classifyGauge(m: GaugeMetric | QuantileMetric, ctx: MetricContext): MetricVerdict {
  const levels = (group: 'canary' | 'control') =>
    m.kind === 'gauge'
      ? perHost(ctx, group, gaugeCellOf(m, ctx.column))
      : quantileLevels(m, ctx, group);
  const canaryLevels = levels('canary');
  const controlLevels = levels('control');
  const canary = canaryLevels.cells;
  const control = controlLevels.cells;
  const base = emptyEvidence(m, ctx, canary.length, control.length);
  const missing = missingDataReason(
    { canary: canaryLevels, control: controlLevels },
    ctx,
    columnsOf(m, ctx),
  );
  if (missing) return inconclusive(m, missing, base);

  // Ranks need enough hosts to reach the threshold; below that, a t-test on
  // the same per-host changes can (see stats/t-test.ts).
  const useRanks = smallestAttainableP(canary.length, control.length) < ctx.threshold;

  // Each host's change against its own baseline, on a log scale; a small
  // offset keeps gauges that can read zero (load, CPU) finite.
  const offset = 1e-9 + 0.01 * median([...canary, ...control].map((l) => Math.abs(l.before)));
  const change = (l: GaugeLevels) => Math.log((l.after + offset) / (l.before + offset));
  const sign = m.worse === 'higher' ? 1 : -1;
  const tol = toleratedRatio(m);
  const canaryChanges = canary.map(change);
  const controlChanges = control.map(change);
  // Shift the canary by the tolerated change: only a change beyond it counts.
  const shifted = canaryChanges.map((c) => sign * (c - Math.log(tol)));
  const controls = controlChanges.map((c) => sign * c);
  const test = useRanks
    ? { ...mannWhitneyGreater(shifted, controls), name: 'rank' }
    : { ...pooledTGreater(shifted, controls), name: 't-test' };
  const ratio = Math.exp(median(canaryChanges) - median(controlChanges));
  const evidence: MetricEvidence = {
    ...base,
    test: useRanks ? 'rank-did' : 't-did',
    canaryAfter: mean(canary.map((l) => l.after)),
    controlAfter: mean(control.map((l) => l.after)),
    canaryBefore: mean(canary.map((l) => l.before)),
    controlBefore: mean(control.map((l) => l.before)),
    ratio,
    pValue: test.pValue,
    detail:
      'u' in test
        ? { u: test.u, exact: test.method === 'exact' ? 1 : 0 }
        : { t: test.t, degreesOfFreedom: test.degreesOfFreedom },
  };
  if (Number.isNaN(test.pValue))
    return inconclusive(m, `the ${test.name} gave no p-value (degenerate data)`, evidence);
  const verdict = test.pValue < ctx.threshold ? 'regression' : 'pass';
  const q = m.kind === 'quantile' ? `p${formatLevel(m.quantile * 100)} ` : '';
  const reason =
    `${m.name}: canary ${q}${formatLevel(evidence.canaryAfter!)} vs control ${q}${formatLevel(evidence.controlAfter!)} ` +
    `(${formatRatio(ratio)} vs own baselines, tolerated ${formatRatio(tol)}${pooledNote(canaryLevels, controlLevels, evidence)}), ` +
    `${test.name} p=${formatP(test.pValue)} ${verdict === 'regression' ? '<' : '>='} ${formatP(ctx.threshold)} -> ${verdict}`;
  return { metric: m.name, verdict, critical: m.critical, reason, evidence };
}
