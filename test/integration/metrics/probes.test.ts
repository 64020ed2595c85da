// Probes on this machine through the local transport: real /proc, real log
// files rotated and truncated, a real HTTP endpoint.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { counterWindow } from '../../../src/judge/windows.js';
import { cpuProbe, loadavgProbe } from '../../../src/metrics/command.js';
import { logCountsProbe, logLinesProbe } from '../../../src/metrics/log-lines.js';
import { prometheusProbe } from '../../../src/metrics/prometheus.js';
import { sampleHost } from '../../../src/metrics/sample.js';
import type { Snapshot } from '../../../src/judge/types.js';
import { freePort } from '../../../src/app/temporal/ports.js';
import { LocalTransport } from '../../../src/transport/local.js';
import type { Host } from '../../../src/core/vocabulary.js';
import { testDir } from '../../helpers/tmp.js';

const transport = new LocalTransport();
const host = (root: string): Host => ({ name: 'web-1', address: '127.0.0.1', root });

describe('builtin command probes on the local transport', () => {
  it('reads load averages and CPU jiffies from /proc', async () => {
    const root = await testDir();
    const { snapshot, errors } = await sampleHost({
      host: host(root),
      transport,
      probes: [loadavgProbe(), cpuProbe()],
      series: ['load1', 'load5', 'load15', 'cpu_busy', 'cpu_total'],
    });
    expect(errors).toEqual([]);
    for (const v of snapshot.v) expect(v).toBeGreaterThanOrEqual(0);
    expect(snapshot.v[3]!).toBeLessThan(snapshot.v[4]!);
  });
});

