// Upgrading phased while deploys run (Worker Versioning): a deploy that
// started on worker build A finishes on A, every workflow task and activity
// of it, while build B is made current and the next deploy starts on B; then
// A reads as drained, so its workers can stop.
import proto, { type temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { outcomeOf, startDeploy } from '../../src/app/client.js';
import { eventually } from '../../src/poll.js';
import {
  currentOrFirst,
  describeDeployment,
  makeCurrent,
  type WorkerVersion,
} from '../../src/app/temporal/versioning.js';
import { promoteUpdate, statusQuery } from '../../workflows/deploy.js';
import { phasedClient } from '../helpers/deploys.js';
import { createLocalFleet, preinstall } from '../helpers/local-fleet.js';
import { uniqueId, withWorker } from '../helpers/temporal.js';

/** Which worker identities completed a workflow's tasks and started its activities. */
function whoRan(events: temporal.api.history.v1.IHistoryEvent[]) {
  const workflowTasks = new Set<string>();
  const builds = new Set<string>();
  const activities = new Set<string>();
  for (const e of events) {
    const done = e.workflowTaskCompletedEventAttributes;
    if (done) {
      workflowTasks.add(done.identity ?? '');
      builds.add(done.deploymentVersion?.buildId ?? '(none)');
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) activities.add(started.identity ?? '');
  }
  return { workflowTasks, builds, activities };
}

describe('upgrading phased while a deploy runs', () => {
  it('a deploy pinned to build A finishes on A while B becomes current and the next deploy runs on B; then A drains', async () => {
    const deploymentName = uniqueId('phased-install');
    const A: WorkerVersion = { deploymentName, buildId: 'build-a' };
    const B: WorkerVersion = { deploymentName, buildId: 'build-b' };
    const durations = { baseline: '1s', soak: '4s', watch: '2s', lookEvery: '1s' };
    // The first deploy soaks until an operator promotes it: it is surely
    // running when build B becomes current, however slow the machine.
    const first = await createLocalFleet(uniqueId('web'), 4, {
      durations: { ...durations, soak: '2m' },
    });
    const second = await createLocalFleet(uniqueId('web'), 4, { durations });
    for (const fleet of [first, second]) {
      await preinstall(fleet, 'v1', fleet.release('v1', 0.01));
      fleet.startTraffic();
    }
    const taskQueue = uniqueId('versioned');
    const pc = await phasedClient(taskQueue);
    const start = (fleet: typeof first) =>
      startDeploy(pc, {
        cluster: fleet.config.cluster,
        revision: 'v2',
        source: fleet.release('v2', 0.01),
        operator: 'ci',
      });
    try {
      const { one, two } = await withWorker(
        { taskQueue, identity: 'worker-a', version: A },
        async () => {
          // A new installation's first worker makes its build current.
          expect(await currentOrFirst(pc.client, A, 'test')).toBe('build-a');
          const one = await start(first);
          await eventually(async () => (await one.query(statusQuery)).phase === 'canary', {
            what: 'the first deploy in its canary soak',
          });
          return withWorker({ taskQueue, identity: 'worker-b', version: B }, async () => {
            // A later build joins without taking over...
            expect(await currentOrFirst(pc.client, B, 'test')).toBe('build-a');
            // ...until the operator upgrades (phased upgrade build-b).
            await makeCurrent(pc.client, B, 'test');
            const two = await start(second);
            expect((await one.query(statusQuery)).phase).toBe('canary');
            // An operator's command to the running deploy is served by its build.
            await one.executeUpdate(promoteUpdate, {
              args: [{ operator: 'ops', reason: 'test', intent: 'skip' }],
            });
            const outcomes = await Promise.all([outcomeOf(one), outcomeOf(two)]);
            expect(outcomes.map((o) => o.outcome)).toEqual(['done', 'done']);
            return { one, two };
          });
        },
      );
      const ranOne = whoRan((await one.fetchHistory()).events ?? []);
      const ranTwo = whoRan((await two.fetchHistory()).events ?? []);
      expect(ranOne).toEqual({
        workflowTasks: new Set(['worker-a']),
        builds: new Set(['build-a']),
        activities: new Set(['worker-a']),
      });
      expect(ranTwo).toEqual({
        workflowTasks: new Set(['worker-b']),
        builds: new Set(['build-b']),
        activities: new Set(['worker-b']),
      });
      // The deploys were pinned; the cluster queues follow the current build.
      const { VersioningBehavior } = proto.temporal.api.enums.v1;
      const behavior = async (id: string) =>
        (await pc.client.workflow.getHandle(id).describe()).raw.workflowExecutionInfo
          ?.versioningInfo?.behavior;
      expect(await behavior(one.workflowId)).toBe(VersioningBehavior.VERSIONING_BEHAVIOR_PINNED);
      expect(await behavior(`cluster-${second.config.cluster}`)).toBe(
        VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE,
      );
      // Nothing pinned to A is open any more: its workers may stop.
      await eventually(
        async () => {
          const d = await describeDeployment(pc.client, deploymentName);
          const state = (id: string) => d?.versions.find((v) => v.buildId === id)?.state;
          return d?.current === 'build-b' && state('build-a') === 'drained';
        },
        { what: 'build A to read as drained', timeoutMs: 60_000 },
      );
    } finally {
      await pc.close();
    }
    for (const fleet of [first, second])
      expect(Object.values(fleet.currents())).toEqual(fleet.config.hosts.map(() => 'v2'));
  });
});
