// Tail latency from Prometheus exposition text: histogram buckets become one
// column per bound, a quantile per host and window comes from their
// increments (checked against hand computations), summaries give their own
// quantiles, and the judge catches a regression only the tail shows.
import { describe, expect, it } from 'vitest';
import { judge, type HostSeries, type MetricSpec } from '../../../src/judge/index.js';
import { poolQuietHosts } from '../../../src/judge/classify-metric.js';
import { bucketSeries } from '../../../src/judge/types.js';
import { selectSeries } from '../../../src/metrics/prometheus.js';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { bucketQuantile, histogramQuantile } from '../../../src/stats/histogram.js';

const EXPOSITION = `# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{route="/",le="0.05"} 240
http_request_duration_seconds_bucket{route="/",le="0.1"} 900
http_request_duration_seconds_bucket{route="/",le="0.5"} 990
http_request_duration_seconds_bucket{route="/",le="+Inf"} 1000
http_request_duration_seconds_sum{route="/"} 71.2
http_request_duration_seconds_count{route="/"} 1000
http_request_duration_seconds_bucket{route="/api",le="0.05"} 10
http_request_duration_seconds_bucket{route="/api",le="0.1"} 50
http_request_duration_seconds_bucket{route="/api",le="0.5"} 95
http_request_duration_seconds_bucket{route="/api",le="+Inf"} 100
http_request_duration_seconds_sum{route="/api"} 20.5
http_request_duration_seconds_count{route="/api"} 100
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 0.047
rpc_duration_seconds{quantile="0.99"} 0.766
rpc_duration_seconds_sum 17560.4
rpc_duration_seconds_count 2693
`;

describe('histogram buckets and summary quantiles from exposition text', () => {
  it('sums each bucket over the matching label sets, one column per bound', () => {
    expect(
      selectSeries(EXPOSITION, [
        { series: 'latency', metric: 'http_request_duration_seconds', buckets: true },
      ]),
    ).toEqual({
      'latency@le=0.05': 250,
      'latency@le=0.1': 950,
      'latency@le=0.5': 1085,
      'latency@le=+Inf': 1100,
    });
    expect(
      selectSeries(EXPOSITION, [
        {
          series: 'api',
          metric: 'http_request_duration_seconds',
          labels: { route: '/api' },
          buckets: true,
        },
      ]),
    ).toEqual({ 'api@le=0.05': 10, 'api@le=0.1': 50, 'api@le=0.5': 95, 'api@le=+Inf': 100 });
  });

  it("reads a summary's quantile", () => {
    expect(
      selectSeries(EXPOSITION, [{ series: 'p99', metric: 'rpc_duration_seconds', quantile: 0.99 }]),
    ).toEqual({ p99: 0.766 });
  });

  it('interpolates a quantile inside its bucket, as histogram_quantile does', () => {
    const bounds = [0.05, 0.1, 0.5];
    // Route "/": rank 0.99 * 1000 = 990 is the last of the 0.1-0.5 bucket: 0.5.
    expect(histogramQuantile(0.99, bounds, [240, 900, 990, 1000])).toBeCloseTo(0.5, 12);
    // Rank 500 falls in 0.05-0.1 (240 below, 660 inside): 0.05 + 0.05 * 260 / 660.
    expect(histogramQuantile(0.5, bounds, [240, 900, 990, 1000])).toBeCloseTo(
      0.05 + (0.05 * 260) / 660,
      12,
    );
    // The first bucket starts at 0: rank 120 of 240 in 0-0.05 is 0.025.
    expect(histogramQuantile(0.12, bounds, [240, 900, 990, 1000])).toBeCloseTo(0.025, 12);
    // A rank in the +Inf bucket answers the highest finite bound.
    expect(histogramQuantile(0.999, bounds, [240, 900, 990, 1000])).toBe(0.5);
    expect(histogramQuantile(0.5, bounds, [0, 0, 0, 0])).toBeNull();
  });
});

