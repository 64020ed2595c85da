// Hooks and health checks in whole deploys (real activities, local hosts,
// the run's Temporal server): a release that never becomes healthy is rolled
// back before any traffic judgement, and its canaries' afterRollback hook
// runs; a healthy release goes live with its afterStage and afterSwitch hooks
// run once on every host.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { outcomeOf } from '../../src/app/client.js';
import { fetchDeployRecord } from '../../src/app/report/fetch.js';
import { deployToEnd, withDeployer } from '../helpers/deploys.js';
import { createLocalFleet, preinstall, type LocalFleet } from '../helpers/local-fleet.js';
import { uniqueId } from '../helpers/temporal.js';
import { testDir } from '../helpers/tmp.js';

/** A fleet whose hooks append to one log, and whose health check wants a `healthy` file in the release. */
async function hookedFleet(): Promise<{ fleet: LocalFleet; log: string }> {
  const log = path.join(await testDir('phased-hooks-log-'), 'hooks.log');
  const line = (what: string) => ({
    run: `echo "${what} $PHASED_HOST $PHASED_REVISION" >> ${log}`,
    timeout: '10s',
  });
  const fleet = await createLocalFleet(uniqueId('hooks'), 8, {
    hooks: {
      afterStage: line('stage'),
      afterSwitch: line('switch'),
      afterRollback: line('rollback'),
    },
    health: { command: 'test -f healthy', deadline: '2s', interval: '200ms', timeout: '1s' },
  });
  return { fleet, log };
}

const healthyRelease = (fleet: LocalFleet, rev: string) => {
  const src = fleet.release(rev, 0.01);
  writeFileSync(path.join(src, 'healthy'), 'yes\n');
  return src;
};

const logged = (log: string, what: string) =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${what} `))
    .sort();

describe('hooks and health checks in a deploy', () => {
  it('rolls back a release that never becomes healthy before judging any traffic, and runs afterRollback', async () => {
    const { fleet, log } = await hookedFleet();
    await preinstall(fleet, 'good-1', healthyRelease(fleet, 'good-1'));
    fleet.startTraffic();
    // This build does not come up: no `healthy` file, and no errors for the judge to see either.
    const { outcome, record } = await withDeployer(async (d) => {
      const h = await d.start(fleet, 'wont-start', 0.01);
      const outcome = await outcomeOf(h);
      return { outcome, record: await fetchDeployRecord(d.pc, h.workflowId) };
    });
    expect(outcome.outcome).toBe('rolled_back');
    expect(outcome.summary).toMatch(
      /switching canary failed on 2 host\(s\): web-\d: not healthy within 2s on wont-start \(\d+ checks; the last: exit 1\) \[HEALTH_CHECK_FAILED\]/,
    );
    expect(outcome.verdicts).toEqual([]);
    expect(outcome.rolledBack).toHaveLength(2);
    expect(Object.values(fleet.currents())).toEqual(fleet.config.hosts.map(() => 'good-1'));
    // The canaries' reload ran on the way there and on the way back.
    const canaries = outcome.rolledBack.sort();
    expect(logged(log, 'switch')).toEqual(canaries.map((h) => `switch ${h} wont-start`));
    expect(logged(log, 'rollback')).toEqual(canaries.map((h) => `rollback ${h} good-1`));
    expect(logged(log, 'stage')).toHaveLength(8);
    // The canary report rebuilds what ran after each switch from the history.
    const [forward, back] = record.flips;
    expect(forward!.direction).toBe('forward');
    expect(forward!.checks.map((c) => c.host).sort()).toEqual(canaries);
    for (const c of forward!.checks) expect(c.failed).toContain('[HEALTH_CHECK_FAILED]');
    expect(back!.direction).toBe('back');
    for (const c of back!.checks) {
      expect(c.hooks).toEqual([expect.objectContaining({ hook: 'afterRollback', code: 0 })]);
      expect(c.health).toMatchObject({ last: 'exit 0' });
    }
  });

  it('puts a healthy release live with afterStage and afterSwitch run once on every host', async () => {
    const { fleet, log } = await hookedFleet();
    await preinstall(fleet, 'good-1', healthyRelease(fleet, 'good-1'));
    fleet.startTraffic();
    healthyRelease(fleet, 'good-2');
    const outcome = await deployToEnd(fleet, 'good-2', 0.01);
    expect(outcome.outcome).toBe('done');
    const hosts = fleet.config.hosts.map((h) => h.name).sort();
    expect(logged(log, 'stage')).toEqual(hosts.map((h) => `stage ${h} good-2`));
    expect(logged(log, 'switch')).toEqual(hosts.map((h) => `switch ${h} good-2`));
    expect(logged(log, 'rollback')).toEqual([]);
    expect(Object.values(fleet.currents())).toEqual(fleet.config.hosts.map(() => 'good-2'));
  });

  it('a health check that never passes anywhere: every canary goes back, counted as rolled back and named as unhealthy', async () => {
    const { fleet } = await hookedFleet();
    // Neither release has the `healthy` file: the old one would not pass either.
    await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
    fleet.startTraffic();
    const outcome = await deployToEnd(fleet, 'good-2', 0.01);
    expect(outcome.outcome).toBe('rolled_back');
    expect(outcome.rolledBack).toHaveLength(2);
    expect(outcome.summary).toMatch(
      /; rolled back 2 host\(s\); 2 of them back on their previous release but not healthy there: web-\d: not healthy within 2s on good-1 .*\[HEALTH_CHECK_FAILED\]/,
    );
    expect(outcome.summary).not.toContain('could NOT roll back');
    expect(Object.values(fleet.currents())).toEqual(fleet.config.hosts.map(() => 'good-1'));
  });
});
