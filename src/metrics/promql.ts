// Reads a host's series from a central Prometheus with PromQL, instead of
// from the host itself: one instant query per series, with the host's
// identity substituted into the query as an escaped string literal. The
// judge gets the same per-host counters, gauges and histogram buckets as
// from the host probes. The server's token is read on the worker (from a
// file or an environment variable), never carried in a workflow's input.
import { readFileSync } from 'node:fs';
import { rootCause } from '../errors.js';
import { bucketSeries } from '../judge/types.js';
import type { Host } from '../core/vocabulary.js';
import { ProbeError, type Probe, type ProbeContext } from './types.js';

export interface PrometheusSource {
  url: string;
  bearerTokenFile?: string;
  bearerTokenEnv?: string;
}

export interface PromqlSeries {
  /** Series name phased uses, e.g. "http_5xx". */
  series: string;
  /** An instant query whose result is this host's value; {host} and {address} stand for the host. */
  query: string;
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

interface QueryResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: {
    resultType: 'vector' | 'scalar' | 'matrix' | 'string';
    result: { metric: Record<string, string>; value: [number, string] }[] | [number, string];
  };
}

function bearerToken(
  source: PrometheusSource,
  env: NodeJS.ProcessEnv,
  host: Host,
): string | undefined {
  if (source.bearerTokenFile) {
    try {
      return readFileSync(source.bearerTokenFile, 'utf8').trim();
    } catch (cause) {
      throw new ProbeError(
        host.name,
        'promql',
        `cannot read the Prometheus token file ${source.bearerTokenFile} on the worker: ${rootCause(cause)}`,
        { cause },
      );
    }
  }
  if (source.bearerTokenEnv) {
    const token = env[source.bearerTokenEnv];
    if (!token)
      throw new ProbeError(
        host.name,
        'promql',
        `the worker has no ${source.bearerTokenEnv} (the Prometheus token)`,
      );
    return token;
  }
  return undefined;
}

export function promqlProbe(
  source: PrometheusSource,
  series: readonly PromqlSeries[],
  env: NodeJS.ProcessEnv = process.env,
): Probe {
  const base = source.url.replace(/\/+$/, '');
  return {
    series: series.map((s) => s.series),
    async read({ host, timeoutMs, at }: ProbeContext) {
      const token = bearerToken(source, env, host);
      const time = (at ?? Date.now()) / 1000;
      const values: Record<string, number> = {};
      const noData = new Set<PromqlSeries>();
      await Promise.all(
        series.map(async (s) => {
          const query = queryFor(s.query, host);
          const url = `${base}/api/v1/query?${new URLSearchParams({ query, time: String(time) }).toString()}`;
          let body: QueryResponse;
          try {
            const response = await fetch(url, {
              headers: token ? { authorization: `Bearer ${token}` } : {},
              signal: AbortSignal.timeout(timeoutMs),
            });
            body = (await response.json()) as QueryResponse;
            if (!response.ok && body.status !== 'error') throw new Error(`HTTP ${response.status}`);
          } catch (cause) {
            throw new ProbeError(
              host.name,
              'promql',
              `cannot query Prometheus at ${base}: ${rootCause(cause)}`,
              { cause },
            );
          }
          if (body.status !== 'success' || !body.data)
            throw new ProbeError(
              host.name,
              'promql',
              `Prometheus refused ${JSON.stringify(query)}: ${body.errorType ?? 'error'}: ${body.error ?? ''}`,
            );
          const { resultType, result } = body.data;
          const samples =
            resultType === 'scalar'
              ? [{ metric: {}, value: result as [number, string] }]
              : resultType === 'vector'
                ? (result as { metric: Record<string, string>; value: [number, string] }[])
                : null;
          if (!samples)
            throw new ProbeError(
              host.name,
              'promql',
              `${JSON.stringify(query)} gives a ${resultType}, not an instant vector`,
            );
          const finite = samples.filter((x) => Number.isFinite(Number(x.value[1])));
          if (finite.length === 0) {
            noData.add(s);
            return;
          }
          if (s.buckets) {
            for (const x of finite) {
              const le = x.metric.le;
              if (le === undefined) continue;
              const key = bucketSeries(s.series, le === '+Inf' ? '+Inf' : Number(le));
              values[key] = (values[key] ?? 0) + Number(x.value[1]);
            }
            if (!(bucketSeries(s.series, '+Inf') in values))
              throw new ProbeError(
                host.name,
                'promql',
                `${JSON.stringify(query)} has no le="+Inf" bucket: sum it by (le)`,
              );
            return;
          }
          values[s.series] = finite.reduce((sum, x) => sum + Number(x.value[1]), 0);
        }),
      );
      // Prometheus answers "nothing" for a series that is stale or absent: missing data, with why.
      if (noData.size > 0) {
        // In the cluster file's order, whatever order the answers came in.
        const queries = series
          .filter((s) => noData.has(s))
          .map((s) => JSON.stringify(queryFor(s.query, host)));
        throw new ProbeError(
          host.name,
          'promql',
          `no data (stale or absent) for ${queries.join(', ')}`,
        );
      }
      return { values };
    },
  };
}
