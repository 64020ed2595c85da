// Scrapes a Prometheus text-format endpoint on the host and sums the samples
// of each wanted series (optionally only those whose labels match). Parsing
// is done by parse-prometheus-text-format rather than by hand.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { ProbeError, type Probe, type ProbeContext } from './types.js';

export interface PrometheusSeries {
  /** Series name phased uses, e.g. "http_5xx". */
  series: string;
  /** Metric family; histograms and summaries also answer to <family>_sum and <family>_count. */
  metric: string;
  /** Only samples whose labels match every entry (a value may be a /regex/). */
  labels?: Record<string, string>;
}

export interface PrometheusProbeOptions {
  /** Port of the endpoint on the host. */
  port: number;
  path?: string;
  scheme?: 'http' | 'https';
  series: PrometheusSeries[];
}

function labelMatches(want: Record<string, string> | undefined, have: Record<string, string> = {}) {
  if (!want) return true;
  return Object.entries(want).every(([k, v]) => {
    const actual = have[k] ?? '';
    return v.length > 1 && v.startsWith('/') && v.endsWith('/')
      ? new RegExp(`^(?:${v.slice(1, -1)})$`).test(actual)
      : actual === v;
  });
}

/** Sums each wanted series over the parsed exposition text; missing series are absent. */
export function selectSeries(text: string, wanted: readonly PrometheusSeries[]) {
  const families = parsePrometheusTextFormat(text);
  const values: Record<string, number> = {};
  for (const w of wanted) {
    let total: number | undefined;
    for (const f of families) {
      const field =
        f.name === w.metric
          ? 'value'
          : `${f.name}_sum` === w.metric
            ? 'sum'
            : `${f.name}_count` === w.metric
              ? 'count'
              : undefined;
      if (!field) continue;
      for (const sample of f.metrics) {
        const raw = sample[field];
        if (raw === undefined || !labelMatches(w.labels, sample.labels)) continue;
        total = (total ?? 0) + Number(raw);
      }
    }
    if (total !== undefined && Number.isFinite(total)) values[w.series] = total;
  }
  return values;
}

export function prometheusProbe(options: PrometheusProbeOptions): Probe {
  const { port, path = '/metrics', scheme = 'http' } = options;
  return {
    series: options.series.map((s) => s.series),
    async read({ host, timeoutMs }: ProbeContext) {
      const url = `${scheme}://${host.address.includes(':') ? `[${host.address}]` : host.address}:${port}${path}`;
      let text: string;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        text = await response.text();
      } catch (cause) {
        throw new ProbeError(host.name, 'prometheus', `cannot scrape ${url}: ${String(cause)}`, {
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
        if (!(s.series in values))
          throw new ProbeError(
            host.name,
            'prometheus',
            `${url} has no ${s.metric}${s.labels ? JSON.stringify(s.labels) : ''}`,
          );
      return { values };
    },
  };
}
