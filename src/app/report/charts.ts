// What the report charts: for each metric the judge judged, the canary
// group's and the control group's value at every reading interval, and each
// group's value over the baseline, computed the way the judge computes its
// windows (counter increments with resets, gauge means, bucket increments).
// Pure: a record in, numbers out.
import { withTrafficMetrics } from '../../judge/traffic.js';
import { metricColumns, type MetricSpec, type Snapshot } from '../../judge/types.js';
import { counterWindow, gaugeWindow } from '../../judge/windows.js';
import { bucketQuantile } from '../../stats/histogram.js';
import type { DeployRecord, ReportFlip } from './record.js';

export interface MetricChart {
  metric: string;
  /** What the values are: "errors per request", "per second per host", "p99 of latency"... */
  unit: string;
  /** Values are shown ×scale (100 for a per-request rate, shown as %). */
  scale: number;
  /** Reading times (ms), one per reading. */
  t: number[];
  /** The group's value at each reading (a level) or over the interval ending there (a rate: null at the first); null where data is missing. */
  canary: (number | null)[];
  control: (number | null)[];
  /** Each group's value over the whole baseline window (before any switch). */
  canaryBaseline: number | null;
  controlBaseline: number | null;
}

export interface ReportGroups {
  canary: string[];
  control: string[];
  /** Reading indices of the baseline window the first look compared against. */
  baseline: number[];
}

/** The canary and control groups as the first look compared them (else: the first switch's hosts). */
export function groupsOf(r: DeployRecord): ReportGroups {
  const first = r.looks[0]?.request;
  if (first) return { canary: first.canary, control: first.control, baseline: first.before };
  const switched = new Set(r.flips.find((f) => f.direction === 'forward')?.hosts ?? []);
  const firstSwitch = r.flips[0]?.at ?? Infinity;
  const everyone = new Set(r.readings.flatMap((x) => Object.keys(x.hosts)));
  return {
    canary: [...switched],
    control: [...everyone].filter((h) => !switched.has(h)),
    baseline: r.readings.filter((x) => x.t < firstSwitch).map((x) => x.index),
  };
}

/** The metrics the judge judged: the cluster's, and the traffic it derives when none is declared. */
export const judgedMetrics = (r: DeployRecord): MetricSpec[] =>
  withTrafficMetrics(r.config?.metrics ?? []);

export function metricCharts(r: DeployRecord): MetricChart[] {
  const groups = groupsOf(r);
  const col = (name: string) => r.series.indexOf(name);
  const baseline = new Set(groups.baseline);
  const byIndex = new Map(r.readings.map((x) => [x.index, x]));
  const window = (hosts: string[], readings: number[]) =>
    hosts.map((h) =>
      readings.map((i) => byIndex.get(i)?.hosts[h]).filter((s): s is Snapshot => s !== undefined),
    );
  const baselineReadings = r.readings.filter((x) => baseline.has(x.index)).map((x) => x.index);
  return judgedMetrics(r).map((m) => {
    const value = (hostWindows: Snapshot[][]) => groupValue(m, hostWindows, col);
    // A level is read at each reading; a counter's rate needs the reading before.
    const level = m.kind === 'gauge' && m.per === undefined;
    const interval = (hosts: string[]) =>
      r.readings.map((x, i) =>
        level
          ? value(window(hosts, [x.index]))
          : i === 0
            ? null
            : value(window(hosts, [r.readings[i - 1]!.index, x.index])),
      );
    const chart = {
      metric: m.name,
      t: r.readings.map((x) => x.t),
      canary: interval(groups.canary),
      control: interval(groups.control),
      canaryBaseline: value(window(groups.canary, baselineReadings)),
      controlBaseline: value(window(groups.control, baselineReadings)),
    };
    const values = [...chart.canary, ...chart.control, chart.canaryBaseline, chart.controlBaseline];
    return { ...chart, ...unitOf(m, values) };
  });
}

/** What a metric's values are; a per-request rate that is a share (never above 1) reads as %, as in verdicts. */
function unitOf(
  m: MetricSpec,
  values: readonly (number | null)[],
): { unit: string; scale: number } {
  switch (m.kind) {
    case 'counter':
      if (m.exposure === undefined) return { unit: `${m.series} per second`, scale: 1 };
      return values.every((v) => v === null || v <= 1)
        ? { unit: `% of ${m.exposure}`, scale: 100 }
        : { unit: `${m.series} per ${m.exposure}`, scale: 1 };
    case 'traffic':
      return { unit: `${m.series} per second per host`, scale: 1 };
    case 'gauge':
      return { unit: m.per === undefined ? m.series : `${m.series} per ${m.per}`, scale: 1 };
    case 'quantile':
      return { unit: `p${Number((m.quantile * 100).toPrecision(3))} of ${m.series}`, scale: 1 };
  }
}

/** One group's value of a metric over a window, given each host's snapshots in it. */
function groupValue(
  m: MetricSpec,
  hostWindows: Snapshot[][],
  col: (name: string) => number,
): number | null {
  const present = (i: number) => (i >= 0 ? i : undefined);
  const ratioOfSums = (countCol: number, exposureCol: number | undefined) => {
    let count = 0;
    let exposure = 0;
    for (const snaps of hostWindows) {
      const w = counterWindow(snaps, countCol, exposureCol);
      if (!w) continue;
      count += w.count;
      exposure += w.exposure;
    }
    return exposure > 0 ? count / exposure : null;
  };
  const c = col(m.series);
  switch (m.kind) {
    case 'counter':
      if (c < 0) return null;
      return ratioOfSums(c, m.exposure === undefined ? undefined : present(col(m.exposure)));
    case 'traffic':
      return c < 0 ? null : ratioOfSums(c, undefined);
    case 'gauge': {
      if (c < 0) return null;
      if (m.per !== undefined) return ratioOfSums(c, present(col(m.per)));
      const levels = hostWindows
        .map((snaps) => gaugeWindow(snaps, c, undefined))
        .filter((x): x is number => x !== null);
      return levels.length === 0 ? null : levels.reduce((s, x) => s + x, 0) / levels.length;
    }
    case 'quantile': {
      const cols = metricColumns(m).map(col);
      if (cols.some((x) => x < 0)) return null;
      const cumulative = cols.map((bucket) =>
        hostWindows.reduce(
          (s, snaps) => s + (counterWindow(snaps, bucket, undefined)?.count ?? 0),
          0,
        ),
      );
      return cumulative.at(-1)! > 0 ? bucketQuantile(m.quantile, m.buckets, cumulative) : null;
    }
  }
}

/** The marks on every chart: each switch, and each look with its verdict. */
export interface ChartMark {
  t: number;
  kind: 'switch' | 'rollback' | 'pass' | 'regression' | 'inconclusive';
  label: string;
}

export function chartMarks(r: DeployRecord, lookLabels: string[]): ChartMark[] {
  const flips = r.flips.map((f: ReportFlip): ChartMark => ({
    t: f.at,
    kind: f.direction === 'forward' ? 'switch' : 'rollback',
    label: f.label,
  }));
  const looks = r.looks.map((l, i): ChartMark => ({
    t: l.at,
    kind: l.verdict?.verdict ?? 'inconclusive',
    label: lookLabels[i] ?? `look ${i + 1}`,
  }));
  return [...flips, ...looks].sort((a, b) => a.t - b.t);
}
