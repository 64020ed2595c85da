// Scale benchmark: one deploy to 2,000 fake hosts with 12 metrics sampled at
// every look, on a real embedded Temporal server with a real worker, the real
// deploy workflow and the real judge (fetching readings by query). Hosts are
// in-memory fakes; reading and look counts match the default durations
// (baseline 180 s and watch 5 min read every 30 s, soak 60 s read and judged
// every 10 s), compressed to seconds.
//
//   npx tsx bench/scale/run.ts
import { outcomeOf } from '../../src/client.js';
import { rmSync, writeFileSync } from 'node:fs';
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
import { createPhasedWorker, installRuntime, queueDeps } from '../../src/worker.js';
import { queueWorkflowId } from '../../workflows/cluster-queue.js';
import { deploy, snapshotsQuery } from '../../workflows/deploy.js';
import { createRng } from '../judge/simulate.js';

const HOSTS = 2000;
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
  const client = new Client({ connection, namespace: server.namespace });
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
  await client.workflow
    .getHandle(queueWorkflowId('scale'))
    .terminate('benchmark done')
    .catch(() => undefined);
  await connection.close();
  await nativeConnection.close();

  const result = {
    command: 'npx tsx bench/scale/run.ts',
    date: new Date().toISOString().slice(0, 10),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    hosts: HOSTS,
    metrics: COUNTERS + GAUGES,
    outcome: outcome.outcome,
    // Every judge activity, early looks included (a passing early look leaves no verdict record).
    looks: events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'judgeLook',
    ).length,
    historyEvents: events.length,
    historyBytes,
    largestEventBytes: largestEvent,
    workerRssMb: Math.round(peakRss / 2 ** 20),
    wallSeconds,
  };
  const out = path.join(projectRoot, 'bench/results');
  writeFileSync(path.join(out, 'scale.json'), JSON.stringify(result, null, 2) + '\n');
  const md = [
    '# Scale benchmark',
    '',
    `Command: \`${result.command}\`. Date: ${result.date}. Machine: ${result.machine}.`,
    '',
    `One deploy of ${HOSTS} fake hosts with ${result.metrics} metrics (6 error rates, 6 gauges) sampled at every look, batches of ${config.batchSize} hosts, ` +
      'on the embedded Temporal server with a real worker, the real workflow and the real judge; look counts as with the default durations.',
    '',
    '| hosts | metrics | outcome | judged looks | history events | history size | largest event | worker peak RSS | wall time |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${HOSTS} | ${result.metrics} | ${result.outcome} | ${result.looks} | ${result.historyEvents} (target < 5,000) | ${(historyBytes / 2 ** 20).toFixed(2)} MiB (target < 10 MB) | ${(largestEvent / 2 ** 10).toFixed(0)} KiB (limit 2 MB) | ${result.workerRssMb} MiB (target < 512) | ${wallSeconds.toFixed(0)} s |`,
    '',
    "The worker's RSS includes the benchmark driver and the fake fleet, which run in the same process; the workflow code is bundled beforehand in a child process, as a build step would.",
    '',
  ];
  writeFileSync(path.join(out, 'scale.md'), md.join('\n'));
  console.log(md.join('\n'));
} finally {
  clearInterval(rssTimer);
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
