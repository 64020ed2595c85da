// Planning a configuration before any deploy: every configuration that loads
// can reach a decision at every look, the defaults do so on fleets of every
// size, and the README's example is one of them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseClusterConfig } from '../../../src/config/load.js';
import { assertDecidable, formatPlan, scheduleLooks } from '../../../src/config/look-schedule.js';
import { projectRoot } from '../../../src/paths.js';

/** A fleet of `n` hosts over two zones with the usual metrics: errors per request and a latency gauge. */
function cluster(n: number, overrides: Record<string, unknown> = {}) {
  return {
    cluster: 'web',
    hosts: Array.from({ length: n }, (_, i) => ({
      name: `web-${i + 1}`,
      root: `/srv/web-${i + 1}`,
      tags: { zone: i % 2 ? 'a' : 'b' },
    })),
    probes: [{ type: 'command', argv: ['stats'], series: ['requests', 'errors', 'latency'] }],
    metrics: [
      {
        name: 'errors',
        kind: 'counter',
        series: 'errors',
        exposure: 'requests',
        tolerance: 0.2,
        critical: true,
      },
      { name: 'latency', kind: 'gauge', series: 'latency', tolerance: 0.05, critical: true },
    ],
    ...overrides,
  };
}

/** What loading, then planning, refuses in a configuration ('' when both accept it). */
const problems = (doc: unknown) => {
  try {
    assertDecidable(parseClusterConfig(doc));
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};

describe('every configuration that loads can decide', () => {
  it.each([8, 20, 40, 100])(
    'the defaults on %i hosts: every look has enough hosts and every test can reach its threshold',
    (n) => {
      const config = parseClusterConfig(cluster(n));
      const plan = scheduleLooks(config);
      expect(plan.looks.map((l) => l.phase)).toEqual(['canary', 'watch']);
      for (const look of plan.looks) {
        expect(look.undecidable).toBeUndefined();
        expect(look.control).toBeGreaterThanOrEqual(3);
        expect(look.metrics.map((m) => m.name)).toEqual(['errors', 'latency', 'requests']);
        for (const m of look.metrics) expect(m.bestP).toBeLessThan(m.threshold);
      }
      // Held back: the canary size, and never fewer than the 3 controls the judge needs.
      expect(config.holdback).toBe(Math.max(3, plan.canaries));
      expect(plan.holdback).toBe(config.holdback);
    },
  );

  it('a 10,000-host fleet is judged on the 1,000 hosts it reads, and says so', () => {
    const plan = scheduleLooks(parseClusterConfig(cluster(10_000)));
    expect(plan.read).toEqual({ max: 1000, canaries: 334, waves: 333, holdback: 333 });
    const [canary, watch] = plan.looks;
    expect([canary!.treated, canary!.control]).toEqual([334, 666]);
    expect([watch!.treated, watch!.control]).toEqual([667, 333]);
    expect(formatPlan(parseClusterConfig(cluster(10_000)))).toContain(
      'reads metrics from 1000 of the 10000 hosts at each reading (judge.maxHostsRead=1000): 334 canaries, 333 of later waves, 333 held back; every host is still staged, switched and health-checked',
    );
    expect(scheduleLooks(parseClusterConfig(cluster(1000))).read).toBeUndefined();
  });

  it('prints the plan an operator reads before deploying (40 hosts)', () => {
    const lines = formatPlan(parseClusterConfig(cluster(40)));
    expect(lines).toEqual([
      '40 hosts: 4 canary, then waves of 32, 4 held back as watch controls',
      'readings every 30s (10s in a soak): baseline 3m (6), soak 1m (6), watch 5m (10)',
      'false-rollback budget: alpha 0.001 per deploy, 80% of it to the canary and wave looks',
      'canary look: 4 switched vs 36 control, alpha 0.00072',
      '  errors (counter): quasi-Poisson rate ratio, regression below p=0.00032; a pass needs about 25 events expected at the tolerated rate (more with overdispersion); catches x2 half the time from 11 errors a minute per host at the rate before (Poisson)',
      '  latency (gauge): rank test on per-host changes, regression below p=0.00032, best reachable p=1.1e-5',
      '  requests (traffic): per-host traffic vs own baseline, regression below p=7.2e-5',
      '  early stop: a look at each of the 5 earlier readings, alpha 1.6e-5 each, rolls back on a regression only',
      'watch look 10 of 10 (decides): 36 switched vs 4 control, alpha 5e-5',
      '  errors (counter): quasi-Poisson rate ratio, regression below p=2.2e-5; catches x2 half the time from 9.3 errors a minute per host at the rate before (Poisson)',
      '  latency (gauge): rank test on per-host changes, regression below p=2.2e-5, best reachable p=1.1e-5',
      '  requests (traffic): per-host traffic vs own baseline, regression below p=5e-6',
      '  early stop: a look at each of the 9 earlier readings, alpha 5.6e-6 each, rolls back on a regression only',
      '  each watch look also judges the last 60s on their own (alpha 5e-5 at the last), for a regression that starts late',
      'errors judges only after the canaries saw 1000 requests since the switch (minExposure): at least 4.17 requests/s per canary host to decide within the 1m soak',
    ]);
  });

  it("loads and plans the README's example configuration", () => {
    const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
    const yaml = /## Deploying[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)![1]!;
    const doc = parse(yaml) as { hosts: { name: string; root: string; tags: object }[] };
    expect(yaml).toContain('# ... and so on to web-40');
    for (let i = doc.hosts.length + 1; i <= 40; i++)
      doc.hosts.push({
        name: `web-${i}`,
        root: `/srv/web-${i}`,
        tags: { zone: i % 2 ? 'a' : 'b', rack: `r${i % 4}` },
      });
    const plan = scheduleLooks(parseClusterConfig(doc));
    expect(plan.looks.every((l) => l.undecidable === undefined)).toBe(true);
    expect(plan.holdback).toBe(3);
  });

  it('refuses a holdback below the controls the judge needs, naming the fix', () => {
    expect(problems(cluster(40, { holdback: 2 }))).toContain(
      'holdback: the watch would compare the switched hosts with 2 held-back host(s), but the judge needs judge.minControlHosts=3, so every watch look would be inconclusive: hold back at least 3 hosts, or lower judge.minControlHosts (weaker evidence)',
    );
    expect(problems(cluster(40, { holdback: 2, judge: { minControlHosts: 2 } }))).toBe('');
  });

  it('accepts holdback 0: a watch without comparison, nothing judged in it', () => {
    const plan = scheduleLooks(parseClusterConfig(cluster(8, { holdback: 0 })));
    expect(plan.holdback).toBe(0);
    expect(plan.looks.map((l) => l.phase)).toEqual(['canary']);
  });

  it('refuses a canary that leaves fewer controls than the judge needs', () => {
    expect(problems(cluster(6, { canary: { size: 4 } }))).toContain(
      'canary.size: the canary look would compare 4 canary host(s) with 2 control host(s), but the judge needs judge.minControlHosts=3, so it could never decide: use a smaller canary, add hosts, or lower judge.minControlHosts (weaker evidence)',
    );
  });

  it('refuses a fleet too small to hold back the controls the judge needs, with fixes that each work', () => {
    expect(problems(cluster(4))).toContain(
      'this fleet cannot hold back 3 (4 hosts with 1 canary leave room for 2): set holdback: 0 for a watch without comparison, add 1 host(s), or set judge.minControlHosts: 2 (weaker evidence)',
    );
    // Each suggested fix gives a configuration that loads.
    expect(problems(cluster(4, { holdback: 0 }))).toBe('');
    expect(problems(cluster(5))).toBe('');
    expect(problems(cluster(4, { judge: { minControlHosts: 2 } }))).toBe('');
  });

  it('refuses an early wave that leaves too few hosts on the old release', () => {
    expect(problems(cluster(10, { waves: ['90%', '100%'], holdback: 0 }))).toContain(
      'waves: a wave look would compare 9 switched host(s) with 1 still on the old release',
    );
  });

  it('loading checks shape and fields, not the judge: an undecidable file loads, planning refuses it', () => {
    const config = parseClusterConfig(cluster(6, { canary: { size: 4 } }));
    expect(config.hosts).toHaveLength(6);
    expect(() => assertDecidable(config, 'clusters/web.yaml')).toThrow(
      /^clusters\/web\.yaml has 2 errors:\n {2}- canary\.size: the canary look would compare 4 canary host\(s\) with 2 control host\(s\)/,
    );
    expect(() => assertDecidable(parseClusterConfig(cluster(8)))).not.toThrow();
  });

  it('judges nothing and refuses nothing without metrics', () => {
    const config = parseClusterConfig(cluster(4, { metrics: [] }));
    expect(scheduleLooks(config).looks.every((l) => l.metrics.length === 0)).toBe(true);
  });
});

describe('quantile metrics', () => {
  const withHistogram = (metric: Record<string, unknown>, buckets = true) =>
    cluster(20, {
      probes: [
        { type: 'command', argv: ['stats'], series: ['requests', 'errors'] },
        {
          type: 'prometheus',
          port: 9100,
          series: [{ series: 'latency', metric: 'http_request_duration_seconds', buckets }],
        },
      ],
      metrics: [metric],
    });
  const p99 = {
    name: 'p99',
    kind: 'quantile',
    series: 'latency',
    quantile: 0.99,
    buckets: [0.05, 0.1, 0.25, 0.5, 1],
    tolerance: 0.2,
    critical: true,
  };

  it('loads a p99 of a histogram the Prometheus probe reads with buckets: true, and plans it', () => {
    const plan = scheduleLooks(parseClusterConfig(withHistogram(p99)));
    expect(plan.looks[0]!.metrics[0]).toMatchObject({ name: 'p99', kind: 'quantile' });
    expect(plan.looks[0]!.metrics[0]!.test).toContain('per-host p99 changes');
  });

  it('warns when a bucket is wider than twice the tolerance, naming the widest', () => {
    const coarse = formatPlan(
      parseClusterConfig(
        withHistogram({ ...p99, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] }),
      ),
    );
    expect(coarse[0]).toBe(
      "warning: p99's buckets are coarse for its tolerance: 0.01-0.025 spans x2.5, so a p99 change of twice the tolerated x1.2 (x1.44) can stay inside one bucket; phased then reads p99 on a lognormal shape from the shares at the bounds around it (exact for lognormal latency, less so for other tails; histogram_quantile's straight line would hide most of the change): for a reading that assumes nothing, add bounds at most x1.44 apart where p99 usually lies",
    );
    const fine = [0.1, 0.12, 0.15, 0.18, 0.2, 0.25, 0.3];
    expect(
      formatPlan(parseClusterConfig(withHistogram({ ...p99, buckets: fine }))).filter((l) =>
        l.startsWith('warning:'),
      ),
    ).toEqual([]);
  });

  it('refuses a quantile of a plain series, a counter on buckets, and unsorted bounds', () => {
    expect(problems(withHistogram(p99, false))).toContain(
      'metrics[0].series: latency is not a histogram: read it with buckets: true in its prometheus or promql probe',
    );
    expect(
      problems(withHistogram({ name: 'lat', kind: 'gauge', series: 'latency', tolerance: 0.1 })),
    ).toContain("metrics[0].kind: latency is a histogram's buckets: judge it with kind: quantile");
    expect(problems(withHistogram({ ...p99, buckets: [0.5, 0.1] }))).toContain(
      'list the bucket bounds in ascending order',
    );
  });
});
