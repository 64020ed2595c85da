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
import { ACCESS_LOG, errorRateMetric } from '../../../src/app/demo/access-log.js';
import {
  promqlProbe,
  promqlReader,
  type PrometheusSource,
  type PromqlReader,
  type PromqlSeries,
} from '../../../src/metrics/promql.js';
import { ProbeError } from '../../../src/metrics/types.js';
import { eventually } from '../../../src/poll.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { outcomeOf } from '../../../src/app/client.js';
import { fetchDeployRecord } from '../../../src/app/report/fetch.js';
import { withDeployer } from '../../helpers/deploys.js';
import { createLocalFleet, preinstall } from '../../helpers/local-fleet.js';
import { scrapeTargets, waitForHistory } from '../../helpers/prometheus.js';
import { freePort } from '../../../src/app/temporal/ports.js';
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
const hostsNamed = (names: string[]) =>
  names.map((name) => ({ name, address: '127.0.0.1', root: '/x' }));

/** A probe as one sampling activity builds it: a fresh reader, live at this moment. */
const liveProbe = (source: PrometheusSource, series: PromqlSeries[], env?: NodeJS.ProcessEnv) => {
  const reader = promqlReader(source, Date.now(), undefined, env);
  return { reader, probe: promqlProbe(reader, series) };
};

