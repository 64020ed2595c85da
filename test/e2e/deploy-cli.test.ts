// The `phased` command as CI and operators use it, against a real worker on
// local hosts: exit codes and --json for each outcome, following and
// stopping to follow. Operator commands: operators-cli.test.ts; refusals:
// refusals-cli.test.ts (apart so that vitest runs them side by side).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalFleet, preinstall } from '../helpers/local-fleet.js';
import { runPhased, startPhased } from '../helpers/cli.js';
import { eventually } from '../../src/poll.js';
import { uniqueId, withWorker } from '../helpers/temporal.js';
import { testClustersDir } from '../helpers/clusters.js';
import { cliEnv, json, waitedDeploy, writeConfig } from '../helpers/cli-deploy.js';

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
      // Unique: other files' refused deploys name clusters nobody holds, and the
      // dev server is shared.
      const missing = await runPhased(['report', uniqueId('no-such-cluster')], cliEnv(tq));
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
});
