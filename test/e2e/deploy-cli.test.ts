// The `phased` command as CI and operators use it, against a real worker on
// local hosts: exit codes and --json for each outcome, operator commands,
// and configuration errors.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalFleet, preinstall, type LocalFleet } from '../helpers/local-fleet.js';
import { runPhased, startPhased } from '../helpers/cli.js';
import { eventually } from '../../src/poll.js';
import { sharedServer, uniqueId, withWorker } from '../helpers/temporal.js';
import { holdCluster, testClustersDir } from '../helpers/clusters.js';
import { phasedClient } from '../helpers/deploys.js';
import { refusalOf } from '../../src/client.js';

/** Puts the cluster's file where the test's workers read theirs. */
const writeConfig = (fleet: LocalFleet, doc: Record<string, unknown> = fleet.configDoc) =>
  holdCluster(doc);

const cliEnv = (taskQueue: string) => ({
  ...process.env,
  TEMPORAL_ADDRESS: sharedServer().address,
  PHASED_TASK_QUEUE: taskQueue,
  PHASED_OPERATOR: 'ci-bot',
});

/** `phased deploy ... --wait` of `rev` (failing `rate` of requests) on a fleet. */
const waitedDeploy = (fleet: LocalFleet, rev: string, rate = 0) => [
  'deploy',
  '--cluster',
  fleet.config.cluster,
  '--revision',
  rev,
  '--source',
  fleet.release(rev, rate),
  '--wait',
];

const json = (stdout: string) =>
  JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;

