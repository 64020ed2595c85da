// Reads hosts' series from a central Prometheus with PromQL, instead of from
// the hosts themselves. A series is either a query per host, with the host's
// identity substituted as an escaped string literal, or one query for the
// whole fleet whose result is split among the hosts by a label (`by
// (instance)`). One reader serves every host of a sampling activity, so a
// fleet query runs once per reading, not once per host, and a baseline read
// from history is one range query per query, not one instant query per
// reading. The judge gets the same per-host counters, gauges and histogram
// buckets as from the host probes.
import { bucketSeries, NO_DATA_IN_STORE } from '../judge/types.js';
import type { Host } from '../core/vocabulary.js';
import {
  PrometheusApi,
  PrometheusQueryError,
  type InstantSample,
  type PrometheusSource,
  type RangeSeries,
} from './prometheus-api.js';
import { ProbeError, type Probe, type ProbeContext } from './types.js';

export type { PrometheusSource } from './prometheus-api.js';

export interface PromqlSeries {
  /** Series name phased uses, e.g. "http_5xx". */
  series: string;
  /**
   * An instant query. Without `hostLabel`, one query per host, in which
   * {host} and {address} stand for it; with it, one query for the fleet.
   */
  query: string;
  /** The label whose value tells which host a sample of a fleet query belongs to (e.g. instance). */
  hostLabel?: string;
  /** The host's value of `hostLabel`; {host} and {address} stand for it (default "{host}"). */
  hostLabelValue?: string;
  /**
   * The query returns a histogram's cumulative buckets, one sample per `le`
   * (e.g. `sum by (le) (http_request_seconds_bucket{instance="{address}:9100"})`):
   * read as the columns `<series>@le=<bound>`.
   */
  buckets?: boolean;
}

/** A PromQL double-quoted string's content for `value`: backslashes, quotes and newlines escaped. */
export const promqlString = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The query for one host: {host} and {address} replaced by escaped literals (used inside "..."). */
export const queryFor = (template: string, host: Host) =>
  template
    .replaceAll('{host}', promqlString(host.name))
    .replaceAll('{address}', promqlString(host.address));

/** A host's value of a fleet query's host label (compared, never spliced into a query). */
export const labelValueFor = (template: string, host: Host) =>
  template.replaceAll('{host}', host.name).replaceAll('{address}', host.address);

/** Evenly spaced past moments whose readings are taken together, by range queries. */
export interface ReadingGrid {
  startMs: number;
  stepMs: number;
  count: number;
}

/**
 * Runs each distinct query once for all the hosts of one sampling activity:
 * an instant query per moment, or, for the moments of `grid`, one range
 * query for all of them.
 */
export class PromqlReader {
  private readonly instants = new Map<string, Promise<InstantSample[]>>();
  private readonly ranges = new Map<string, Promise<RangeSeries[]>>();

  constructor(
    readonly api: PrometheusApi,
    /** The moment a live reading is taken (one for every host of the activity). */
    private readonly now: number,
    private readonly grid?: ReadingGrid,
  ) {}

  /** Counts the queries sent, for the tests and the benchmark. */
  queries = 0;

  async vector(query: string, at: number | undefined, timeoutMs: number): Promise<InstantSample[]> {
    const t = at ?? this.now;
    const g = this.grid;
    const k = g ? (t - g.startMs) / g.stepMs : NaN;
    if (g && Number.isInteger(k) && k >= 0 && k < g.count) {
      let range = this.ranges.get(query);
      if (!range) {
        this.queries++;
        range = this.api.range(query, g, timeoutMs);
        this.ranges.set(query, range);
      }
      return (await range).flatMap((s) => {
        const value = s.values.get(t);
        return value === undefined ? [] : [{ metric: s.metric, value }];
      });
    }
    const key = `${t} ${query}`;
    let instant = this.instants.get(key);
    if (!instant) {
      this.queries++;
      instant = this.api.instant(query, t, timeoutMs);
      this.instants.set(key, instant);
    }
    return instant;
  }
}

/** One reader per source for an activity (live readings at `now`, or a history grid). */
export const promqlReader = (
  source: PrometheusSource,
  now: number,
  grid?: ReadingGrid,
  env: NodeJS.ProcessEnv = process.env,
) => new PromqlReader(new PrometheusApi(source, env), now, grid);

/** What one series of the probe gives a host: its columns, or why it has no data. */
function valuesOf(
  s: PromqlSeries,
  samples: InstantSample[],
  host: Host,
): Record<string, number> | null {
  const mine =
    s.hostLabel === undefined
      ? samples
      : samples.filter(
          (x) => x.metric[s.hostLabel!] === labelValueFor(s.hostLabelValue ?? '{host}', host),
        );
  if (mine.length === 0) return null;
  if (!s.buckets) return { [s.series]: mine.reduce((sum, x) => sum + x.value, 0) };
  const values: Record<string, number> = {};
  for (const x of mine) {
    const le = x.metric.le;
    if (le === undefined) continue;
    const key = bucketSeries(s.series, le === '+Inf' ? '+Inf' : Number(le));
    values[key] = (values[key] ?? 0) + x.value;
  }
  if (!(bucketSeries(s.series, '+Inf') in values))
    throw new PrometheusQueryError(
      `${JSON.stringify(s.query)} has no le="+Inf" bucket: sum it by (le)`,
    );
  return values;
}

/** How a series that found no data for a host is named in the reason. */
const noDataFor = (s: PromqlSeries, host: Host) =>
  s.hostLabel === undefined
    ? JSON.stringify(queryFor(s.query, host))
    : `${JSON.stringify(s.query)} (no ${s.hostLabel}="${labelValueFor(s.hostLabelValue ?? '{host}', host)}")`;

export function promqlProbe(reader: PromqlReader, series: readonly PromqlSeries[]): Probe {
  return {
    series: series.map((s) => s.series),
    async read({ host, timeoutMs, at }: ProbeContext) {
      const values: Record<string, number> = {};
      const noData = new Set<PromqlSeries>();
      try {
        await Promise.all(
          series.map(async (s) => {
            const query = s.hostLabel === undefined ? queryFor(s.query, host) : s.query;
            const got = valuesOf(s, await reader.vector(query, at, timeoutMs), host);
            if (got) Object.assign(values, got);
            else noData.add(s);
          }),
        );
      } catch (cause) {
        if (!(cause instanceof PrometheusQueryError)) throw cause;
        throw new ProbeError(host.name, 'promql', cause.message, { cause });
      }
      // Prometheus answers "nothing" for a series that is stale or absent: missing data, with why.
      if (noData.size > 0) {
        // In the cluster file's order, whatever order the answers came in.
        const which = series.filter((s) => noData.has(s)).map((s) => noDataFor(s, host));
        throw new ProbeError(host.name, 'promql', `${NO_DATA_IN_STORE} for ${which.join(', ')}`);
      }
      return { values };
    },
  };
}