describe('log line counting', () => {
  it('counts matching lines since the previous sample across rotation and truncation', async () => {
    const root = await testDir();
    const log = path.join(root, 'error.log');
    const probe = logLinesProbe({ series: 'log_errors', path: log, pattern: ' 5[0-9]{2} ' });
    const snaps: Snapshot[] = [];
    let t = 0;
    const sample = async () => {
      const { snapshot, errors } = await sampleHost({
        host: host(root),
        transport,
        probes: [probe],
        series: ['log_errors'],
        now: () => (t += 10_000),
      });
      expect(errors).toEqual([]);
      snaps.push(snapshot);
    };
    const lines = (n: number, code: number) =>
      Array.from({ length: n }, (_, i) => `GET /x${i} ${code} 12ms\n`).join('');

    writeFileSync(log, lines(3, 200) + lines(2, 503));
    await sample(); // 2 so far
    appendFileSync(log, lines(4, 500) + lines(10, 200));
    await sample(); // +4
    renameSync(log, `${log}.1`); // logrotate: new inode
    writeFileSync(log, lines(1, 502));
    await sample(); // +1 in the new file
    appendFileSync(log, lines(2, 504));
    await sample(); // +2
    truncateSync(log, 0); // copytruncate
    appendFileSync(log, lines(1, 500));
    await sample(); // +1 after truncation

    expect(snaps.map((s) => s.v[0])).toEqual([2, 6, 1, 3, 1]);
    expect(counterWindow(snaps, 0, undefined)!.count).toBe(4 + 1 + 2 + 1);
  });

  it("reads only what a deploy's log gained since its previous reading, from the end at its first, across rotation and truncation", async () => {
    const root = await testDir();
    const log = path.join(root, 'access.log');
    const probe = logCountsProbe({
      path: log,
      counts: [
        { series: 'requests', pattern: '^' },
        { series: 'errors', pattern: ' 5[0-9]{2} ' },
      ],
    });
    const snaps: Snapshot[] = [];
    let t = 0;
    const sample = async (cursor = 'deploy-web-v2') => {
      const { snapshot, errors } = await sampleHost({
        host: host(root),
        transport,
        probes: [probe],
        series: ['requests', 'errors'],
        now: () => (t += 10_000),
        cursor,
      });
      expect(errors).toEqual([]);
      snaps.push(snapshot);
      return snapshot;
    };
    const lines = (n: number, code: number) =>
      Array.from({ length: n }, (_, i) => `GET /x${i} ${code} 12ms\n`).join('');

    // A log with a long history: the deploy's first reading starts at its end.
    writeFileSync(log, lines(5000, 200) + lines(700, 503));
    expect((await sample()).v).toEqual([0, 0]);
    appendFileSync(log, lines(4, 500) + lines(10, 200));
    expect((await sample()).v).toEqual([14, 4]);
    // A line still being written waits for the next reading.
    appendFileSync(log, lines(1, 200) + 'GET /half 50');
    expect((await sample()).v).toEqual([15, 4]);
    appendFileSync(log, '3 9ms\n');
    expect((await sample()).v).toEqual([16, 5]);
    // Another deploy's cursor starts at the end too, and does not move this one's.
    expect((await sample('deploy-web-v3')).v).toEqual([0, 0]);
    snaps.pop();
    renameSync(log, `${log}.1`); // logrotate: new inode
    writeFileSync(log, lines(1, 502));
    const rotated = await sample(); // a new counter: the new file from its start
    expect(rotated.v).toEqual([1, 1]);
    appendFileSync(log, lines(2, 504));
    expect((await sample()).v).toEqual([3, 3]);
    truncateSync(log, 0); // copytruncate
    appendFileSync(log, lines(1, 500));
    const truncated = await sample();
    expect(truncated.v).toEqual([1, 1]);
    // The epoch changes at rotation and at truncation, so the judge counts a restart.
    expect(new Set(snaps.map((s) => s.k![0])).size).toBe(3);
    expect(counterWindow(snaps, 1, undefined)!.count).toBe(5 + 1 + 2 + 1);
    expect(counterWindow(snaps, 0, undefined)!.count).toBe(16 + 1 + 2 + 1);
    // The cursors live under the deploy root, out of the releases' way.
    expect(readdirSync(path.join(root, '.probe-cursors'))).toHaveLength(2);
  });

  it('never recreates a deploy root deleted under it: the reading fails instead', async () => {
    const dir = await testDir();
    const root = path.join(dir, 'srv');
    mkdirSync(root);
    const log = path.join(dir, 'access.log'); // the log lives outside the root, as /var/log does
    writeFileSync(log, 'GET / 200 1ms\n');
    const read = () =>
      sampleHost({
        host: host(root),
        transport,
        probes: [logCountsProbe({ path: log, counts: [{ series: 'requests', pattern: '^' }] })],
        series: ['requests'],
        now: () => 0,
        cursor: 'deploy-web-v2',
      });
    expect((await read()).errors).toEqual([]);
    rmSync(root, { recursive: true, force: true });
    expect((await read()).errors).toEqual([expect.stringMatching(/mkdir/)]);
    expect(existsSync(root)).toBe(false);
  });

  it('counts several patterns in one read, so ratios of counts are consistent', async () => {
    const root = await testDir();
    const log = path.join(root, 'access.log');
    writeFileSync(log, 'GET / 200\nGET / 500\nGET / 503\nPOST / 200\n');
    const probe = logCountsProbe({
      path: log,
      counts: [
        { series: 'requests', pattern: '^' },
        { series: 'errors', pattern: ' 5[0-9]{2}$' },
        { series: 'odd', pattern: "'; touch pwned; echo '$(id)" },
      ],
    });
    const { snapshot, errors } = await sampleHost({
      host: host(root),
      transport,
      probes: [probe],
      series: ['requests', 'errors', 'odd'],
    });
    expect(errors).toEqual([]);
    expect(snapshot.v).toEqual([4, 2, 0]);
    expect(snapshot.k![0]).toBe(snapshot.k![1]);
    expect(readdirSync(root)).toEqual(['access.log']);
  });

  it('takes the pattern and path as data, not shell syntax', async () => {
    const root = await testDir();
    const log = path.join(root, 'x.log');
    writeFileSync(log, 'a\n$(touch pwned)\n');
    const probe = logLinesProbe({
      series: 'n',
      path: log,
      pattern: '$(touch pwned)"; touch pwned2; "',
    });
    const { snapshot } = await sampleHost({
      host: host(root),
      transport,
      probes: [probe],
      series: ['n'],
    });
    expect(snapshot.v).toEqual([0]);
    expect(readdirSync(root).sort()).toEqual(['x.log']);
    expect(readdirSync(process.cwd())).not.toContain('pwned');
  });

  it('gives a missing sample, not an exception, when the log does not exist', async () => {
    const root = await testDir();
    const probe = logLinesProbe({
      series: 'n',
      path: path.join(root, 'missing.log'),
      pattern: 'x',
    });
    const { snapshot, errors } = await sampleHost({
      host: host(root),
      transport,
      probes: [probe],
      series: ['n'],
    });
    expect(snapshot.v).toEqual([null]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^probe log-lines\(n\) on web-1: sh exited 1: /);
  });
});

