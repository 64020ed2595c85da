// Scale benchmark: one deploy to N fake hosts (2,000 unless --hosts says) with 12 metrics sampled at
// every look, on a real embedded Temporal server with a real worker, the real
// deploy workflow and the real judge (fetching readings by query). Hosts are
// in-memory fakes; reading and look counts match the default durations
// (baseline 180 s and watch 5 min read every 30 s, soak 60 s read and judged
// every 10 s), compressed to seconds.
//
//   npx tsx bench/scale/run.ts [--hosts N]
//
// Each run adds (or replaces) its host count's row in bench/results/scale.json
// and rewrites scale.md from every row, with where the history's bytes go.
import { phasedDataConverter } from '../../src/app/temporal/codec.js';
import { outcomeOf } from '../../src/app/client.js';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import proto from '@temporalio/proto';
import type { Activities } from '../../activities/index.js';
import { createMetricActivities } from '../../activities/metrics.js';
import { createQueueActivities } from '../../activities/queue.js';
import { parseClusterConfig } from '../../src/config/load.js';
import { ClusterStore } from '../../src/config/store.js';
import { benchServer } from '../server.js';
import { projectRoot } from '../../src/paths.js';
import { LocalTransport } from '../../src/transport/local.js';
import { createPhasedWorker, installRuntime, queueDeps } from '../../src/app/worker.js';
import { queueWorkflowId } from '../../workflows/cluster-queue.js';
import { deploy, snapshotsQuery } from '../../workflows/deploy.js';
import { createRng } from '../judge/simulate.js';
import { DEFAULTS } from '../../src/core/defaults.js';

const { values: args } = parseArgs({ options: { hosts: { type: 'string', default: '2000' } } });
const HOSTS = Number(args.hosts);
if (!Number.isInteger(HOSTS) || HOSTS < 10)
  throw new Error(`--hosts ${args.hosts}: a whole number of at least 10`);
const COUNTERS = 6;
const GAUGES = 6;

installRuntime('ERROR');
const { dir, bundlePath, server } = await benchServer('scale');
let peakRss = process.memoryUsage().rss;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

