// Recovery benchmark: how long a deploy's work waits after the worker that
// runs it dies. Two workers serve one task queue; the benchmark kills
// (SIGKILL) the one running the deploy's activity while it is staging, while
// it is switching, and while it is rolling back, then measures the time from
// the kill until another worker has started the activity's next attempt
// (from the workflow's pending activities), and how the deploy ended.
// Each remote step takes RECOVERY_DELAY_MS more (a slow link), so the kill
// lands inside the step.
//
//   npx tsx bench/recovery/run.ts
import { outcomeOf } from '../../src/app/client.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { parseClusterConfig } from '../../src/config/load.js';
import { stringify } from 'yaml';
import { benchServer } from '../server.js';
import { projectRoot } from '../../src/paths.js';
import { eventually } from '../../src/poll.js';
import { treeChecksum } from '../../src/releases/checksum.js';
import { flipRelease, stageRelease } from '../../src/releases/ops.js';
import { LocalTransport } from '../../src/transport/local.js';
import { installRuntime } from '../../src/app/worker.js';
import { queueWorkflowId } from '../../workflows/cluster-queue.js';
import { abortUpdate, deploy, statusQuery } from '../../workflows/deploy.js';

const DELAY_MS = 2000;
const HOSTS = 8;
installRuntime('ERROR');
const { dir, bundlePath: bundle, server } = await benchServer('recovery');
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
const taskQueue = 'recovery';
const workers = new Map<string, ChildProcess>();
let next = 0;