describe('Prometheus scrape', () => {
  async function serve(body: () => string): Promise<number> {
    const server = http.createServer((_req, res) => res.end(body()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return (server.address() as AddressInfo).port;
  }

  it('scrapes the host endpoint into series, including after a counter reset', async () => {
    const root = await testDir();
    let requests = 1000;
    let errors = 10;
    const port = await serve(
      () =>
        `# TYPE http_requests_total counter\nhttp_requests_total{code="200"} ${requests - errors}\nhttp_requests_total{code="500"} ${errors}\n`,
    );
    const probe = prometheusProbe({
      port,
      series: [
        { series: 'http_requests', metric: 'http_requests_total' },
        { series: 'http_5xx', metric: 'http_requests_total', labels: { code: '/5../' } },
      ],
    });
    const snaps: Snapshot[] = [];
    let t = 0;
    for (const [r, e] of [
      [1000, 10],
      [1600, 13],
      [200, 1], // the server restarted: counters reset
      [700, 4],
    ] as const) {
      requests = r;
      errors = e;
      const s = await sampleHost({
        host: host(root),
        transport,
        probes: [probe],
        series: ['http_5xx', 'http_requests'],
        now: () => (t += 10_000),
      });
      expect(s.errors).toEqual([]);
      snaps.push(s.snapshot);
    }
    expect(counterWindow(snaps, 0, 1)).toEqual({
      count: 3 + 1 + 3,
      exposure: 600 + 200 + 500,
      intervals: 3,
    });
  });

  it('gives a missing sample when the host does not answer', async () => {
    const root = await testDir();
    const port = await freePort('127.0.0.1');
    const probe = prometheusProbe({
      port,
      series: [{ series: 'r', metric: 'http_requests_total' }],
    });
    const s = await sampleHost({
      host: host(root),
      transport,
      probes: [probe],
      series: ['r'],
      timeoutMs: 2000,
    });
    expect(s.snapshot.v).toEqual([null]);
    expect(s.errors[0]).toContain(`cannot scrape http://127.0.0.1:${port}/metrics`);
    // The reason travels with the reading, so a verdict can say why the data is missing.
    expect(s.snapshot.e).toEqual([
      expect.stringMatching(
        /^probe prometheus: cannot scrape http:.*: connect ECONNREFUSED 127.0.0.1:\d+$/,
      ),
    ]);
  });

  it("marks only the failed probe's series with its reason", async () => {
    const root = await testDir();
    const port = await freePort('127.0.0.1');
    const s = await sampleHost({
      host: host(root),
      transport,
      probes: [
        prometheusProbe({ port, series: [{ series: 'r', metric: 'http_requests_total' }] }),
        logLinesProbe({ series: 'n', path: path.join(root, 'missing.log'), pattern: 'x' }),
        loadavgProbe(),
      ],
      series: ['r', 'n', 'load1'],
      timeoutMs: 2000,
    });
    expect(s.snapshot.v[2]).toEqual(expect.any(Number));
    expect(s.snapshot.e).toEqual([
      expect.stringMatching(/^probe prometheus: cannot scrape/),
      expect.stringMatching(/^probe log-lines\(n\): sh exited 1: /),
      null,
    ]);
  });
});