/** Prometheus's default buckets, in seconds: each 2-2.5 times as wide as the one below. */
const PROMETHEUS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Cumulative counts of `n` lognormal latencies with this mean, rounded to whole requests. */
function lognormalCounts(n: number, meanS: number, sigma: number, bounds = PROMETHEUS_BUCKETS) {
  const mu = Math.log(meanS) - (sigma * sigma) / 2;
  return [...bounds.map((b) => Math.round(n * normalCdf(Math.log(b), mu, sigma))), n];
}
const lognormalP99 = (meanS: number, sigma: number) =>
  Math.exp(Math.log(meanS) - (sigma * sigma) / 2 + 2.326348 * sigma);

describe('a quantile inside a wide bucket', () => {
  it('reads where lognormal latency puts it, where linear interpolation reads it far too high', () => {
    for (const [mean, sigma] of [
      [0.05, 0.35],
      [0.07, 0.35],
      [0.105, 0.35],
      [0.07, 0.6],
      [0.02, 1],
    ] as const) {
      const counts = lognormalCounts(1_000_000, mean, sigma);
      const truth = lognormalP99(mean, sigma);
      expect(bucketQuantile(0.99, PROMETHEUS_BUCKETS, counts)! / truth).toBeCloseTo(1, 2);
    }
    // p99 149 ms, in the 100-250 ms bucket with most of it near 100 ms:
    // histogram_quantile says 237 ms.
    expect(
      histogramQuantile(0.99, PROMETHEUS_BUCKETS, lognormalCounts(1e6, 0.07, 0.35)),
    ).toBeCloseTo(0.237, 3);
  });

  it('sees a p99 x1.5 that stays inside the bucket as x1.5, not x1.05', () => {
    const before = lognormalCounts(1e6, 0.07, 0.35); // p99 149 ms
    const after = lognormalCounts(1e6, 0.105, 0.35); // p99 223 ms, the same bucket
    const ratio = (read: typeof bucketQuantile) =>
      read(0.99, PROMETHEUS_BUCKETS, after)! / read(0.99, PROMETHEUS_BUCKETS, before)!;
    expect(ratio(bucketQuantile)).toBeCloseTo(1.5, 2);
    expect(ratio(histogramQuantile)).toBeLessThan(1.06);
  });

  it('answers inside the rank bucket, and is histogram_quantile with no two bounds to go by', () => {
    const bounds = [0.05, 0.1, 0.5];
    // Rank 990 of 1000 falls in 0.1-0.5 with 10 observations above it: between the bounds.
    const q = bucketQuantile(0.99, bounds, [240, 900, 990, 1000])!;
    expect(q).toBeGreaterThanOrEqual(0.1);
    expect(q).toBeLessThanOrEqual(0.5);
    // Every observation in one bucket: no bound has observations on both sides.
    expect(bucketQuantile(0.5, bounds, [0, 1000, 1000, 1000])).toBe(
      histogramQuantile(0.5, bounds, [0, 1000, 1000, 1000]),
    );
    // The +Inf bucket still answers the highest finite bound; no observations, null.
    expect(bucketQuantile(0.999, bounds, [240, 900, 990, 1000])).toBe(0.5);
    expect(bucketQuantile(0.5, bounds, [0, 0, 0, 0])).toBeNull();
  });

  it('the judge catches p99 x1.5 inside one of the default buckets and passes a like canary', () => {
    const spec: MetricSpec = { ...p99Of(PROMETHEUS_BUCKETS), tolerance: 0.2 };
    const cols = [
      ...PROMETHEUS_BUCKETS.map((b) => bucketSeries('latency', b)),
      bucketSeries('latency', '+Inf'),
    ];
    // 20,000 requests a window; hosts' mean latency differs by up to 6%.
    const host = (name: string, i: number, slower: number): HostSeries => {
      const mean = 0.07 * (1 + (i % 7) / 100);
      const before = lognormalCounts(20_000, mean, 0.35);
      const after = lognormalCounts(20_000, mean * slower, 0.35);
      return {
        host: name,
        before: [
          { t: 0, v: cols.map(() => 0) },
          { t: 60_000, v: before },
        ],
        after: [
          { t: 60_000, v: before },
          { t: 120_000, v: before.map((x, k) => x + after[k]!) },
        ],
      };
    };
    const verdict = (slower: number) =>
      judge({
        series: cols,
        metrics: [spec],
        alpha: 0.001,
        canary: Array.from({ length: 10 }, (_, i) => host(`c${i}`, i, slower)),
        control: Array.from({ length: 40 }, (_, i) => host(`h${i}`, i + 3, 1)),
      }).metrics[0]!;
    const slow = verdict(1.5);
    expect(slow.verdict).toBe('regression');
    expect(slow.evidence.ratio!).toBeCloseTo(1.5, 1);
    expect(slow.evidence.canaryAfter!).toBeLessThan(0.25);
    expect(verdict(1).verdict).toBe('pass');
  });
});

