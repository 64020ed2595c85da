// `phased abort`, a superseded deploy, and a deploy terminated from the
// Temporal UI, as the command line reports them on a real worker and local hosts.
import { describe, expect, it } from 'vitest';
import { createLocalFleet, preinstall } from '../helpers/local-fleet.js';
import { runPhased } from '../helpers/cli.js';
import { eventually } from '../../src/poll.js';
import { uniqueId, withWorker } from '../helpers/temporal.js';
import { phasedClient } from '../helpers/deploys.js';
import { cliEnv, json, writeConfig } from '../helpers/cli-deploy.js';

describe('phased deploy, as operators stop or repair it', () => {
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
});
