// Upgrading phased as an operator does it: the first worker of an
// installation is current, a worker of a new build joins without taking
// over, `phased upgrade <build>` moves new deploys to it, and `phased
// upgrade` shows the old build drained, so its workers can stop.
import { describe, expect, inject, it } from 'vitest';
import { eventually } from '../../src/poll.js';
import { runPhased, startPhased } from '../helpers/cli.js';
import { testClustersDir } from '../helpers/clusters.js';
import { sharedServer, uniqueId } from '../helpers/temporal.js';

describe('phased upgrade', () => {
  it('moves new deploys to a new build and shows the old one drain; refuses a build no worker runs', async () => {
    const deploymentName = uniqueId('install');
    const e: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: sharedServer().address,
      PHASED_TASK_QUEUE: uniqueId('tq'),
      PHASED_DEPLOYMENT_NAME: deploymentName,
      PHASED_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      PHASED_CONFIG_DIR: testClustersDir(),
    };
    const before = await runPhased(['upgrade'], e);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain(
      `[WORKER_VERSION]: no worker of worker deployment ${deploymentName}`,
    );

    const a = startPhased(['worker', '--build-id', 'build-a'], e);
    await a.waitFor(`build build-a of worker deployment ${deploymentName} (current)`, 60_000);
    const b = startPhased(['worker', '--build-id', 'build-b'], e);
    await b.waitFor(
      'current is build-a: new deploys start there until phased upgrade build-b',
      60_000,
    );

    const unknown = await runPhased(['upgrade', 'build-zzz'], e);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('[WORKER_VERSION]: cannot make build build-zzz current');
    expect(unknown.stderr).toContain('fix: start a phased worker of that build first');

    const up = await runPhased(['upgrade', 'build-b'], e);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^ {2}build-b +current +new deploys and rollbacks start here$/m);
    // Nothing ever started on build A: it drains as soon as the server looks.
    await eventually(
      async () => {
        const shown = await runPhased(['upgrade', '--json'], e);
        const { current, versions } = JSON.parse(shown.stdout) as {
          current: string;
          versions: { buildId: string; state: string }[];
        };
        return (
          current === 'build-b' &&
          versions.some((v) => v.buildId === 'build-a' && v.state === 'drained')
        );
      },
      { what: 'build-a to read as drained', timeoutMs: 60_000 },
    );
    for (const w of [a, b]) w.signal('SIGTERM');
    expect((await a.exited).code).toBe(0);
    expect((await b.exited).code).toBe(0);
  });
});