async function startWorker(): Promise<void> {
  const identity = `recovery-worker-${++next}`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot, 'bench/recovery/worker.ts')],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: server.address,
        PHASED_TASK_QUEUE: taskQueue,
        PHASED_WORKFLOW_BUNDLE: bundle,
        PHASED_CONFIG_DIR: path.join(dir, 'clusters'),
        RECOVERY_IDENTITY: identity,
        RECOVERY_DELAY_MS: String(DELAY_MS),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  workers.set(identity, child);
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker ${identity} exited ${code}`)));
  });
}

async function kill(identity: string) {
  const child = workers.get(identity)!;
  workers.delete(identity);
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

interface Pending {
  type: string;
  attempt: number;
  started: number | null;
  worker: string;
}

async function pending(h: WorkflowHandle): Promise<Pending[]> {
  const d = await h.describe();
  return (d.raw.pendingActivities ?? []).map((a) => ({
    type: a.activityType?.name ?? '',
    attempt: a.attempt ?? 0,
    started: a.lastStartedTime?.seconds
      ? Number(a.lastStartedTime.seconds) * 1000 + Math.round((a.lastStartedTime.nanos ?? 0) / 1e6)
      : null,
    worker: a.lastWorkerIdentity ?? '',
  }));
}

/** Kills the worker running `type` once it has started, and times the next attempt's start. */
interface Row {
  phase: string;
  activity: string;
  resumeSeconds: number;
  how: string;
  outcome?: string;
}

async function killAndTime(h: WorkflowHandle, type: string, phase: string): Promise<Row> {
  const running = await eventually(
    async () => (await pending(h)).find((p) => p.type === type && p.started !== null && p.worker),
    { what: `${type} running (${phase})`, timeoutMs: 120_000, intervalMs: 50 },
  );
  const killedAt = Date.now();
  await kill(running.worker);
  const resumed = await eventually(
    async () => {
      const p = (await pending(h)).find((x) => x.type === type);
      if (!p) return { at: Date.now(), how: 'completed' }; // finished before we saw the retry start
      return p.attempt > running.attempt && p.started !== null && p.started > killedAt
        ? { at: p.started, how: `attempt ${p.attempt} on ${p.worker}` }
        : undefined;
    },
    { what: `${type} to resume (${phase})`, timeoutMs: 180_000, intervalMs: 100 },
  );
  await startWorker(); // two workers again for the next phase
  return { phase, activity: type, resumeSeconds: (resumed.at - killedAt) / 1000, how: resumed.how };
}

const rows: Row[] = [];
// Ctrl-C stops the workers and the server before exiting.
process.once('SIGINT', () => {
  for (const child of workers.values()) child.kill('SIGKILL');
  void server.stop().finally(() => process.exit(130));
});
try {
  await startWorker();
  await startWorker();
  const t = new LocalTransport();
  const hosts = Array.from({ length: HOSTS }, (_, i) => ({
    name: `web-${i + 1}`,
    address: '127.0.0.1',
    root: path.join(dir, 'hosts', `web-${i + 1}`),
  }));
  const build = (rev: string) => {
    const src = path.join(dir, 'builds', rev);
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, 'index.html'), rev);
    return src;
  };
  const v1 = build('v1');
  const tree = await treeChecksum(v1);
  for (const h of hosts) {
    mkdirSync(h.root, { recursive: true });
    await stageRelease(t, h, { revision: 'v1', source: v1, tree });
    await flipRelease(t, h, 'v1');
  }
  const doc = {
    cluster: 'recovery',
    hosts: hosts.map((h) => ({ name: h.name, root: h.root })),
    canary: { size: 2 },
    holdback: 3,
    durations: { baseline: '1s', soak: '2s', watch: '30s', lookEvery: '1s' },
    // No metrics here: every look is inconclusive, and this benchmark times recovery, not the judge.
    onInconclusive: 'proceed',
    // Readings still run (each host's load average, over the slow link): their recovery is timed too.
    probes: [{ type: 'loadavg' }],
  };
  // The workers hold the cluster's file; deploys name the cluster.
  parseClusterConfig(doc);
  mkdirSync(path.join(dir, 'clusters'), { recursive: true });
  writeFileSync(path.join(dir, 'clusters', 'recovery.yaml'), stringify(doc));
  const start = (revision: string) =>
    client.workflow.start(deploy, {
      taskQueue,
      workflowId: `recovery-${revision}-${Date.now()}`,
      args: [
        {
          cluster: 'recovery',
          revision,
          source: build(revision),
          operator: 'bench',
          requestedAt: Date.now(),
        },
      ],
    });

  const first = await start('v2');
  rows.push(await killAndTime(first, 'stageHosts', 'staging'));
  rows.push(await killAndTime(first, 'flipHosts', 'switching'));
  rows.at(-1)!.outcome = (await outcomeOf(first)).outcome;
  rows.at(-2)!.outcome = rows.at(-1)!.outcome;

  const second = await start('v3');
  await eventually(async () => (await second.query(statusQuery)).phase === 'watching', {
    what: 'the watch',
    timeoutMs: 120_000,
  });
  rows.push(await killAndTime(second, 'sampleHosts', 'a watch reading'));
  await second.executeUpdate(abortUpdate, {
    args: [{ operator: 'bench', reason: 'recovery benchmark' }],
  });
  const rb = await killAndTime(second, 'flipHosts', 'rolling back');
  rb.outcome = (await outcomeOf(second)).outcome;
  rows.push(rb);

  const md = [
    '# Recovery after a worker dies',
    '',
    `\`npx tsx bench/recovery/run.ts\` on ${os.cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)}: two workers, ${HOSTS} local hosts, every remote step ${DELAY_MS} ms slower (a slow link); the worker running the activity is killed with SIGKILL.`,
    'Heartbeat timeouts (workflows/timeouts.ts): 20 s for staging and for host steps, 15 s for readings; activities heartbeat every 5 s.',
    '',
    '| killed while | activity | resumed after (s) | how | deploy outcome |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.phase} | ${r.activity} | ${r.resumeSeconds.toFixed(1)} | ${r.how} | ${r.outcome ?? '-'} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(path.join(projectRoot, 'bench/results/recovery.md'), md);
  writeFileSync(
    path.join(projectRoot, 'bench/results/recovery.json'),
    JSON.stringify({ delayMs: DELAY_MS, hosts: HOSTS, rows }, null, 2),
  );
  console.log(md);
  await client.workflow
    .getHandle(queueWorkflowId('recovery'))
    .terminate('benchmark done')
    .catch(() => undefined);
} finally {
  for (const id of [...workers.keys()]) await kill(id);
  await connection.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