/** Prometheus behind a proxy that wants a bearer token and a tenant header, as hosted ones do. */
async function authProxy(upstream: string): Promise<string> {
  const server = http.createServer((req, res) => {
    if (
      req.headers.authorization !== 'Bearer s3cret' ||
      req.headers['x-scope-orgid'] !== 'team-a'
    ) {
      res.writeHead(401).end('no tenant or token');
      return;
    }
    fetch(`${upstream}${req.url ?? '/'}`)
      .then(async (r) => res.writeHead(r.status).end(await r.text()))
      .catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the promql probe against a real Prometheus', () => {
  it('reads each host its own series, buckets included, by a query per host or one for the fleet', async () => {
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
    const { url, fleet } = await scrapeTargets(targets);
    const perHost: PromqlSeries[] = [
      { series: 'requests', query: `sum(app_requests_total{fleet="${fleet}",host="{host}"})` },
      {
        series: 'latency',
        query: `sum by (le) (app_seconds_bucket{fleet="${fleet}",host="{host}"})`,
        buckets: true,
      },
    ];
    const forFleet: PromqlSeries[] = [
      {
        series: 'requests',
        query: `sum by (host) (app_requests_total{fleet="${fleet}"})`,
        hostLabel: 'host',
      },
      {
        series: 'latency',
        query: `sum by (host, le) (app_seconds_bucket{fleet="${fleet}"})`,
        hostLabel: 'host',
        buckets: true,
      },
    ];
    const hosts = hostsNamed(Object.keys(counters));
    for (const series of [perHost, forFleet]) {
      const { reader, probe } = liveProbe({ url }, series);
      for (const h of hosts)
        expect((await probe.read(ctx(h))).values).toEqual({
          requests: counters[h.name],
          'latency@le=0.1': counters[h.name]! - 20,
          'latency@le=+Inf': counters[h.name],
        });
      // A fleet query runs once for every host of the activity; per-host ones once per host.
      expect(reader.queries).toBe(series === forFleet ? 2 : 4);
    }
    // Counters move: the next reading sees the next scrape.
    counters['web-1'] = 500;
    await eventually(
      async () =>
        (await liveProbe({ url }, forFleet).probe.read(ctx(hosts[0]!))).values.requests === 500,
      { what: 'the next scrape', timeoutMs: 10_000, intervalMs: 200 },
    );

    // A host Prometheus knows nothing of: missing data, with the query that found none.
    const [unknown] = hostsNamed(['web-9']);
    const missing = await liveProbe({ url }, perHost)
      .probe.read(ctx(unknown!))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ProbeError);
    expect((missing as ProbeError).reason).toBe(
      `probe promql: no data (stale or absent) for "sum(app_requests_total{fleet=\\"${fleet}\\",host=\\"web-9\\"})", "sum by (le) (app_seconds_bucket{fleet=\\"${fleet}\\",host=\\"web-9\\"})"`,
    );
    const missingInFleet = await liveProbe({ url }, forFleet.slice(0, 1))
      .probe.read(ctx(unknown!))
      .catch((e: unknown) => e);
    expect((missingInFleet as ProbeError).reason).toBe(
      `probe promql: no data (stale or absent) for "sum by (host) (app_requests_total{fleet=\\"${fleet}\\"})" (no host="web-9")`,
    );
    // A query Prometheus refuses, and a Prometheus that is not there.
    const bad = liveProbe({ url }, [{ series: 'x', query: 'sum({host}' }]).probe;
    expect(String(await bad.read(ctx(hosts[0]!)).catch((e: unknown) => e))).toContain(
      'Prometheus refused "sum(web-1": bad_data',
    );
    const gone = `http://127.0.0.1:${await freePort('127.0.0.1')}`;
    const down = await liveProbe({ url: gone }, perHost)
      .probe.read(ctx(hosts[0]!))
      .catch((e: unknown) => e);
    expect((down as ProbeError).reason).toBe(
      `probe promql: cannot query Prometheus at ${gone}: connect ECONNREFUSED ${gone.slice(7)}`,
    );
  });

  it('reads a baseline from history with one range query per query, the same values as instant queries', async () => {
    // Counters that grow with time, so that every past moment has its own value.
    const t0 = Date.now();
    const targets = await Promise.all(
      ['web-1', 'web-2', 'web-3'].map(async (name, i) => ({
        address: await exporter(
          () => `app_requests_total ${(i + 1) * Math.floor((Date.now() - t0) / 10)}\n`,
        ),
        labels: { host: name },
      })),
    );
    const { url, fleet } = await scrapeTargets(targets);
    const series: PromqlSeries[] = [
      {
        series: 'requests',
        query: `sum by (host) (app_requests_total{fleet="${fleet}"})`,
        hostLabel: 'host',
      },
    ];
    // Three seconds of history, read as 4 readings a second apart: wait until it holds 4.5 s.
    await waitForHistory('app_requests_total', fleet, 5, 10);
    const grid = { startMs: Math.floor(Date.now() / 1000) * 1000 - 3_000, stepMs: 1_000, count: 4 };
    const hosts = hostsNamed(['web-1', 'web-2', 'web-3']);
    /** Each grid moment's reading of every host, through one reader. */
    const readGrid = (reader: PromqlReader) => {
      const probe = promqlProbe(reader, series);
      return Promise.all(
        Array.from({ length: grid.count }, (_, k) =>
          Promise.all(
            hosts.map(
              async (h) =>
                (await probe.read({ ...ctx(h), at: grid.startMs + k * grid.stepMs })).values
                  .requests,
            ),
          ),
        ),
      );
    };
    const ranged = promqlReader({ url }, Date.now(), grid);
    const fromRange = await readGrid(ranged);
    expect(ranged.queries).toBe(1);
    // The same moments, one instant query each.
    const instant = promqlReader({ url }, Date.now());
    const fromInstants = await readGrid(instant);
    expect(instant.queries).toBe(grid.count);
    expect(fromRange).toEqual(fromInstants);
    // Each reading is its own moment: the counters grew between them.
    expect(fromRange[3]![0]).toBeGreaterThan(fromRange[0]![0]!);
  });

  it('sends the token and the headers read on the worker, and says so when one is missing', async () => {
    const { url, fleet } = await scrapeTargets([
      { address: await exporter(() => 'app_up 1\n'), labels: { host: 'web-1' } },
    ]);
    const proxy = await authProxy(url);
    const series = [{ series: 'up', query: `sum(app_up{fleet="${fleet}",host="{host}"})` }];
    const [host] = hostsNamed(['web-1']);
    const source: PrometheusSource = {
      url: proxy,
      bearerTokenEnv: 'PROM_TOKEN',
      headers: { 'X-Scope-OrgID': { env: 'PROM_TENANT' } },
    };
    const env = { PROM_TOKEN: 's3cret', PROM_TENANT: 'team-a' };
    expect((await liveProbe(source, series, env).probe.read(ctx(host!))).values).toEqual({ up: 1 });
    const literal = { ...source, headers: { 'X-Scope-OrgID': 'team-a' } };
    expect((await liveProbe(literal, series, env).probe.read(ctx(host!))).values).toEqual({
      up: 1,
    });
    const noTenant = await liveProbe(source, series, { PROM_TOKEN: 's3cret' })
      .probe.read(ctx(host!))
      .catch((e: unknown) => e);
    expect((noTenant as ProbeError).reason).toBe(
      'probe promql: the worker has no PROM_TENANT (the Prometheus header X-Scope-OrgID)',
    );
    const wrong = await liveProbe(literal, series, { PROM_TOKEN: 'guess' })
      .probe.read(ctx(host!))
      .catch((e: unknown) => e);
    expect((wrong as ProbeError).reason).toBe(
      `probe promql: cannot query Prometheus at ${proxy}: HTTP 401: no tenant or token`,
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
    const { url, fleet: label } = await scrapeTargets(targets);
    const fleet = await createLocalFleet(uniqueId('promql'), 8, {
      // Readings 4 scrapes apart, so that one scrape more or less in a window moves it little.
      durations: { baseline: '8s', soak: '6s', watch: '4s', lookEvery: '2s', probeTimeout: '5s' },
      metricsSource: { type: 'prometheus', url },
      probes: [
        {
          type: 'promql',
          // One query for the whole fleet per series and reading, split among the hosts by label.
          series: [
            {
              series: 'http_requests',
              query: `sum by (host) (fleet_requests_total{fleet="${label}"})`,
              hostLabel: 'host',
            },
            {
              series: 'http_5xx',
              query: `sum by (host) (fleet_5xx_total{fleet="${label}"})`,
              hostLabel: 'host',
            },
          ],
        },
      ],
      metrics: [errorRateMetric],
    });
    Object.assign(roots, fleet.roots);
    await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
    fleet.startTraffic();
    // The baseline is read from Prometheus's history, from 8 s before the deploy
    // starts: let it hold more than that (9 s of scrapes in the last 10 s), so
    // the baseline's first moment is never before the first scrape.
    await waitForHistory('fleet_requests_total', label, 10, 19);

    // One worker for both: the cluster's queue lives on its task queue.
    const { good, bad, record, sampled } = await withDeployer(async (d) => {
      const handle = await d.start(fleet, 'good-2', 0.01);
      const good = await outcomeOf(handle);
      const history = await handle.fetchHistory();
      return {
        good,
        record: await fetchDeployRecord(d.pc, handle.workflowId),
        sampled: (history.events ?? []).flatMap((e) =>
          e.activityTaskScheduledEventAttributes
            ? [e.activityTaskScheduledEventAttributes.activityType?.name]
            : [],
        ),
        bad: await d.deploy(fleet, 'bad', 0.2),
      };
    });
    expect(good.outcome).toBe('done');
    expect(good.verdicts[0]).toMatchObject({ phase: 'canary', verdict: 'pass' });
    // Neither deploy waited for its 8 s baseline: it was read from history during staging.
    for (const o of [good, bad])
      expect(o.timings.canary! - o.timings.baseline!).toBeLessThan(3_000);
    // The baseline's 5 readings (8 s, every 2 s) came from one activity and one range query per series.
    const baseline = record.readings.filter((r) => r.label === 'baseline');
    expect(baseline.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(sampled.filter((t) => t === 'sampleHostsHistory')).toHaveLength(1);
    for (const r of baseline) {
      expect(Object.keys(r.hosts).sort()).toEqual([...names].sort());
      for (const snap of Object.values(r.hosts)) expect(snap.v.every((x) => x !== null)).toBe(true);
    }
    expect(bad.outcome).toBe('rolled_back');
    const canary = bad.verdicts.find((v) => v.verdict === 'regression')!;
    expect(canary.phase).toBe('canary');
    expect(canary.metrics[0]).toMatch(
      /^http_5xx: canary [\d.]+% vs control [\d.]+% .* -> regression$/,
    );
    expect(Object.values(fleet.currents())).toEqual(names.map(() => 'good-2'));
  });
});