/** A p99 from latency buckets, as the judge tests below read it. */
const bounds = [0.025, 0.05, 0.1, 0.25, 0.5, 1];
const columns = [...bounds.map((b) => bucketSeries('latency', b)), bucketSeries('latency', '+Inf')];
function p99Of(buckets: number[]): MetricSpec {
  return {
    name: 'p99_latency',
    kind: 'quantile',
    series: 'latency',
    quantile: 0.99,
    buckets,
    worse: 'higher',
    tolerance: 0.1,
    critical: true,
  };
}
const p99 = p99Of(bounds);
describe('the judge on a quantile', () => {
  /** 10,000 requests per window: most under 50 ms, a tail that `slowTail` moves from 0.1-0.25 s to 0.5-1 s. */
  const window = (slowTail: boolean, jitter: number) => {
    const perBucket = slowTail
      ? [2000, 6000, 1700, 150, 50, 100, 0]
      : [2000, 6000, 1700 + jitter, 250 - jitter, 50, 0, 0];
    let sum = 0;
    return perBucket.map((n) => (sum += n));
  };
  const host = (name: string, slowAfter: boolean, i: number): HostSeries => {
    const before = window(false, i % 7);
    const after = window(slowAfter, (i * 3) % 7);
    return {
      host: name,
      before: [
        { t: 0, v: columns.map(() => 0) },
        { t: 60_000, v: before },
      ],
      after: [
        { t: 60_000, v: before },
        { t: 120_000, v: before.map((x, k) => x + after[k]!) },
      ],
    };
  };
  const fleet = (slow: boolean) => ({
    series: columns,
    metrics: [p99],
    alpha: 0.001,
    canary: Array.from({ length: 5 }, (_, i) => host(`c${i}`, slow, i)),
    control: Array.from({ length: 40 }, (_, i) => host(`h${i}`, false, i + 5)),
  });

  it('passes a canary whose tail is like the control', () => {
    const m = judge(fleet(false)).metrics[0]!;
    expect(m.verdict).toBe('pass');
  });

  it('catches a regression only the tail shows, in p99 terms', () => {
    const m = judge(fleet(true)).metrics[0]!;
    expect(m.verdict).toBe('regression');
    expect(m.reason).toMatch(
      /^p99_latency: canary p99 0\.\d+ vs control p99 0\.\d+ \(x\d\.\d+ vs own baselines, tolerated x1\.10\), rank p=[\d.e-]+ < 0\.001 -> regression$/,
    );
    expect(m.evidence.canaryAfter!).toBeGreaterThanOrEqual(0.5);
    expect(m.evidence.controlAfter!).toBeLessThan(0.25);
  });
});

