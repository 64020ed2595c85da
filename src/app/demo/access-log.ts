// The demo app's access log and how phased reads it: the line the app
// writes, the log-counts probe that counts requests and 5xx responses in
// it, and the error-rate metric judged from them. The demo's cluster and
// the tests' local fleets share these, so what the tests judge is what the
// demo shows.

/** Where a host's access log lives, under its deploy root. */
export const ACCESS_LOG = 'logs/access.log';

/** One access log line: "<ISO time> <method> <url> <status> <ms>ms <revision>". */
export function accessLogLine(
  at: Date,
  req: { method: string; url: string },
  status: number,
  ms: number,
  revision: string,
): string {
  return `${at.toISOString()} ${req.method} ${req.url} ${status} ${ms}ms ${revision}\n`;
}

/** Counts every request and the 5xx responses, per host (a cluster file's probe). */
export const accessLogProbe = {
  type: 'log-counts',
  path: `{root}/${ACCESS_LOG}`,
  counts: [
    { series: 'http_requests', pattern: '^' },
    { series: 'http_5xx', pattern: ' 5[0-9][0-9] [0-9]+ms ' },
  ],
} as const;

/** 5xx responses per request, judged against the control hosts: +20% tolerated. */
export const errorRateMetric = {
  name: 'http_5xx',
  kind: 'counter',
  series: 'http_5xx',
  exposure: 'http_requests',
  tolerance: 0.2,
  critical: true,
} as const;
