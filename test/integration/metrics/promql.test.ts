// Metrics from a central Prometheus: a real Prometheus (Debian's) scrapes
// per-host exporters, and phased reads each host's series from it with
// PromQL. The probe gives the same per-host values the exporters serve; a
// series Prometheus has no data for, or a Prometheus that is down, is missing
// data with a reason, not a crash; and whole deploys judged from PromQL only,
// their baselines read from Prometheus's history instead of waited for, put a
// good release live and roll a bad one back.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Host } from '../../../src/core/vocabulary.js';
import { ACCESS_LOG, errorRateMetric } from '../../../src/demo/access-log.js';
import { promqlProbe } from '../../../src/metrics/promql.js';
import { ProbeError } from '../../../src/metrics/types.js';
import { eventually } from '../../../src/poll.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { withDeployer } from '../../helpers/deploys.js';
import { createLocalFleet, preinstall } from '../../helpers/local-fleet.js';
import { startPrometheus, waitScraped } from '../../helpers/prometheus.js';
import { uniqueId } from '../../helpers/temporal.js';

/** An HTTP /metrics endpoint on a free loopback port, closed when the test ends. */
async function exporter(text: () => string): Promise<string> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const ctx = (host: Host) => ({ host, transport: new LocalTransport(), timeoutMs: 5_000 });

describe('the promql probe against a real Prometheus', () => {
  it('reads each host its own series, buckets included, and says why data is missing', async () => {
    const counters: Record<string, number> = { 'web-1': 120, 'web-2': 345 };
    const targets = await Promise.all(
      Object.keys(counters).map(async (name) => ({
        address: await exporter(() =>
          [
            `app_requests_total ${counters[name]}`,
            `app_seconds_bucket{le="0.1"} ${counters[name]! - 20}`,
            `app_seconds_bucket{le="+Inf"} ${counters[name]}`,
            '',
          ].join('\n'),
        ),
        labels: { host: name },
      })),
    );
    const prom = await startPrometheus(targets);
    await waitScraped(prom, 2);
    const probe = promqlProbe({ url: prom.url }, [
      { series: 'requests', query: 'sum(app_requests_total{host="{host}"})' },
      {
        series: 'latency',
        query: 'sum by (le) (app_seconds_bucket{host="{host}"})',
        buckets: true,
      },
    ]);
    const hosts = Object.keys(counters).map((name) => ({ name, address: '127.0.0.1', root: '/x' }));
    for (const h of hosts)
      expect((await probe.read(ctx(h))).values).toEqual({
        requests: counters[h.name],
        'latency@le=0.1': counters[h.name]! - 20,
        'latency@le=+Inf': counters[h.name],
      });
    // Counters move: the next reading sees the next scrape.
    counters['web-1'] = 500;
    await eventually(async () => (await probe.read(ctx(hosts[0]!))).values.requests === 500, {
      what: 'the next scrape',
      timeoutMs: 10_000,
      intervalMs: 200,
    });

    // A host Prometheus knows nothing of: missing data, with the query that found none.
    const unknown = { name: 'web-9', address: '127.0.0.1', root: '/x' };
    const missing = await probe.read(ctx(unknown)).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ProbeError);
    expect((missing as ProbeError).reason).toBe(
      'probe promql: no data (stale or absent) for "sum(app_requests_total{host=\\"web-9\\"})", "sum by (le) (app_seconds_bucket{host=\\"web-9\\"})"',
    );
    // A query Prometheus refuses, and a Prometheus that is down.
    const bad = promqlProbe({ url: prom.url }, [{ series: 'x', query: 'sum(' }]);
    expect(String(await bad.read(ctx(hosts[0]!)).catch((e: unknown) => e))).toContain(
      'Prometheus refused "sum(": bad_data',
    );
    await prom.stop();
    const down = await probe.read(ctx(hosts[0]!)).catch((e: unknown) => e);
    expect((down as ProbeError).reason).toMatch(
      /^probe promql: cannot query Prometheus at http:\/\/127\.0\.0\.1:\d+: /,
    );
  });
});

describe('deploys judged from PromQL only', () => {
  it('put a good release live and roll a bad one back, with Prometheus as the only metrics source', async () => {
    // Each host's exporter counts its access log's requests and 5xx at every scrape.
    const names = Array.from({ length: 8 }, (_, i) => `web-${i + 1}`);
    const roots: Record<string, string> = {};
    const targets = await Promise.all(
      names.map(async (name) => ({
        address: await exporter(() => {
          let lines: string[] = [];
          try {
            lines = readFileSync(path.join(roots[name]!, ACCESS_LOG), 'utf8').split('\n');
          } catch {
            // No traffic yet.
          }
          const errors = lines.filter((l) => / 5\d\d \d+ms /.test(l)).length;
          return `fleet_requests_total ${Math.max(0, lines.length - 1)}\nfleet_5xx_total ${errors}\n`;
        }),
        labels: { host: name },
      })),
    );
    const prom = await startPrometheus(targets);
    const fleet = await createLocalFleet(uniqueId('promql'), 8, {
      // Readings 4 scrapes apart, so that one scrape more or less in a window moves it little.
      durations: { baseline: '8s', soak: '6s', watch: '4s', lookEvery: '2s', probeTimeout: '5s' },
      metricsSource: { type: 'prometheus', url: prom.url },
      probes: [
        {
          type: 'promql',
          series: [
            { series: 'http_requests', query: 'sum(fleet_requests_total{host="{host}"})' },
            { series: 'http_5xx', query: 'sum(fleet_5xx_total{host="{host}"})' },
          ],
        },
      ],
      metrics: [errorRateMetric],
    });
    Object.assign(roots, fleet.roots);
    await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
    fleet.startTraffic();
    await waitScraped(prom, 8);
    // The baseline is read from Prometheus's history: let it hold the 8 s a baseline covers.
    await eventually(
      async () => {
        const q = encodeURIComponent('min(count_over_time(fleet_requests_total[8s]))');
        const r = (await (await fetch(`${prom.url}/api/v1/query?query=${q}`)).json()) as {
          data: { result: { value: [number, string] }[] };
        };
        return Number(r.data.result[0]?.value[1] ?? 0) >= 15;
      },
      { what: '8 s of history in Prometheus', timeoutMs: 30_000, intervalMs: 500 },
    );

    // One worker for both: the cluster's queue lives on its task queue.
    const { good, bad } = await withDeployer(async (d) => ({
      good: await d.deploy(fleet, 'good-2', 0.01),
      bad: await d.deploy(fleet, 'bad', 0.2),
    }));
    expect(good.outcome).toBe('done');
    expect(good.verdicts[0]).toMatchObject({ phase: 'canary', verdict: 'pass' });
    // Neither deploy waited for its 8 s baseline: it was read from history during staging.
    for (const o of [good, bad])
      expect(o.timings.canary! - o.timings.baseline!).toBeLessThan(3_000);
    expect(bad.outcome).toBe('rolled_back');
    const canary = bad.verdicts.find((v) => v.verdict === 'regression')!;
    expect(canary.phase).toBe('canary');
    expect(canary.metrics[0]).toMatch(
      /^http_5xx: canary [\d.]+% vs control [\d.]+% .* -> regression$/,
    );
    expect(Object.values(fleet.currents())).toEqual(names.map(() => 'good-2'));
  });
});
