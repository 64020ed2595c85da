// Records what a build of phased's workflows writes for each way a deploy
// ends (and a rollback), on a fake fleet and the time-skipping server, into
// test/workflow/histories/<build>/. The replay test replays every recorded
// build against today's code: a change that would break a running deploy
// of that build fails there. Record once per build whose deploys may still be
// running when the next one starts (docs/patches.md):
//
//   npx tsx test/workflow/record-histories.ts
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities/index.js';
import { outcomeOf } from '../../src/app/client.js';
import { eventually } from '../../src/poll.js';
import type { ClusterConfig } from '../../src/config/schema.js';
import { projectRoot } from '../../src/paths.js';
import { temporalBinary } from '../../src/app/temporal/binaries.js';
import { phasedDataConverter } from '../../src/app/temporal/codec.js';
import { defaultBuildId } from '../../src/app/temporal/versioning.js';
import { bundleWorkflows, installRuntime } from '../../src/app/worker.js';
import { abortUpdate, deploy, promoteUpdate, statusQuery } from '../../workflows/deploy.js';
import { rollback } from '../../workflows/rollback.js';
import { DeployCluster, DeployRevision } from '../../workflows/search-attributes.js';
import { startDevServer } from '../../src/app/devserver.js';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { FakeFleet, fakeClusterFiles, testConfig } from '../helpers/fake-fleet.js';
import { patchMarkers } from '../helpers/patch-markers.js';

installRuntime('ERROR');
const { version } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
  version: string;
};
const build = process.argv[2] ?? defaultBuildId(version, projectRoot);
const dir = path.join(projectRoot, 'test/workflow/histories', build);
mkdirSync(dir, { recursive: true });

const HOSTS = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6', 'web-7', 'web-8'];
const WIDE = Array.from({ length: 30 }, (_, i) => `web-${i + 1}`);
const who = { operator: 'ops', reason: 'recorded' };
const hooks = { notify: [{ url: 'http://hooks.example/deploys' }] };

interface Case {
  name: string;
  hosts?: string[];
  /** Changes some of the fake fleet's activities. */
  activities?: (fake: Activities) => Partial<Activities>;
  /** Also record the cluster queue's history (it holds the queue's own patches). */
  queue?: boolean;
  config: (cluster: string) => ClusterConfig;
  fleet?: (f: FakeFleet) => void;
  /** Drives the running deploy (operator commands); default: wait for its end. */
  drive?: (h: DeployHandle, env: TestWorkflowEnvironment) => Promise<void>;
  /** A plain rollback after the deploy. */
  thenRollback?: boolean;
}
type DeployHandle = Awaited<ReturnType<TestWorkflowEnvironment['client']['workflow']['start']>>;

const untilPhase = (h: DeployHandle, ok: (s: { phase: string; paused?: unknown }) => boolean) =>
  eventually(async () => ok(await h.query(statusQuery)), {
    what: `${h.workflowId} to reach the awaited phase`,
    timeoutMs: 60_000,
    intervalMs: 100,
  });

const CASES: Case[] = [
  {
    name: 'deploy-done',
    config: (c) => testConfig(c, HOSTS, hooks),
    thenRollback: true,
    queue: true,
  },
  {
    // The first watch look lacks exposure (too few requests yet): it waits for the next.
    name: 'deploy-done-watch-waits-for-exposure',
    config: (c) => testConfig(c, HOSTS),
    activities: (fake) => {
      let looks = 0;
      return {
        judgeLook: async (input) => {
          const verdict = await fake.judgeLook(input);
          return ++looks === 3
            ? {
                ...verdict,
                verdict: 'inconclusive',
                waitsForExposure: true,
                reason: 'too few requests yet (recorded)',
              }
            : verdict;
        },
      };
    },
  },
  {
    // Every series from Prometheus: the baseline is read from its history.
    name: 'deploy-done-baseline-from-history',
    config: (c) =>
      testConfig(c, HOSTS, {
        metricsSource: { type: 'prometheus', url: 'http://prometheus.example:9090' },
        probes: [{ type: 'promql', series: [{ series: 'load1', query: 'load1{host="{host}"}' }] }],
      }),
  },
  {
    // A fleet larger than the hosts read per reading: a spread sample is read.
    name: 'deploy-done-read-sample',
    hosts: WIDE,
    config: (c) => testConfig(c, WIDE, { canary: { size: 3 }, judge: { maxHostsRead: 20 } }),
  },
  {
    name: 'deploy-canary-rollback',
    config: (c) => testConfig(c, HOSTS, hooks),
    fleet: (f) => (f.script = (look) => (look.index === 0 ? 'regression' : 'pass')),
  },
  {
    name: 'deploy-watch-rollback',
    config: (c) => testConfig(c, HOSTS),
    fleet: (f) => (f.script = (look) => (look.index === 2 ? 'regression' : 'pass')),
  },
  {
    name: 'deploy-staging-failed',
    config: (c) => testConfig(c, HOSTS),
    fleet: (f) => f.failStage.add('web-3'),
  },
  {
    name: 'deploy-paused-then-promoted',
    config: (c) => testConfig(c, HOSTS, hooks),
    fleet: (f) => (f.script = (look) => (look.index === 1 ? 'inconclusive' : 'pass')),
    drive: async (h, env) => {
      await env.sleep('5 minutes');
      await untilPhase(h, (s) => Boolean(s.paused));
      await h.executeUpdate(promoteUpdate, { args: [{ ...who, intent: 'proceed' }] });
    },
  },
  {
    // Paused at the canary's deciding look, then aborted: the canaries go back.
    name: 'deploy-aborted-while-paused',
    config: (c) => testConfig(c, HOSTS),
    fleet: (f) => (f.script = (look) => (look.index === 1 ? 'inconclusive' : 'pass')),
    drive: async (h, env) => {
      await env.sleep('5 minutes');
      await untilPhase(h, (s) => Boolean(s.paused));
      await h.executeUpdate(abortUpdate, { args: [who] });
    },
  },
];

