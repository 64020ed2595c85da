// Scrapes a Prometheus text-format endpoint on the host and reads each wanted
// series from it: a sum of matching samples, a histogram's buckets, or a
// summary's quantile (see exposition.ts for the parsing).
import { rootCause } from '../errors.js';
import { bucketSeries } from '../judge/types.js';
import { hostUrl } from '../transport/host-url.js';
import { parseSamples } from './exposition.js';
import { ProbeError, type Probe, type ProbeContext } from './types.js';

export interface PrometheusSeries {
  /** Series name phased uses, e.g. "http_5xx". */
  series: string;
  /** Metric family; histograms and summaries also answer to <family>_sum and <family>_count. */
  metric: string;
  /** Only samples whose labels match every entry (a value may be a /regex/). */
  labels?: Record<string, string>;
  /** A summary's precomputed quantile (0.99): its value on the one matching sample. */
  quantile?: number;
  /**
   * A histogram's cumulative buckets: one value per bucket bound, named
   * `<series>@le=<bound>` (and `@le=+Inf`), summed over matching samples. A
   * metric of kind quantile turns them into a quantile per host and window.
   */
  buckets?: boolean;
}

export interface PrometheusProbeOptions {
  /** Port of the endpoint on the host. */
  port: number;
  path?: string;
  scheme?: 'http' | 'https';
  series: PrometheusSeries[];
}

function labelMatches(want: Record<string, string> | undefined, have: Record<string, string>) {
  if (!want) return true;
  return Object.entries(want).every(([k, v]) => {
    const actual = have[k] ?? '';
    return v.length > 1 && v.startsWith('/') && v.endsWith('/')
      ? new RegExp(`^(?:${v.slice(1, -1)})$`).test(actual)
      : actual === v;
  });
}

/** Labels that split one series into parts (buckets, quantiles), unless asked for by name. */
const PART_LABELS = ['le', 'quantile'];

/**
 * Each wanted series from the exposition text: the sum of the samples of
 * that name whose labels match (a counter, a gauge, a histogram's _sum or
 * _count); a histogram's cumulative buckets (`buckets`), summed per bound
 * over the matching label sets; or a summary's quantile, from the one
 * matching sample. Series the text lacks are absent.
 */
export function selectSeries(text: string, wanted: readonly PrometheusSeries[]) {
  const samples = parseSamples(text);
  const values: Record<string, number> = {};
  const matching = (name: string, w: PrometheusSeries) =>
    samples.filter((s) => s.name === name && labelMatches(w.labels, s.labels));
  for (const w of wanted) {
    if (w.buckets) {
      for (const s of matching(`${w.metric}_bucket`, w)) {
        const le = s.labels.le;
        if (le === undefined) continue;
        const key = bucketSeries(w.series, le === '+Inf' ? '+Inf' : Number(le));
        values[key] = (values[key] ?? 0) + s.value;
      }
      continue;
    }
    if (w.quantile !== undefined) {
      const q = matching(w.metric, w).filter((s) => Number(s.labels.quantile) === w.quantile);
      if (q.length === 1 && Number.isFinite(q[0]!.value)) values[w.series] = q[0]!.value;
      continue;
    }
    const parts = matching(w.metric, w).filter((s) =>
      PART_LABELS.every((l) => s.labels[l] === undefined || w.labels?.[l] !== undefined),
    );
    if (parts.length === 0) continue;
    const total = parts.reduce((sum, s) => sum + s.value, 0);
    if (Number.isFinite(total)) values[w.series] = total;
  }
  return values;
}

export function prometheusProbe(options: PrometheusProbeOptions): Probe {
  const { port, path = '/metrics', scheme = 'http' } = options;
  return {
    series: options.series.map((s) => s.series),
    async read({ host, timeoutMs }: ProbeContext) {
      const url = hostUrl(host, { scheme, port, path });
      let text: string;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        text = await response.text();
      } catch (cause) {
        throw new ProbeError(host.name, 'prometheus', `cannot scrape ${url}: ${rootCause(cause)}`, {
          cause,
        });
      }
      let values: Record<string, number>;
      try {
        values = selectSeries(text, options.series);
      } catch (cause) {
        throw new ProbeError(
          host.name,
          'prometheus',
          `${url} is not Prometheus text format: ${String(cause)}`,
          { cause },
        );
      }
      for (const s of options.series)
        if (s.buckets ? !(bucketSeries(s.series, '+Inf') in values) : !(s.series in values))
          throw new ProbeError(
            host.name,
            'prometheus',
            `${url} has no ${s.metric}${s.labels ? JSON.stringify(s.labels) : ''}`,
          );
      return { values };
    },
  };
}