describe('quiet hosts on a quantile are pooled, not missing', () => {
  // Per window: a busy host serves 10,000 requests, a quiet one 100 (p99 needs 500).
  const window = (requests: number, slowTail: boolean, jitter: number) => {
    const share = slowTail
      ? [0.2, 0.6, 0.17, 0.015, 0.005, 0.01, 0]
      : [0.2, 0.6, 0.17 + jitter / 10_000, 0.025 - jitter / 10_000, 0.005, 0, 0];
    let sum = 0;
    return share.map((x) => (sum += x * requests));
  };
  const host = (name: string, requests: number, slowAfter: boolean, i: number): HostSeries => {
    const before = window(requests, false, i % 7);
    const after = window(requests, slowAfter, (i * 3) % 7);
    return {
      host: name,
      before: [
        { t: 0, v: columns.map(() => 0) },
        { t: 60_000, v: before },
      ],
      after: [
        { t: 60_000, v: before },
        { t: 120_000, v: before.map((x, k) => x + after[k]!) },
      ],
    };
  };
  /** 10 canaries and 40 controls; the first `quiet` of each group serve `quietly` requests a window. */
  const fleet = (slow: boolean, quiet: { canary: number; control: number }, quietly = 100) => ({
    series: columns,
    metrics: [p99],
    alpha: 0.001,
    canary: Array.from({ length: 10 }, (_, i) =>
      host(`c${i}`, i < quiet.canary ? quietly : 10_000, slow, i),
    ),
    control: Array.from({ length: 40 }, (_, i) =>
      host(`h${i}`, i < quiet.control ? 100 : 10_000, false, i + 5),
    ),
  });

  it('pools quiet hosts in order into cells with enough observations; the rest joins the last', () => {
    const quiet = (n: number) => ({ before: [n / 2, n], after: [n / 2, n] });
    const pools = poolQuietHosts([quiet(200), quiet(300), quiet(400), quiet(100), quiet(50)], 500);
    expect(pools).toEqual([
      { before: [250, 500], after: [250, 500] },
      { before: [275, 550], after: [275, 550] },
    ]);
    // Short on one side keeps the cell open.
    const lopsided = poolQuietHosts(
      [
        { before: [0, 600], after: [0, 100] },
        { before: [0, 100], after: [0, 450] },
      ],
      500,
    );
    expect(lopsided).toEqual([{ before: [0, 700], after: [0, 550] }]);
    // Together short of it: one short cell, which the judge does not count.
    expect(poolQuietHosts([quiet(100), quiet(100)], 500)).toEqual([
      { before: [100, 200], after: [100, 200] },
    ]);
  });

  it('a fleet with 30% quiet controls passes a good canary instead of calling them missing', () => {
    const m = judge(fleet(false, { canary: 0, control: 12 })).metrics[0]!;
    expect(m.verdict).toBe('pass');
    // 12 quiet controls of 100 requests: pools of 5, the last 2 joining the second.
    expect(m.reason).toContain('quiet hosts pooled: control 12 into 2');
    expect(m.evidence.controlHosts).toBe(30);
    expect(m.evidence.detail.controlPooledHosts).toBe(12);
  });

  it('catches a tail regression when quiet hosts are on both sides', () => {
    const m = judge(fleet(true, { canary: 5, control: 12 })).metrics[0]!;
    expect(m.verdict).toBe('regression');
    expect(m.reason).toContain('quiet hosts pooled: canary 5 into 1, control 12 into 2');
    expect(m.evidence.canaryHosts).toBe(6);
  });

  it('hosts too quiet even together are named as such, not as missing data', () => {
    // Ten canaries of 40 requests: 400 together, p99 needs 500.
    const m = judge(fleet(false, { canary: 10, control: 0 }, 40)).metrics[0]!;
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toBe(
      'p99_latency: inconclusive: 0 canary hosts with data, needs 1; 10 too quiet even pooled',
    );
  });
});

describe('exposition lines', () => {
  it('reads escaped label values, special values and timestamps, and names a bad line', async () => {
    const { parseSamples } = await import('../../../src/metrics/exposition.js');
    expect(
      parseSamples(
        [
          '# TYPE x gauge',
          'x{path="/a\\"b\\\\c",msg="line\\nbreak"} +Inf 1700000000000',
          'y -1.5e3',
          'z{} NaN',
        ].join('\n'),
      ),
    ).toEqual([
      { name: 'x', labels: { path: '/a"b\\c', msg: 'line\nbreak' }, value: Infinity },
      { name: 'y', labels: {}, value: -1500 },
      { name: 'z', labels: {}, value: NaN },
    ]);
    expect(() => parseSamples('ok 1\nbad{le="1" 2')).toThrow('line 2:');
    expect(() => parseSamples('x one')).toThrow('"one" is not a sample value');
  });
});
