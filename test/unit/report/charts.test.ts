// What the report charts and prints, from a hand-made record whose numbers
// are easy to check: two canaries, two controls, four readings, the switch
// after the second.
import { describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../../src/config/schema.js';
import type { Snapshot } from '../../../src/judge/types.js';
import { chartMarks, metricCharts } from '../../../src/app/report/charts.js';
import { lookLabels, reportHtml } from '../../../src/app/report/html.js';
import type { DeployRecord, ReportLook } from '../../../src/app/report/record.js';

const series = ['errors', 'requests', 'load', 'lat@le=0.1', 'lat@le=1', 'lat@le=+Inf'];
const metrics = [
  {
    name: 'errors',
    kind: 'counter',
    series: 'errors',
    exposure: 'requests',
    worse: 'higher',
    tolerance: 0.2,
    critical: true,
  },
  { name: 'load', kind: 'gauge', series: 'load', worse: 'higher', tolerance: 0.2, critical: false },
  {
    name: 'p90',
    kind: 'quantile',
    series: 'lat',
    quantile: 0.9,
    buckets: [0.1, 1],
    worse: 'higher',
    tolerance: 0.2,
    critical: false,
  },
] as unknown as ClusterConfig['metrics'];

/** Host readings: cumulative errors/requests, a load level, cumulative latency buckets. */
const snap = (
  t: number,
  errors: number,
  requests: number,
  load: number,
  fast: number,
  all: number,
): Snapshot => ({
  t,
  v: [errors, requests, load, fast, all, all],
});

function record(): DeployRecord {
  // Each interval: 100 requests per host. Canaries err 1% before the switch, 20% after;
  // controls 1% throughout. Latency: all under 0.1 s before, 50% over after on canaries.
  const canary = (i: number) =>
    snap(
      i * 1000,
      i <= 1 ? i : 1 + (i - 1) * 20,
      i * 100,
      i <= 1 ? 1 : 3,
      i <= 1 ? i * 100 : 100 + (i - 1) * 50,
      i * 100,
    );
  const control = (i: number) => snap(i * 1000, i, i * 100, 1, i * 100, i * 100);
  const readings = [0, 1, 2, 3].map((i) => ({
    index: i,
    label: i <= 1 ? 'baseline' : 'canary',
    t: i * 1000,
    hosts: { c1: canary(i), c2: canary(i), k1: control(i), k2: control(i) },
  }));
  const look: ReportLook = {
    request: {
      series,
      phase: 'canary',
      before: [0, 1],
      after: [2, 3],
      canary: ['c1', 'c2'],
      control: ['k1', 'k2'],
    },
    at: 3500,
    verdict: null,
  };
  return {
    workflowId: 'deploy-web-bad-1',
    input: {
      cluster: 'web',
      revision: 'bad',
      source: '/b',
      operator: 'ci',
      reason: '</script><script>alert(1)</script>',
      requestedAt: 0,
    },
    config: { metrics } as ClusterConfig,
    series,
    startedAt: 0,
    closedAt: 4000,
    readings,
    looks: [look],
    flips: [
      {
        at: 1500,
        label: 'switch canary: 2 hosts',
        direction: 'forward',
        hosts: ['c1', 'c2'],
        checks: [
          {
            host: 'c1',
            hooks: [{ hook: 'afterSwitch', code: 0, ms: 200, output: '' }],
            health: { attempts: 2, ms: 1400, last: 'HTTP 200' },
          },
          { host: 'c2', failed: 'c2: not healthy within 30s [HEALTH_CHECK_FAILED]' },
        ],
      },
      { at: 3800, label: 'roll back 2 hosts', direction: 'back', hosts: ['c1', 'c2'], checks: [] },
    ],
    outcome: null,
    closedWithout: null,
  };
}

describe('metricCharts', () => {
  it("charts each group's value per reading interval and over the baseline, as the judge computes windows", () => {
    const charts = metricCharts(record());
    // The judge derives a traffic metric from the counter's exposure.
    expect(charts.map((c) => [c.metric, c.unit, c.scale])).toEqual([
      ['errors', '% of requests', 100],
      ['load', 'load', 1],
      ['p90', 'p90 of lat', 1],
      ['requests', 'requests per second per host', 1],
    ]);
    const [errors, load, p90, traffic] = charts;
    expect(errors!.t).toEqual([0, 1000, 2000, 3000]);
    expect(errors!.canary).toEqual([null, 0.01, 0.2, 0.2]);
    expect(errors!.control).toEqual([null, 0.01, 0.01, 0.01]);
    expect(errors!.canaryBaseline).toBeCloseTo(0.01);
    // A level is charted at every reading, the first too.
    expect(load!.canary).toEqual([1, 1, 3, 3]);
    expect(load!.canaryBaseline).toBe(1);
    // Half the canaries' requests slower than 0.1 s: the p90 lies in the (0.1, 1] bucket.
    expect(p90!.canary[1]).toBeLessThanOrEqual(0.1);
    expect(p90!.canary[2]).toBeGreaterThan(0.1);
    expect(p90!.control[2]).toBeLessThanOrEqual(0.1);
    expect(traffic!.canary).toEqual([null, 100, 100, 100]);
  });

  it('shows a per-request rate above 1 (milliseconds per request) as it is, not as a percentage', () => {
    const r = record();
    // Canaries' errors counter read as 300 per request after the switch.
    for (const x of r.readings.slice(2))
      for (const h of ['c1', 'c2']) x.hosts[h]!.v[0] = 300 * x.index;
    const [errors] = metricCharts(r);
    expect(errors).toMatchObject({ unit: 'errors per requests', scale: 1 });
  });

  it('leaves a gap where a group has no data, instead of a zero', () => {
    const r = record();
    for (const x of r.readings.slice(2)) {
      x.hosts.c1!.v = series.map(() => null);
      x.hosts.c2!.v = series.map(() => null);
    }
    const [errors] = metricCharts(r);
    expect(errors!.canary).toEqual([null, 0.01, null, null]);
    expect(errors!.control).toEqual([null, 0.01, 0.01, 0.01]);
  });

  it('marks each switch and each look, in time order', () => {
    const r = record();
    expect(chartMarks(r, ['canary look 1']).map((m) => [m.t, m.kind])).toEqual([
      [1500, 'switch'],
      [3500, 'inconclusive'],
      [3800, 'rollback'],
    ]);
  });
});

describe('reportHtml', () => {
  it('names looks as the CLI does, and escapes what operators typed', () => {
    const r = record();
    const gate = (phase: 'canary' | 'wave', reading?: number) => ({
      ...r.looks[0]!,
      request: { ...r.looks[0]!.request, phase, ...(reading === undefined ? {} : { reading }) },
    });
    const watch = { ...r.looks[0]!, request: { ...r.looks[0]!.request, phase: 'watch' as const } };
    expect(
      lookLabels([gate('canary', 1), gate('canary'), gate('wave', 1), gate('wave'), watch, watch]),
    ).toEqual([
      'canary look 1 (early stop at soak reading 1)',
      'canary look 1',
      'wave look 2 (early stop at soak reading 1)',
      'wave look 2',
      'watch look 1',
      'watch look 2',
    ]);
    const html = reportHtml(r, { script: '/*uplot*/', css: '' }, 0);
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain(
      '<figure class="chart" id="chart-0" data-metric="errors" data-points="4">',
    );
    expect(html).toContain('running: this report shows the deploy so far');
    // What ran after each switch, per host.
    expect(html).toContain(
      '<div>c1: afterSwitch exit 0 (0.2 s), healthy after 2 check(s) (1.4 s, HTTP 200)</div>',
    );
    expect(html).toContain(
      '<div class="failed">c2: not healthy within 30s [HEALTH_CHECK_FAILED]</div>',
    );
  });
});
