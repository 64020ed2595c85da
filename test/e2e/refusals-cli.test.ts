// What the worker refuses before anything is copied: a bad cluster file, a
// bad revision, a configuration sent by the caller. Each exits 2 and changes nothing.
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalFleet, preinstall } from '../helpers/local-fleet.js';
import { runPhased } from '../helpers/cli.js';
import { uniqueId, withWorker } from '../helpers/temporal.js';
import { phasedClient } from '../helpers/deploys.js';
import { refusalOf } from '../../src/app/client.js';
import { cliEnv, writeConfig } from '../helpers/cli-deploy.js';

describe('phased deploy, refused', () => {
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
