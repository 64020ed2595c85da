// The demo's cluster file for each of its metric sources: from Prometheus,
// every judged series is a fleet query split by the host label its scrape
// targets carry (so every probe is a promql probe and the baseline comes from
// history); read from the hosts, the access and error logs and each web
// server's /metrics. The end-to-end demo test runs the Prometheus one; this
// keeps the other one a cluster file phased accepts and plans.
import { describe, expect, it } from 'vitest';
import { scheduleLooks } from '../../../src/config/look-schedule.js';
import { demoConfig } from '../../../src/app/demo/run.js';

const hosts = Array.from({ length: 8 }, (_, i) => ({
  name: `web-${i + 1}`,
  address: `127.0.0.${61 + i}`,
  root: `/srv/demo/web-${i + 1}`,
}));

describe("the demo's cluster file", () => {
  it('reads every judged series from Prometheus by fleet queries, when it runs one', () => {
    const c = demoConfig(
      'demo-x',
      hosts,
      30000,
      undefined,
      undefined,
      true,
      'http://127.0.0.1:9090',
    );
    expect(c.metricsSource).toEqual({ type: 'prometheus', url: 'http://127.0.0.1:9090' });
    expect(c.probes.map((p) => p.type)).toEqual(['promql']);
    const [probe] = c.probes;
    if (probe?.type !== 'promql') throw new Error('not a promql probe');
    for (const s of probe.series) {
      expect(s.hostLabel).toBe('host');
      expect(s.query).toMatch(/^sum by \(host(, le)?\) \(demo_[a-z_]+\{job="fleet"\}\)$/);
    }
    expect(probe.series.filter((s) => s.buckets).map((s) => s.series)).toEqual(['duration']);
    expect(c.metrics.map((m) => m.name)).toEqual(['http_5xx', 'latency_ms', 'p95_latency']);
    expect(scheduleLooks(c).readings.baseline).toBeGreaterThan(0);
  });

  it('reads the hosts directly otherwise: access log, error log and each server’s /metrics', () => {
    const c = demoConfig('demo-x', hosts, 30000, undefined);
    expect(c.metricsSource).toBeUndefined();
    expect(c.probes.map((p) => p.type)).toEqual(['log-counts', 'log-lines', 'prometheus']);
    expect(c.metrics.map((m) => m.name)).toEqual(['http_5xx', 'error_log', 'latency_ms']);
    expect(scheduleLooks(c).readings.baseline).toBeGreaterThan(0);
  });
});
