// Cumulative counters travel exact: the judge takes their differences, so a
// month-old Prometheus `_sum` rounded to six digits would move by thousands
// between readings. Sampled through the real activity (a command probe on a
// local host), and judged with counters that accumulated 10^12 before the deploy.
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it, inject } from 'vitest';
import { compactValue, createMetricActivities, exactColumns } from '../../activities/metrics.js';
import { judge, type HostSeries, type MetricSpec } from '../../src/judge/index.js';
import { LocalTransport } from '../../src/transport/local.js';
import { inActivity } from '../helpers/activity.js';
import { clusterOver } from '../helpers/clusters.js';

const latency: MetricSpec = {
  name: 'latency',
  kind: 'gauge',
  series: 'latency_sum',
  per: 'latency_count',
  worse: 'higher',
  tolerance: 0.2,
  critical: true,
};

describe('cumulative counters', () => {
  it('are sampled exact, while a plain gauge keeps six significant digits', async () => {
    const hosts = ['web-1', 'web-2', 'web-3', 'web-4'].map((name) => ({
      name,
      root: mkdtempSync(path.join(inject('testTmpDir'), `${name}-`)),
    }));
    const { store, ref } = clusterOver(hosts, {
      holdback: 0,
      probes: [
        {
          type: 'command',
          argv: [
            'printf',
            'latency_sum 2592001234.567891\nlatency_count 25920012345\nload1 0.123456789\n',
          ],
          series: ['latency_sum', 'latency_count', 'load1'],
        },
      ],
      metrics: [{ ...latency }, { name: 'load', kind: 'gauge', series: 'load1', tolerance: 0.5 }],
    });
    const activities = createMetricActivities({
      transport: () => new LocalTransport(),
      clusters: store,
      fetchSnapshots: () => Promise.reject(new Error('sampling fetches nothing')),
    });
    const reading = await inActivity(new MockActivityEnvironment(), () =>
      activities.sampleHosts({
        workflowId: 'w',
        ref,
        hosts: ['web-1'],
        series: ['latency_sum', 'latency_count', 'load1'],
        timeoutMs: 10_000,
      }),
    );
    expect(reading.errors).toEqual([]);
    expect(reading.v).toEqual([[2592001234.567891, 25920012345, 0.123457]]);
    expect([...exactColumns([latency])]).toEqual(['latency_sum', 'latency_count']);
  });

  it('judge a canary the same whether they started now or accumulated 10^12 thirty days ago', () => {
    const series = ['latency_sum', 'latency_count'];
    // 100 requests/s per host for 60 s per window; 100 ms each, the canaries 30% slower after.
    const hostOf = (name: string, after: number, sum0: number, count0: number): HostSeries => {
      let sum = sum0;
      let count = count0;
      const snap = (t: number, seconds: number, requests: number) => {
        sum += seconds;
        count += requests;
        return { t, v: [sum, count] };
      };
      const jitter = 1 + (name.charCodeAt(name.length - 1) % 7) / 100;
      return {
        host: name,
        before: [snap(0, 0, 0), snap(60_000, 600 * jitter, 6000)],
        after: [snap(120_000, 0, 0), snap(180_000, 600 * after * jitter, 6000)],
      };
    };
    const fleetAt = (sum0: number, count0: number, round: (x: number) => number) => {
      const rounded = (h: HostSeries): HostSeries => ({
        ...h,
        before: h.before.map((s) => ({ ...s, v: s.v.map((x) => round(x!)) })),
        after: h.after.map((s) => ({ ...s, v: s.v.map((x) => round(x!)) })),
      });
      return {
        series,
        metrics: [latency],
        alpha: 0.001,
        canary: ['c1', 'c2', 'c3', 'c4', 'c5'].map((n) => rounded(hostOf(n, 1.3, sum0, count0))),
        control: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8'].map((n) =>
          rounded(hostOf(n, 1, sum0, count0)),
        ),
      };
    };
    const exact = (x: number) => x;
    const fresh = judge(fleetAt(0, 0, exact));
    // 30 days at 100 requests/s of 0.1 s: 2.6e7 s and 2.6e8 requests; and a counter at 10^12.
    const month = judge(fleetAt(2.592e7 + 0.123456, 2.592e8, exact));
    const huge = judge(fleetAt(1e12 + 0.5, 1e12, exact));
    expect(fresh.verdict).toBe('regression');
    for (const v of [month, huge]) {
      expect(v.verdict).toBe('regression');
      expect(v.metrics[0]!.evidence.ratio).toBeCloseTo(fresh.metrics[0]!.evidence.ratio!, 6);
    }
    // What six significant digits did to the month-old counters: the windows' differences are noise.
    const rounded = judge(fleetAt(2.592e7 + 0.123456, 2.592e8, (x) => compactValue(x)!));
    expect(rounded.metrics[0]!.evidence.ratio).not.toBeCloseTo(
      fresh.metrics[0]!.evidence.ratio!,
      2,
    );
  });
});