try {
  const series = [
    'requests',
    ...Array.from({ length: COUNTERS }, (_, i) => `errors_${i}`),
    ...Array.from({ length: GAUGES }, (_, i) => `gauge_${i}`),
  ];
  const config = parseClusterConfig({
    cluster: 'scale',
    hosts: Array.from({ length: HOSTS }, (_, i) => ({
      name: `web-${i + 1}`,
      root: `/srv/web-${i + 1}`,
      tags: { zone: `z${i % 4}`, rack: `r${i % 40}` },
    })),
    durations: { baseline: '6s', soak: '6s', watch: '10s', lookEvery: '1s', soakLookEvery: '1s' },
    probes: [{ type: 'command', argv: ['metrics'], series }],
    metrics: [
      ...Array.from({ length: COUNTERS }, (_, i) => ({
        name: `errors_${i}`,
        kind: 'counter',
        series: `errors_${i}`,
        exposure: 'requests',
        tolerance: 0.2,
        critical: i === 0,
      })),
      ...Array.from({ length: GAUGES }, (_, i) => ({
        name: `gauge_${i}`,
        kind: 'gauge',
        series: `gauge_${i}`,
        tolerance: 0.05,
      })),
    ],
  });

  const connection = await Connection.connect({ address: server.address });
  const client = new Client({
    connection,
    namespace: server.namespace,
    dataConverter: phasedDataConverter,
  });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const taskQueue = 'scale';

  // Fake hosts: every host always answers; counters grow steadily with noise.
  const rng = createRng(11);
  const cumulative = new Map<string, number[]>();
  const current = new Map<string, string>();
  const real = createMetricActivities({
    transport: () => new LocalTransport(),
    clusters: new ClusterStore('/nonexistent'),
    fetchSnapshots: ({ workflowId, readings, hosts }) =>
      client.workflow.getHandle(workflowId).query(snapshotsQuery, { readings, hosts }),
  });
  const activities: Activities = {
    ...createQueueActivities(queueDeps(client, taskQueue)),
    notify: () => Promise.resolve(),
    // The worker's cluster file, held in memory: the hosts here are fake anyway.
    loadCluster: () =>
      Promise.resolve({
        config,
        ref: { cluster: 'scale', digest: '0'.repeat(64) },
        file: '/bench/scale.yaml',
      }),
    describeWorker: () =>
      Promise.resolve({
        hostname: 'bench',
        pid: process.pid,
        node: process.version,
        identity: 'bench',
      }),
    inspectHosts: ({ hosts }) =>
      Promise.resolve({
        ok: hosts.map((h) => ({
          host: h.name,
          result: {
            current: current.get(h.name) ?? 'v1',
            currentKind: 'release' as const,
            currentLink: `releases/${current.get(h.name) ?? 'v1'}`,
            releases: ['v1'],
            rejected: [],
            rollback: { none: 'bench' },
          },
        })),
        failed: [],
      }),
    stageHosts: ({ hosts }) =>
      Promise.resolve({
        ok: hosts.map((h) => ({
          host: h.name,
          result: {
            previous: 'v1',
            checksum: 'scale',
            adoptedLink: null,
            alreadyStaged: false,
            bytesSent: 0,
          },
        })),
        failed: [],
      }),
    flipHosts: ({ targets }) =>
      Promise.resolve({
        ok: targets.map(({ host, revision }) => {
          const previous = current.get(host.name) ?? 'v1';
          current.set(host.name, revision);
          return { host: host.name, result: { previous } };
        }),
        failed: [],
      }),
    pruneHosts: ({ hosts }) =>
      Promise.resolve({
        ok: hosts.map((h) => {
          const cur = current.get(h.name) ?? 'v1';
          return {
            host: h.name,
            result: {
              current: cur,
              currentKind: 'release' as const,
              currentLink: `releases/${cur}`,
              removed: [],
            },
          };
        }),
        failed: [],
      }),
    // Its hosts keep no history: no promql probes here.
    sampleHostsHistory: () => Promise.reject(new Error('the fake fleet keeps no metrics history')),
    sampleHosts: ({ hosts }) => {
      const now = Date.now();
      const v = hosts.map((name) => {
        const c = cumulative.get(name) ?? new Array<number>(1 + COUNTERS).fill(0);
        const req = rng.poisson(3000);
        c[0]! += req;
        for (let i = 1; i <= COUNTERS; i++) c[i]! += rng.poisson(req * 0.01);
        cumulative.set(name, c);
        return [
          ...c,
          ...Array.from({ length: GAUGES }, () => Math.round(500 * (1 + rng.normal(0, 0.02))) / 10),
        ];
      });
      return Promise.resolve({ t: now, v, k: null, errors: [] });
    },
    judgeLook: (input) => real.judgeLook(input),
  };

  const worker = await createPhasedWorker({
    connection: nativeConnection,
    namespace: server.namespace,
    taskQueue,
    workflowBundle: { codePath: bundlePath },
    activities,
  });
  const started = Date.now();
  const { handle, outcome } = await worker.runUntil(async () => {
    const h = await client.workflow.start(deploy, {
      taskQueue,
      workflowId: 'deploy-scale-v2',
      args: [
        {
          cluster: 'scale',
          revision: 'v2',
          source: '/build',
          operator: 'bench',
          requestedAt: Date.now(),
        },
      ],
    });
    return { handle: h, outcome: await outcomeOf(h) };
  });
  const wallSeconds = (Date.now() - started) / 1000;
  // Page through the history (a single page may exceed the client's 4 MB message limit).
  const events: proto.temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await connection.workflowService.getWorkflowExecutionHistory({
      namespace: server.namespace,
      execution: { workflowId: handle.workflowId },
      maximumPageSize: 100,
      nextPageToken,
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  const historyBytes = proto.temporal.api.history.v1.History.encode({ events }).finish().length;
  const largestEvent = Math.max(
    ...events.map((e) => proto.temporal.api.history.v1.HistoryEvent.encode(e).finish().length),
  );
  // The largest single payload (an activity's input or result, a signal's
  // argument), as stored: Temporal refuses a payload over 2 MB.
  const payloadSizes = (x: unknown): number[] => {
    if (!x || typeof x !== 'object' || x instanceof Uint8Array) return [];
    const o = x as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object')
      return [proto.temporal.api.common.v1.Payload.encode(o).finish().length];
    return Object.values(o).flatMap(payloadSizes);
  };
  const largestPayload = Math.max(0, ...events.flatMap(payloadSizes));
  await client.workflow
    .getHandle(queueWorkflowId('scale'))
    .terminate('benchmark done')
    .catch(() => undefined);
  await connection.close();
  await nativeConnection.close();

  // Where the bytes go: each event's encoded size, by what it carries.
  const { EventType } = proto.temporal.api.enums.v1;
  const activityOf = new Map<string, string>();
  const bytesBy = new Map<string, { events: number; bytes: number; largest: number }>();
  for (const e of events) {
    const type = (EventType[e.eventType ?? 0] ?? 'unknown')
      .replace('EVENT_TYPE_', '')
      .toLowerCase();
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) activityOf.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const done = e.activityTaskCompletedEventAttributes;
    const key = scheduled
      ? `${scheduled.activityType?.name} input`
      : done
        ? `${activityOf.get(String(done.scheduledEventId)) ?? '?'} result`
        : type;
    const size = proto.temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
    const row = bytesBy.get(key) ?? { events: 0, bytes: 0, largest: 0 };
    row.events++;
    row.bytes += size;
    row.largest = Math.max(row.largest, size);
    bytesBy.set(key, row);
  }
  const breakdown = [...bytesBy]
    .sort(([, a], [, b]) => b.bytes - a.bytes)
    .map(([what, r]) => ({ what, ...r }));

  const result = {
    command: `npx tsx bench/scale/run.ts --hosts ${HOSTS}`,
    date: new Date().toISOString().slice(0, 10),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    hosts: HOSTS,
    metrics: COUNTERS + GAUGES,
    batchSize: config.batchSize,
    maxHostsRead: config.judge.maxHostsRead ?? DEFAULTS.judge.maxHostsRead,
    outcome: outcome.outcome,
    // Every judge activity, early looks included (a passing early look leaves no verdict record).
    looks: events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'judgeLook',
    ).length,
    historyEvents: events.length,
    historyBytes,
    largestEventBytes: largestEvent,
    largestPayloadBytes: largestPayload,
    workerRssMb: Math.round(peakRss / 2 ** 20),
    wallSeconds,
    bytesPerHost: Math.round(historyBytes / HOSTS),
    breakdown,
  };
  type Row = typeof result;
  const out = path.join(projectRoot, 'bench/results');
  const file = path.join(out, 'scale.json');
  const earlier = existsSync(file)
    ? ((JSON.parse(readFileSync(file, 'utf8')) as { rows?: Row[] }).rows ?? [])
    : [];
  const rows = [...earlier.filter((r) => r.hosts !== HOSTS), result].sort(
    (a, b) => a.hosts - b.hosts,
  );
  writeFileSync(file, JSON.stringify({ rows }, null, 2) + '\n');
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  const md = [
    '# Scale benchmark',
    '',
    `Machine: ${result.machine}. Each row: \`npx tsx bench/scale/run.ts --hosts N\` on the date it gives.`,
    '',
    `One deploy of N fake hosts with ${result.metrics} metrics (6 error rates, 6 gauges) sampled at every reading, ` +
      'on the embedded Temporal server with a real worker, the real workflow and the real judge; reading and look counts as with the default durations ' +
      "(6 baseline readings, 6 soak readings each judged, 10 watch looks). Temporal's limits: 10 MB of history and 10,240 events warn (50 MB and 51,200 end the workflow), 2 MB per payload, 4 MB per gRPC message.",
    '',
    '| hosts | read per reading | outcome | judged looks | history events | history size | bytes per host | largest event | largest payload | worker peak RSS | wall time | date |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.hosts} | ${Math.min(r.hosts, r.maxHostsRead ?? r.hosts)} | ${r.outcome} | ${r.looks} | ${r.historyEvents} | ${mib(r.historyBytes)} | ${r.bytesPerHost} | ${(r.largestEventBytes / 2 ** 10).toFixed(0)} KiB | ${r.largestPayloadBytes === undefined ? '-' : `${(r.largestPayloadBytes / 2 ** 10).toFixed(0)} KiB`} | ${r.workerRssMb} MiB | ${r.wallSeconds.toFixed(0)} s | ${r.date} |`,
    ),
    '',
    "The worker's RSS includes the benchmark driver and the fake fleet, which run in the same process; the workflow code is bundled beforehand in a child process, as a build step would.",
    '',
    ...projection(rows),
    ...rows.flatMap((r) => [
      `## Where the history's bytes go: ${r.hosts} hosts`,
      '',
      '| what | events | bytes | share | largest |',
      '| --- | --- | --- | --- | --- |',
      ...(r.breakdown ?? [])
        .slice(0, 12)
        .map(
          (b) =>
            `| ${b.what} | ${b.events} | ${mib(b.bytes)} | ${((100 * b.bytes) / r.historyBytes).toFixed(1)}% | ${(b.largest / 2 ** 10).toFixed(0)} KiB |`,
        ),
      '',
    ]),
  ];
  writeFileSync(path.join(out, 'scale.md'), md.join('\n'));
  console.log(md.join('\n'));
} finally {
  clearInterval(rssTimer);
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A straight line through the rows (least squares, against the host count)
 * for the history's bytes, its events and the worker's RSS, read at 50,000
 * hosts, and which of Temporal's limits it would meet first.
 */
function projection(
  rows: { hosts: number; historyBytes: number; historyEvents: number; workerRssMb: number }[],
): string[] {
  if (rows.length < 2) return [];
  const fit = (y: (r: (typeof rows)[number]) => number) => {
    const n = rows.length;
    const mx = rows.reduce((a, r) => a + r.hosts, 0) / n;
    const my = rows.reduce((a, r) => a + y(r), 0) / n;
    const sxx = rows.reduce((a, r) => a + (r.hosts - mx) ** 2, 0);
    const slope = rows.reduce((a, r) => a + (r.hosts - mx) * (y(r) - my), 0) / sxx;
    return { slope, at: (hosts: number) => my + slope * (hosts - mx) };
  };
  const bytes = fit((r) => r.historyBytes);
  const events = fit((r) => r.historyEvents);
  const rss = fit((r) => r.workerRssMb);
  const at = 50_000;
  const limits = [
    { what: "10 MB of history (Temporal's warning)", hosts: (10e6 - bytes.at(0)) / bytes.slope },
    { what: '50 MB of history (the workflow ends)', hosts: (50e6 - bytes.at(0)) / bytes.slope },
    { what: "10,240 events (Temporal's warning)", hosts: (10_240 - events.at(0)) / events.slope },
  ]
    .filter((l) => Number.isFinite(l.hosts) && l.hosts > 0)
    .sort((a, b) => a.hosts - b.hosts);
  return [
    '## Projected to 50,000 hosts',
    '',
    `A straight line through the rows above (least squares against the host count): each host adds ${bytes.slope.toFixed(0)} bytes of history, each 1,000 hosts ${(events.slope * 1000).toFixed(1)} events and ${(rss.slope * 1000).toFixed(1)} MiB of worker RSS.`,
    '',
    '| hosts | history size | history events | worker peak RSS |',
    '| --- | --- | --- | --- |',
    `| ${at} (projected) | ${(bytes.at(at) / 2 ** 20).toFixed(1)} MiB | ${Math.round(events.at(at))} | ${Math.round(rss.at(at))} MiB |`,
    '',
    limits.length > 0
      ? `First limit met: ${limits[0]!.what} at about ${Math.round(limits[0]!.hosts).toLocaleString('en')} hosts${limits
          .slice(1)
          .map((l) => `; then ${l.what} at about ${Math.round(l.hosts).toLocaleString('en')}`)
          .join('')}.`
      : 'No limit is met on this line.',
    '',
  ];
}