describe('phased deploy', () => {
  it('Ctrl-C or --timeout stops only the following: the CLI exits at once, says how to follow, pause or abort, and the deploy goes on', async () => {
    const fleet = await createLocalFleet(uniqueId('web'), 4, {
      durations: { baseline: '2m', soak: '1m', watch: '1m', lookEvery: '2s' },
    });
    await preinstall(fleet, 'v1', fleet.release('v1', 0));
    writeConfig(fleet);
    const cluster = fleet.config.cluster;
    await withWorker({}, async (tq) => {
      const env = cliEnv(tq);
      const deployArgs = (rev: string) => waitedDeploy(fleet, rev);
      const running = async () => {
        const s = await runPhased(['status', cluster, '--json'], env);
        return json(s.stdout) as {
          workflowId: string | null;
          status: { phase: string; config?: { file: string; digest: string } } | null;
        };
      };

      const cli = startPhased(deployArgs('v2'), env);
      await cli.waitFor('phased: started', 60_000);
      cli.signal('SIGINT');
      const interrupted = await cli.exited;
      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toMatch(
        /^phased: interrupted \(Ctrl-C\); stopped following deploy-\S+, the deploy goes on$/m,
      );
      expect(interrupted.stderr).toContain(`abort it:  phased abort ${cluster} --reason`);
      const first = await running();
      expect(first.status?.phase).toMatch(/^(staging|baseline)$/);
      // The deploy runs with the worker's file, and says which version of it.
      const held = path.join(testClustersDir(), `${cluster}.yaml`);
      expect(first.status?.config).toEqual({
        file: held,
        digest: createHash('sha256').update(readFileSync(held)).digest('hex'),
        durations: { soak: 60_000, watch: 60_000 },
      });
      const shown = await runPhased(['status', cluster], env);
      expect(shown.stdout).toContain(
        `configuration: ${held} sha256:${first.status!.config!.digest.slice(0, 12)} (the worker's file)`,
      );
      expect((await runPhased(['abort', cluster, '--reason', 'test'], env)).code).toBe(0);
      await eventually(async () => (await running()).workflowId === null, {
        what: 'the aborted deploy to end',
        timeoutMs: 60_000,
      });

      const timedOut = await runPhased([...deployArgs('v3'), '--timeout', '3s'], env);
      expect(timedOut.code).toBe(7);
      expect(timedOut.stderr).toContain('gave up waiting after 3s (--timeout); stopped following');
      const second = await running();
      expect(second.status?.phase).toMatch(/^(staging|baseline)$/);

      // Asked on a task queue no worker polls, status still shows the deploy
      // from Temporal's visibility store (its search attributes), with a warning.
      const elsewhere = cliEnv(uniqueId('tq-nobody'));
      const seen = await eventually(
        async () => {
          const s = await runPhased(['status', cluster, '--json'], elsewhere);
          const out = json(s.stdout) as {
            workflowId: string | null;
            visibility: { revision: string; phase: string; status: string }[];
          };
          return out.workflowId ? { s, out } : undefined;
        },
        { what: 'the running deploy in visibility', timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(seen.s.code).toBe(0);
      expect(seen.s.stderr).toContain('warning [NO_WORKER]');
      expect(seen.out.workflowId).toBe(second.workflowId);
      expect(seen.out.visibility[0]).toMatchObject({ revision: 'v3', status: 'RUNNING' });
      expect(seen.out.visibility[0]!.phase).toMatch(/^(staging|baseline)$/);
      expect((await runPhased(['abort', cluster, '--reason', 'test'], env)).code).toBe(0);
      await eventually(async () => (await running()).workflowId === null, {
        what: 'the second deploy to end',
        timeoutMs: 60_000,
      });

      // On GitHub Actions, a pause shows on the job's page while the job still waits.
      const stepSummary = path.join(fleet.dir, 'paused-summary.md');
      const waiting = startPhased(deployArgs('v4'), { ...env, GITHUB_STEP_SUMMARY: stepSummary });
      await waiting.waitFor('phased: started', 60_000);
      const pause = await runPhased(['pause', cluster, '--reason', 'checking the dashboards'], env);
      expect(pause.code, pause.stderr).toBe(0);
      const paused = await eventually(
        () => {
          const text = existsSync(stepSummary) ? readFileSync(stepSummary, 'utf8') : '';
          if (!text.includes('PAUSED')) throw new Error(`the summary holds: ${text || 'nothing'}`);
          return Promise.resolve(text);
        },
        { what: 'the pause in the job summary', timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(paused).toContain(`### phased: ${cluster} <- \`v4\`: PAUSED, waiting for a person`);
      expect(paused).toContain('checking the dashboards');
      expect(paused).toContain(`Resume: \`phased resume ${cluster} --reason '...'\``);
      expect((await runPhased(['abort', cluster, '--reason', 'test'], env)).code).toBe(0);
      const ended = await waiting.exited;
      expect(ended.code).toBe(4);
      expect(readFileSync(stepSummary, 'utf8')).toContain(
        `### phased: ${cluster} <- \`v4\`: aborted`,
      );
    });
    expect(Object.values(fleet.currents())).toEqual(['v1', 'v1', 'v1', 'v1']);
  });

  it('with no worker on the task queue, deploy, status and abort say so at once, and nothing starts', async () => {
    const fleet = await createLocalFleet(uniqueId('web'), 4);
    await preinstall(fleet, 'v1', fleet.release('v1', 0));
    writeConfig(fleet);
    const env = cliEnv(uniqueId('tq-nobody'));
    const cluster = fleet.config.cluster;
    const runs = {
      deploy: await runPhased(waitedDeploy(fleet, 'v2'), env),
      status: await runPhased(['status', cluster], env),
      abort: await runPhased(['abort', cluster, '--reason', 'test'], env),
    };
    for (const [name, r] of Object.entries(runs)) {
      // status still shows what Temporal's visibility store holds: it warns, and succeeds.
      expect(r.code, `${name}: ${r.stderr}`).toBe(name === 'status' ? 0 : 2);
      expect(r.stderr, name).toContain('[NO_WORKER]: no phased worker polls task queue tq-nobody-');
      expect(r.stderr, name).toContain(
        'fix: start one where it can reach the hosts: phased worker',
      );
      expect(r.stderr, name).not.toMatch(/ServiceError|DEADLINE_EXCEEDED|\n\s+at /);
    }
    expect(runs.deploy.stderr).toContain('the deploy was not started');
    expect(runs.status.stdout).toBe(`no deploy is running on cluster ${cluster}\n`);
    // Nothing was started: the cluster has no history.
    const history = await runPhased(['history', cluster, '--json'], env);
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout)).toEqual([]);
    expect(Object.values(fleet.currents())).toEqual(['v1', 'v1', 'v1', 'v1']);
  });

  it('exits 0 when the release goes live and 3 when it is rolled back, with --json outcomes', async () => {
    const fleet = await createLocalFleet(uniqueId('web'));
    await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
    fleet.startTraffic();
    writeConfig(fleet);
    // As on GitHub Actions: the job summary file the runner shows on the job's page.
    const stepSummary = path.join(fleet.dir, 'step-summary.md');
    await withWorker({}, async (tq) => {
      const deploy = (rev: string, rate: number) =>
        runPhased([...waitedDeploy(fleet, rev, rate), '--json'], {
          ...cliEnv(tq),
          GITHUB_STEP_SUMMARY: stepSummary,
        });
      const good = await deploy('good-2', 0.01);
      expect(good.stderr).toBe('');
      expect(good.code).toBe(0);
      expect(json(good.stdout)).toMatchObject({
        outcome: 'done',
        revision: 'good-2',
        workflowId: expect.stringMatching(/^deploy-/),
      });

      const bad = await deploy('bad', 0.2);
      expect(bad.code).toBe(3);
      const out = json(bad.stdout);
      expect(out).toMatchObject({ outcome: 'rolled_back', revision: 'bad' });
      expect(out.summary as string).toContain('canary regression');
      const summary = readFileSync(stepSummary, 'utf8');
      expect(summary).toContain(`### phased: ${fleet.config.cluster} <- \`good-2\`: live`);
      expect(summary).toContain(`### phased: ${fleet.config.cluster} <- \`bad\`: rolled back`);
      expect(summary).toMatch(
        /\| canary look 1.* \| regression \| http_5xx: canary 20% vs control/,
      );
      expect(summary).toContain('exit code 3');

      const history = await runPhased(['history', fleet.config.cluster, '--json'], cliEnv(tq));
      expect(history.code).toBe(0);
      const rows = JSON.parse(history.stdout) as {
        revision: string;
        outcome: string;
        operator: string;
      }[];
      expect(rows.map((r) => [r.revision, r.outcome, r.operator])).toEqual([
        ['bad', 'rolled_back', 'ci-bot'],
        ['good-2', 'done', 'ci-bot'],
      ]);

      // The cluster's newest deploy's report, from its history alone.
      const reportFile = path.join(fleet.dir, 'report.html');
      const report = await runPhased(
        ['report', fleet.config.cluster, '--out', reportFile, '--json'],
        cliEnv(tq),
      );
      expect(report.code).toBe(0);
      expect(json(report.stdout)).toEqual({
        workflowId: out.workflowId,
        outcome: 'rolled_back',
        file: reportFile,
      });
      expect(readFileSync(reportFile, 'utf8')).toContain(
        '<span class="badge rolled_back">rolled back</span>',
      );
      const missing = await runPhased(['report', 'no-such-cluster'], cliEnv(tq));
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('[DEPLOY_NOT_FOUND]');
    });
    expect(Object.values(fleet.currents())).toEqual(fleet.config.hosts.map(() => 'good-2'));
  });

  it('exits 5 when staging fails, before any host is switched', async () => {
    const fleet = await createLocalFleet(uniqueId('web'), 4);
    await preinstall(fleet, 'v1', fleet.release('v1', 0.01));
    const blocker = path.join(fleet.dir, 'not-a-dir');
    writeFileSync(blocker, 'a file where a directory should be');
    const doc = {
      ...fleet.configDoc,
      // The root cannot be created (a file stands where its parent should be).
      createRoot: true,
      hosts: [
        ...(fleet.configDoc.hosts as object[]),
        { name: 'web-9', root: path.join(blocker, 'root') },
      ],
    };
    writeConfig(fleet, doc);
    await withWorker({}, async (tq) => {
      const r = await runPhased(
        [
          'deploy',
          '--cluster',
          fleet.config.cluster,
          '--revision',
          'v2',
          '--source',
          fleet.release('v2', 0.01),
          '--wait',
          '--json',
        ],
        cliEnv(tq),
      );
      expect(r.code).toBe(5);
      const out = json(r.stdout);
      expect(out.outcome).toBe('failed');
      expect(out.summary).toMatch(
        /staging failed on 1 host\(s\), more than maxUnavailable=0: web-9: .*no host was switched/,
      );
    });
    expect(Object.values(fleet.currents())).toEqual(['v1', 'v1', 'v1', 'v1']);
  });

  it('exits 4 when an operator aborts, and 6 for a deploy superseded while it waited', async () => {
    const fleet = await createLocalFleet(uniqueId('web'));
    await preinstall(fleet, 'v1', fleet.release('v1', 0.01));
    fleet.startTraffic();
    writeConfig(fleet, {
      ...fleet.configDoc,
      // A soak that only an abort ends (120 readings: the most a phase may take).
      durations: { baseline: '1s', soak: '10m', watch: '5s', lookEvery: '5s' },
    });
    const cluster = fleet.config.cluster;
    await withWorker({}, async (tq) => {
      const env = cliEnv(tq);
      const deploy = (rev: string, wait: boolean) =>
        runPhased(
          [
            'deploy',
            '--cluster',
            cluster,
            '--revision',
            rev,
            '--source',
            fleet.release(rev, 0.01),
            '--json',
            ...(wait ? ['--wait'] : []),
          ],
          env,
        );
      const first = deploy('v2', true);
      await eventually(
        async () => {
          const s = await runPhased(['status', cluster, '--json'], env);
          return (json(s.stdout).status as { phase: string } | null)?.phase === 'canary';
        },
        { what: 'the first deploy to reach its canary soak', timeoutMs: 60_000 },
      );
      const everywhere = await runPhased(['status', '--json'], env);
      const running = JSON.parse(everywhere.stdout) as { workflowId: string; revision: string }[];
      expect(
        running.some(
          (r) => r.revision === 'v2' && r.workflowId.startsWith(`deploy-${cluster}-v2-`),
        ),
      ).toBe(true);
      const middle = deploy('v3', true);
      await eventually(
        async () => {
          const s = await runPhased(['status', cluster, '--json'], env);
          return (json(s.stdout).waiting as unknown[]).length === 1;
        },
        { what: 'v3 to queue' },
      );
      expect((await deploy('v4', false)).code).toBe(0);

      const refused = await runPhased(['resume', cluster, '--reason', 'nothing to resume'], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('[DEPLOY_REJECTED]');
      expect(refused.stderr).toContain('cannot resume: the deploy is not paused');

      const abort = await runPhased(['abort', cluster, '--reason', 'wrong branch', '--json'], env);
      expect(abort.code).toBe(0);
      expect(json(abort.stdout)).toMatchObject({
        status: { actions: [{ command: 'abort', operator: 'ci-bot', reason: 'wrong branch' }] },
      });

      const a = await first;
      expect(a.code).toBe(4);
      expect(json(a.stdout).summary).toContain('aborted by ci-bot during canary: wrong branch');
      const m = await middle;
      expect(m.code).toBe(6);
      expect(json(m.stdout)).toMatchObject({
        outcome: 'superseded',
        summary: 'superseded: v4 was requested after it',
      });
      // v4 runs next; abort it too so the test does not wait for its soak.
      await eventually(
        async () => {
          const s = await runPhased(['status', cluster, '--json'], env);
          return (
            (json(s.stdout).status as { revision: string; phase: string } | null)?.phase ===
            'canary'
          );
        },
        { what: 'v4 to reach its soak', timeoutMs: 60_000 },
      );
      expect((await runPhased(['abort', cluster, '--reason', 'end of test'], env)).code).toBe(0);
      await eventually(
        async () => {
          const s = await runPhased(['status', cluster, '--json'], env);
          return json(s.stdout).status === null;
        },
        { what: 'the cluster to be idle' },
      );
    });
    expect(Object.values(fleet.currents())).toEqual(fleet.config.hosts.map(() => 'v1'));
  });

  it('a deploy terminated from the Temporal UI leaves a canary on its release: status names the drift and the fix, and the fix repairs it', async () => {
    const fleet = await createLocalFleet(uniqueId('web'), 4);
    await preinstall(fleet, 'v1', fleet.release('v1', 0.01));
    fleet.startTraffic();
    // A soak that only the termination ends.
    writeConfig(fleet, {
      ...fleet.configDoc,
      holdback: 0,
      durations: { baseline: '1s', soak: '10m', watch: '5s', lookEvery: '5s' },
    });
    const cluster = fleet.config.cluster;
    await withWorker({}, async (tq) => {
      const env = cliEnv(tq);
      const status = async (...extra: string[]) => {
        const r = await runPhased(['status', cluster, ...extra], env);
        expect(r.code, r.stderr).toBe(0);
        return r.stdout;
      };
      const clean = await status();
      expect(clean).toContain(
        'fleet: all 4 hosts on v1, no deploy or rollback of this cluster is recorded as done',
      );
      const started = await runPhased(
        ['deploy', '--cluster', cluster, '--revision', 'v2', '--source', fleet.release('v2', 0.01)],
        env,
      );
      expect(started.code, started.stderr).toBe(0);
      const id = await eventually(
        async () => {
          const s = json(await status('--json')) as {
            workflowId: string | null;
            status: { phase: string; hostCounts: { switched?: number } } | null;
          };
          return s.status?.phase === 'canary' && (s.status.hostCounts.switched ?? 0) > 0
            ? s.workflowId!
            : undefined;
        },
        { what: 'the canary switched', timeoutMs: 90_000, intervalMs: 500 },
      );
      const pc = await phasedClient(tq);
      try {
        // What More Actions -> Terminate does: no compensation runs.
        await pc.client.workflow.getHandle(id).terminate('terminated from the UI');
      } finally {
        await pc.close();
      }
      const canary = Object.entries(fleet.currents()).find(([, r]) => r === 'v2')![0];
      const drift = await status();
      expect(drift).toContain(`no deploy is running on cluster ${cluster}`);
      expect(drift).toContain(
        `DRIFT: 1 of 4 hosts not on the fleet's most common release v1 (no deploy or rollback of this cluster is recorded as done): ${canary} on v2; the fleet runs v1 (3 hosts), v2 (${canary})`,
      );
      expect(drift).toContain(`the newest run, ${id}, ended TERMINATED without an outcome`);
      expect(drift).toContain(`fix: phased rollback ${cluster} --to v1 --reason '...'`);
      const asJson = json(await status('--json')) as { fleet: { drift: boolean; off: unknown[] } };
      expect(asJson.fleet).toMatchObject({ drift: true, off: [{ host: canary, current: 'v2' }] });

      // The fix it names, as an operator runs it: the queue frees the terminated holder at once.
      const fix = await runPhased(['rollback', cluster, '--to', 'v1', '--reason', 'drift'], env);
      expect(fix.code, fix.stderr).toBe(0);
      expect(Object.values(fleet.currents())).toEqual(['v1', 'v1', 'v1', 'v1']);
      expect(await status()).toMatch(
        /fleet: all 4 hosts on v1, the recorded live release v1 \(rollback-\S+\)/,
      );
    });
  });

  it('exits 2 naming every bad field of the cluster file the worker holds, and the bad revision', async () => {
    const fleet = await createLocalFleet(uniqueId('web'), 2);
    writeConfig(fleet, {
      ...fleet.configDoc,
      canary: { size: 'many' },
      durations: { soak: 'forever' },
    });
    const src = fleet.release('v1', 0);
    const deploy = (env: NodeJS.ProcessEnv, revision: string) =>
      runPhased(
        ['deploy', '--cluster', fleet.config.cluster, '--revision', revision, '--source', src],
        env,
      );
    const r = await withWorker({}, (tq) => deploy(cliEnv(tq), 'v1'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[CONFIG_INVALID]');
    expect(r.stderr).toContain('canary.size: must be a host count (3) or a percentage ("5%")');
    expect(r.stderr).toContain('durations.soak: "forever" is not a duration');
    // A bad revision is refused by the command itself, before it asks any worker.
    const bad = await deploy(process.env, 'x;touch /tmp/pwned');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '[REVISION_INVALID]: revision "x;touch /tmp/pwned" is not a safe name',
    );
    const help = await runPhased(['deploy', '--help'], process.env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--revision <rev>');
    expect(help.stdout).not.toContain('--config');
  });

  it('the worker refuses what it must with exit 2 before anything is copied, and changes nothing', async () => {
    const fleet = await createLocalFleet(uniqueId('web'), 4);
    await preinstall(fleet, 'v1', fleet.release('v1', 0));
    const cluster = fleet.config.cluster;
    const empty = path.join(fleet.dir, 'empty-build');
    mkdirSync(empty);
    const leaky = fleet.release('leaky', 0);
    symlinkSync('/etc/shadow', path.join(leaky, 'leak'));
    const builds = path.join(fleet.dir, 'ci-builds');
    mkdirSync(builds);
    await withWorker({}, async (tq) => {
      const deploy = (
        revision: string,
        source: string,
        { name = cluster, env = {} }: { name?: string; env?: NodeJS.ProcessEnv } = {},
      ) =>
        runPhased(['deploy', '--cluster', name, '--revision', revision, '--source', source], {
          ...cliEnv(tq),
          ...env,
        });
      /** The cluster file the worker holds for this case (the good one, changed by `change`). */
      const holding = (change: Record<string, unknown>) => () =>
        writeConfig(fleet, { ...fleet.configDoc, ...change });
      const v2 = fleet.release('v2', 0);
      const cases: [string, () => void, () => ReturnType<typeof deploy>, string][] = [
        [
          'canary as large as the fleet',
          holding({ canary: { size: 4 } }),
          () => deploy('v2', v2),
          'canary.size: 4 canary host(s) of 4 leaves no control host',
        ],
        [
          'lookEvery of zero',
          holding({ durations: { lookEvery: 0 } }),
          () => deploy('v2', v2),
          'durations.lookEvery: "0" must be longer than zero',
        ],
        ['an empty source', holding({}), () => deploy('v2', empty), '[SOURCE_INVALID]'],
        [
          'a symlink leaving the source',
          holding({}),
          () => deploy('v2', leaky),
          'leak -> /etc/shadow',
        ],
        [
          'a 10,000-character revision',
          holding({}),
          () => deploy('r'.repeat(10_000), v2),
          `revision "${'r'.repeat(64)}"... is not a safe name (10000 characters)`,
        ],
        [
          'a cluster the worker does not hold',
          holding({}),
          () => deploy('v2', v2, { name: 'no-such-cluster' }),
          '[CLUSTER_UNKNOWN]: this worker holds no cluster "no-such-cluster"',
        ],
        [
          'an operator the access list does not name',
          holding({ access: { deploy: ['release-bot'], abort: ['*'] } }),
          () => deploy('v2', v2),
          `[NOT_AUTHORIZED]: ci-bot may not deploy cluster ${cluster}: access.deploy lists release-bot`,
        ],
        [
          "a source outside the cluster's builds directory (the worker's own files)",
          holding({ sources: builds }),
          () => deploy('v2', v2),
          `[SOURCE_OUTSIDE]: source ${v2} is not inside ${builds}`,
        ],
      ];
      for (const [what, hold, run, message] of cases) {
        hold();
        const r = await run();
        expect(r.code, what).toBe(2);
        expect(r.stderr, what).toContain(message);
        expect(r.stderr.length, what).toBeLessThan(1000);
      }

      // Started from the Temporal UI or any client with a configuration in its
      // input (hooks of the caller's choosing): refused, nothing runs.
      writeConfig(fleet);
      const pc = await phasedClient(tq);
      try {
        const forged = await pc.client.workflow.start('deploy', {
          taskQueue: tq,
          workflowId: uniqueId(`deploy-${cluster}-forged`),
          args: [
            {
              cluster,
              revision: 'v2',
              source: v2,
              operator: 'ci-bot',
              requestedAt: Date.now(),
              config: {
                ...fleet.config,
                hooks: { afterStage: { run: 'touch /tmp/phased-pwned', timeoutMs: 1000 } },
              },
            },
          ],
        });
        const err = await forged.result().then(
          () => undefined,
          (e: unknown) => e,
        );
        const refusal = refusalOf(err);
        expect(refusal?.code).toBe('CALLER_CONFIG_REFUSED');
        expect(refusal?.problem).toContain('phased workers run only the cluster files they hold');
        // The history holds no activity but the refusal: nothing was scheduled.
        const events = (await forged.fetchHistory()).events ?? [];
        expect(events.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
      } finally {
        await pc.close();
      }
    });
    expect(Object.values(fleet.currents())).toEqual(['v1', 'v1', 'v1', 'v1']);
    for (const root of Object.values(fleet.roots))
      expect(readdirSync(path.join(root, 'releases')).sort()).toEqual([
        '.v1.manifest',
        '.v1.phased',
        'v1',
      ]);
  });
});
