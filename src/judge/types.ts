// The judge's vocabulary, shared by every layer (activities, workflow, CLI).

/** A verdict, per metric and overall. Closed set. */
export type Verdict = 'pass' | 'regression' | 'inconclusive';

export const isBlocking = (v: Verdict): boolean => v !== 'pass';

/**
 * One reading of every series on one host at one time, in the fixed series
 * order of the judge input. Compact on purpose: thousands of these cross the
 * workflow history. `v[i]` is null when the probe for series i failed.
 * `k[i]`, when present, is the counter's epoch (e.g. a log file's inode or a
 * process start time): a change means the counter restarted.
 */
export interface Snapshot {
  t: number;
  v: (number | null)[];
  k?: (number | null)[];
  /** Why a value is null, per series (a probe's failure), when a probe failed. */
  e?: (string | null)[];
}

/**
 * Why a value is missing when a central metrics store (Prometheus) holds no
 * sample for the host: missing data, not a host that stopped serving.
 */
export const NO_DATA_IN_STORE = 'no data (stale or absent)';

/** True when a missing value's reason is the metrics store having nothing for the host. */
export const storeHadNoData = (reason: string | null | undefined): boolean =>
  reason != null && reason.includes(NO_DATA_IN_STORE);

/** One host's readings before the switch and since the switch. */
export interface HostSeries {
  host: string;
  before: Snapshot[];
  after: Snapshot[];
}

export type Worse = 'higher' | 'lower';

interface MetricBase {
  /** Name shown in verdicts. */
  name: string;
  /** Which direction is bad. */
  worse: Worse;
  /** Relative change tolerated before it counts as a regression (0.2 = 20%). */
  tolerance: number;
  /** One significant regression on a critical metric is enough to roll back. */
  critical: boolean;
}

/** A count, judged as a rate per unit of exposure (errors per request). */
export interface CounterMetric extends MetricBase {
  kind: 'counter';
  /** Cumulative counter series that is counted. */
  series: string;
  /** Cumulative counter series it is a rate of; default: per second. */
  exposure?: string;
  /** Least exposure the canary group needs in a window (requests or seconds). */
  minExposure?: number;
}

/** A level (latency, load, CPU), judged by ranks of per-host changes. */
export interface GaugeMetric extends MetricBase {
  kind: 'gauge';
  series: string;
  /** If set, the gauge is the ratio of two counters' increments (CPU busy per total). */
  per?: string;
}

/**
 * The rate of a cumulative counter of served work (requests), judged per
 * switched host: a host whose rate drops against the control, relative to its
 * own baseline, by `tolerance` or more (0.5 = half its traffic) lost traffic.
 * A host that stops answering probes counts the same way. Always `worse:
 * 'lower'`. When no traffic metric is declared, the judge derives one from
 * every counter metric's exposure series (see trafficMetricsOf).
 */
export interface TrafficMetric extends MetricBase {
  kind: 'traffic';
  series: string;
}

/**
 * A quantile (p99 latency) of a histogram, per host and window, from the
 * increments of its cumulative buckets; judged like a gauge, by per-host
 * changes against the control's.
 */
export interface QuantileMetric extends MetricBase {
  kind: 'quantile';
  /** The histogram's series: its buckets are the columns bucketSeries(series, bound). */
  series: string;
  /** 0.99 for p99. */
  quantile: number;
  /** The histogram's finite bucket bounds, ascending (the +Inf bucket is implied). */
  buckets: number[];
}

export type MetricSpec = CounterMetric | GaugeMetric | TrafficMetric | QuantileMetric;

/** The column of one histogram bucket: `latency@le=0.25`, `latency@le=+Inf`. */
export const bucketSeries = (series: string, le: number | '+Inf') =>
  `${series}@le=${le === '+Inf' ? '+Inf' : String(le)}`;

/** The columns a metric reads, in order. */
export function metricColumns(m: MetricSpec): string[] {
  switch (m.kind) {
    case 'counter':
      return m.exposure === undefined ? [m.series] : [m.series, m.exposure];
    case 'gauge':
      return m.per === undefined ? [m.series] : [m.series, m.per];
    case 'traffic':
      return [m.series];
    case 'quantile':
      return [...m.buckets.map((b) => bucketSeries(m.series, b)), bucketSeries(m.series, '+Inf')];
  }
}

export interface DataLimits {
  /** Fewest canary hosts with usable data in both windows. */
  minCanaryHosts: number;
  /** Fewest control hosts with usable data in both windows. */
  minControlHosts: number;
  /** Largest fraction of hosts in either group whose data may be missing. */
  maxMissingFraction: number;
}

export interface JudgeInput {
  /** Names of the snapshot columns, in order. */
  series: string[];
  metrics: MetricSpec[];
  canary: HostSeries[];
  control: HostSeries[];
  /** False-rollback budget of this look, across all its metrics (see alphaForLook). */
  alpha: number;
  limits?: Partial<DataLimits>;
  /**
   * A counter passes only with enough expected events to have seen the
   * regression it tolerates (eventsToPass); otherwise it is inconclusive.
   * Set for the looks that gate the rollout (canary, waves); watch looks
   * accumulate their window, so an early thin one waits for the next.
   */
  requireEnoughData?: boolean;
}

/** The numbers behind one metric's verdict. */
export interface MetricEvidence {
  test: 'rate-ratio-did' | 'rank-did' | 't-did' | 'traffic-per-host' | 'none';
  /** Canary and control values in the window since the switch (rate or mean level). */
  canaryAfter: number | null;
  controlAfter: number | null;
  canaryBefore: number | null;
  controlBefore: number | null;
  /** Estimated multiplicative effect on the canary, relative to control (difference in differences). */
  ratio: number | null;
  /** The ratio the metric tolerates. */
  toleratedRatio: number;
  pValue: number | null;
  /** The p-value must fall below this for a regression. */
  threshold: number;
  canaryHosts: number;
  controlHosts: number;
  /** Test-specific extras (dispersion, degrees of freedom, exposure...). */
  detail: Record<string, number>;
}

export interface MetricVerdict {
  metric: string;
  verdict: Verdict;
  critical: boolean;
  /** One line a person can act on. */
  reason: string;
  evidence: MetricEvidence;
  /** Undecided only because the canary has not yet seen minExposure: time, not a person, answers it. */
  shortOfExposure?: true;
}

export interface JudgeVerdict {
  verdict: Verdict;
  reason: string;
  metrics: MetricVerdict[];
  alpha: number;
  /** Inconclusive only because metrics wait for exposure: a later look of the same window may decide. */
  waitsForExposure?: true;
}