const workflowBundle = await bundleWorkflows();
/** Each recorded history's workflow id: a replay must run under the id it was recorded with. */
const workflowIds: Record<string, string> = {};
const save = (name: string, history: { events?: unknown[] | null }, workflowId: string) => {
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(history) + '\n');
  workflowIds[`${name}.json`] = workflowId;
  writeFileSync(path.join(dir, 'workflow-ids.json'), JSON.stringify(workflowIds, null, 2) + '\n');
};
for (const c of CASES) {
  // A fresh server per case: ending a case's queue workflow can leave time
  // skipping locked on its server (test/helpers/deploy-harness.ts).
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalBinary('temporal-test-server') } },
  });
  try {
    const fleet = new FakeFleet(c.hosts ?? HOSTS);
    c.fleet?.(fleet);
    const cluster = `record-${c.name}`;
    const config = c.config(cluster);
    fakeClusterFiles.set(cluster, config);
    const taskQueue = `record-${c.name}`;
    const real = fleet.activities(env.client, taskQueue);
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      dataConverter: phasedDataConverter,
      workflowBundle,
      activities: {
        ...real,
        ...c.activities?.(real),
        // The fake hosts keep no metrics history: the baseline reads flat values.
        sampleHostsHistory: (input: Parameters<Activities['sampleHostsHistory']>[0]) =>
          Promise.resolve(
            Array.from({ length: input.grid.count }, (_, k) => ({
              t: input.grid.startMs + k * input.grid.stepMs,
              v: input.hosts.map(() => input.series.map(() => 1)),
              k: null,
              errors: [],
            })),
          ),
      },
    });
    const histories = await worker.runUntil(async () => {
      const h = await env.client.workflow.start(deploy, {
        taskQueue,
        workflowTaskTimeout: '2 hours',
        workflowId: `deploy-${cluster}`,
        args: [{ cluster, revision: 'v2', source: '/build', operator: 'ci', requestedAt: 1 }],
      });
      await c.drive?.(h, env);
      await outcomeOf(h);
      const out = [{ name: c.name, history: await h.fetchHistory(), id: h.workflowId }];
      if (c.thenRollback) {
        const r = await env.client.workflow.start(rollback, {
          taskQueue,
          workflowTaskTimeout: '2 hours',
          workflowId: `rollback-${cluster}`,
          args: [{ cluster, operator: 'ops', reason: 'recorded', requestedAt: 2 }],
        });
        await outcomeOf(r);
        out.push({ name: 'rollback-done', history: await r.fetchHistory(), id: r.workflowId });
      }
      const queue = env.client.workflow.getHandle(`cluster-${cluster}`);
      await queue.terminate('recorded').catch(() => undefined);
      if (c.queue)
        out.push({
          name: 'cluster-queue',
          history: await queue.fetchHistory(),
          id: queue.workflowId,
        });
      return out;
    });
    for (const { name, history, id } of histories) {
      save(name, history, id);
      console.log(
        `${name}: ${history.events?.length} events, patches ${[...patchMarkers(history)].sort().join(', ') || 'none'}`,
      );
    }
  } finally {
    await env.teardown();
  }
}

// A rollback as phased's client starts one, with the search attributes the
// time-skipping server does not keep: it records its targets beside them.
// On the dev server, whose search attributes phased registers at start.
{
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'phased-record-'));
  const server = await startDevServer({
    port: 0,
    uiPort: null,
    dbFile: null,
    logFile: path.join(tmp, 'server.log'),
    env: { ...process.env, TEMPORAL_ADDRESS: '' },
  });
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  try {
    const client = new Client({
      connection,
      namespace: server.namespace,
      dataConverter: phasedDataConverter,
    });
    const fleet = new FakeFleet(HOSTS);
    // Two releases on every host: a plain rollback has somewhere to go.
    for (const h of fleet.hosts.values()) {
      h.releases.push('v2');
      h.current = 'v2';
    }
    const cluster = 'record-rollback-search-attributes';
    fakeClusterFiles.set(cluster, testConfig(cluster, HOSTS));
    const taskQueue = cluster;
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: server.namespace,
      taskQueue,
      dataConverter: phasedDataConverter,
      workflowBundle,
      activities: fleet.activities(client, taskQueue),
    });
    const history = await worker.runUntil(async () => {
      const r = await client.workflow.start(rollback, {
        taskQueue,
        workflowId: `rollback-${cluster}`,
        args: [{ cluster, operator: 'ops', reason: 'recorded', requestedAt: 2 }],
        typedSearchAttributes: [
          { key: DeployCluster, value: cluster },
          { key: DeployRevision, value: 'previous' },
        ],
      });
      await outcomeOf(r);
      await client.workflow
        .getHandle(`cluster-${cluster}`)
        .terminate('recorded')
        .catch(() => undefined);
      return r.fetchHistory();
    });
    save('rollback-done-search-attributes', history, `rollback-${cluster}`);
    console.log(
      `rollback-done-search-attributes: ${history.events?.length} events, patches ${[...patchMarkers(history)].sort().join(', ')}`,
    );
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
