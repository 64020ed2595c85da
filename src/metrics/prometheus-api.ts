// The two Prometheus HTTP API calls phased needs: an instant query and a
// range query. Credentials (a bearer token, headers such as a tenant id) are
// read on the worker from files or environment variables, never carried in a
// workflow's input.
import { readFileSync } from 'node:fs';
import { rootCause } from '../errors.js';

/** A header's value: literal (not secret: it is in the cluster file and the history), or read on the worker. */
export type HeaderValue = string | { env: string } | { file: string };

export interface PrometheusSource {
  url: string;
  bearerTokenFile?: string;
  bearerTokenEnv?: string;
  /** Extra request headers, e.g. X-Scope-OrgID for a multi-tenant Mimir or Cortex. */
  headers?: Record<string, HeaderValue>;
}

/** One series of a result: its labels and its value (instant) or values by time in ms (range). */
export interface InstantSample {
  metric: Record<string, string>;
  value: number;
}
export interface RangeSeries {
  metric: Record<string, string>;
  values: Map<number, number>;
}

/** Prometheus could not be asked, or refused the query: the message says which and why. */
export class PrometheusQueryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PrometheusQueryError';
  }
}

interface ApiResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

type Point = [number, string];

function readSecret(what: string, value: HeaderValue, env: NodeJS.ProcessEnv): string {
  if (typeof value === 'string') return value;
  if ('env' in value) {
    const v = env[value.env];
    if (!v) throw new PrometheusQueryError(`the worker has no ${value.env} (${what})`);
    return v;
  }
  try {
    return readFileSync(value.file, 'utf8').trim();
  } catch (cause) {
    throw new PrometheusQueryError(
      `cannot read ${value.file} (${what}) on the worker: ${rootCause(cause)}`,
      { cause },
    );
  }
}

/** The request headers for a source, read now (so a rotated token file is picked up). */
export function sourceHeaders(
  source: PrometheusSource,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(source.headers ?? {}))
    headers[name] = readSecret(`the Prometheus header ${name}`, value, env);
  const token = source.bearerTokenFile
    ? readSecret('the Prometheus token', { file: source.bearerTokenFile }, env)
    : source.bearerTokenEnv
      ? readSecret('the Prometheus token', { env: source.bearerTokenEnv }, env)
      : undefined;
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

export class PrometheusApi {
  readonly base: string;
  private headers: Record<string, string> | undefined;

  constructor(
    private readonly source: PrometheusSource,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.base = source.url.replace(/\/+$/, '');
  }

  /** The query's instant vector (or scalar) at `atMs`. */
  async instant(query: string, atMs: number, timeoutMs: number): Promise<InstantSample[]> {
    const data = await this.get('query', { query, time: seconds(atMs) }, query, timeoutMs);
    if (data.resultType === 'scalar') return finite([{ metric: {}, value: data.result as Point }]);
    if (data.resultType !== 'vector')
      throw new PrometheusQueryError(
        `${JSON.stringify(query)} gives a ${data.resultType}, not an instant vector`,
      );
    return finite(data.result as { metric: Record<string, string>; value: Point }[]);
  }

  /** The query evaluated at start, start + step, ... up to end (all in ms). */
  async range(
    query: string,
    grid: { startMs: number; stepMs: number; count: number },
    timeoutMs: number,
  ): Promise<RangeSeries[]> {
    const end = grid.startMs + (grid.count - 1) * grid.stepMs;
    const data = await this.get(
      'query_range',
      {
        query,
        start: seconds(grid.startMs),
        end: seconds(end),
        step: String(grid.stepMs / 1000),
      },
      query,
      timeoutMs,
    );
    if (data.resultType !== 'matrix')
      throw new PrometheusQueryError(
        `${JSON.stringify(query)} gives a ${data.resultType}, not a range of instant vectors`,
      );
    return (data.result as { metric: Record<string, string>; values: Point[] }[]).map((s) => ({
      metric: s.metric,
      values: new Map(
        s.values
          .filter(([, v]) => Number.isFinite(Number(v)))
          .map(([t, v]) => [Math.round(t * 1000), Number(v)]),
      ),
    }));
  }

  private async get(
    endpoint: string,
    params: Record<string, string>,
    query: string,
    timeoutMs: number,
  ): Promise<{ resultType: string; result: unknown }> {
    this.headers ??= sourceHeaders(this.source, this.env);
    const url = `${this.base}/api/v1/${endpoint}?${new URLSearchParams(params).toString()}`;
    let body: ApiResponse;
    try {
      const response = await fetch(url, {
        headers: this.headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      try {
        body = JSON.parse(text) as ApiResponse;
      } catch {
        throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
      }
      if (!response.ok && body.status !== 'error') throw new Error(`HTTP ${response.status}`);
    } catch (cause) {
      throw new PrometheusQueryError(
        `cannot query Prometheus at ${this.base}: ${rootCause(cause)}`,
        {
          cause,
        },
      );
    }
    if (body.status !== 'success' || !body.data)
      throw new PrometheusQueryError(
        `Prometheus refused ${JSON.stringify(query)}: ${body.errorType ?? 'error'}: ${body.error ?? ''}`,
      );
    return body.data;
  }
}

const seconds = (ms: number) => String(ms / 1000);

/** NaN and ±Inf (e.g. a rate over no data) are no data. */
const finite = (xs: { metric: Record<string, string>; value: Point }[]): InstantSample[] =>
  xs
    .map((x) => ({ metric: x.metric, value: Number(x.value[1]) }))
    .filter((x) => Number.isFinite(x.value));
