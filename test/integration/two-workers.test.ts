// A fleet that outgrows one worker gets more workers on the same task queue:
// a deploy's batches (stage, sample, flip) are activities any of them may
// run. Two workers, each running one activity at a time so that neither can
// take every batch, share one deploy; both do host work, and the outcome is
// what one worker would have reached.
import { describe, expect, it } from 'vitest';
import proto from '@temporalio/proto';
import { outcomeOf, startDeploy } from '../../src/app/client.js';
import { phasedClient } from '../helpers/deploys.js';
import { createLocalFleet, preinstall } from '../helpers/local-fleet.js';
import { uniqueId, withWorker } from '../helpers/temporal.js';
import { eventually } from '../../src/poll.js';

const HOST_ACTIVITIES = new Set(['stageHosts', 'sampleHosts', 'flipHosts']);

describe('a deploy on two workers', () => {
  it('spreads its host batches over both, and ends as on one', async () => {
    const fleet = await createLocalFleet(uniqueId('two-workers'), 8, { batchSize: 2 });
    await preinstall(fleet, 'v1', fleet.release('v1', 0.01));
    fleet.startTraffic();
    const taskQueue = uniqueId('tq');
    const one = { taskQueue, maxConcurrentActivityTaskExecutions: 1 };
    const { outcome, ran } = await withWorker({ ...one, identity: 'phased-a' }, () =>
      withWorker({ ...one, identity: 'phased-b' }, async () => {
        const pc = await phasedClient(taskQueue);
        try {
          // Both poll for activities before the deploy starts.
          await eventually(
            async () => {
              const { pollers } = await pc.client.workflowService.describeTaskQueue({
                namespace: pc.client.options.namespace,
                taskQueue: { name: taskQueue },
                taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
              });
              const ids = new Set((pollers ?? []).map((p) => p.identity));
              return ids.has('phased-a') && ids.has('phased-b');
            },
            { what: 'both workers to poll for activities', intervalMs: 50 },
          );
          const handle = await startDeploy(pc, {
            cluster: fleet.config.cluster,
            revision: 'v2',
            source: fleet.release('v2', 0.01),
            operator: 'ci',
          });
          const outcome = await outcomeOf(handle);
          // Which worker ran each host activity, from the deploy's history.
          const types = new Map<string, string>();
          const ran = new Map<string, Set<string>>();
          for (const e of (await handle.fetchHistory()).events ?? []) {
            const scheduled = e.activityTaskScheduledEventAttributes;
            if (scheduled) types.set(String(e.eventId), scheduled.activityType?.name ?? '');
            const started = e.activityTaskStartedEventAttributes;
            if (started) {
              const type = types.get(String(started.scheduledEventId)) ?? '';
              if (!HOST_ACTIVITIES.has(type)) continue;
              const who = ran.get(type) ?? new Set<string>();
              who.add(started.identity ?? '');
              ran.set(type, who);
            }
          }
          return { outcome, ran };
        } finally {
          await pc.close();
        }
      }),
    );
    expect(outcome.outcome).toBe('done');
    expect(Object.values(fleet.currents())).toEqual(Array(8).fill('v2'));
    // Four batches of two hosts per step: both workers took some of them.
    const all = new Set([...ran.values()].flatMap((s) => [...s]));
    expect([...all].sort()).toEqual(['phased-a', 'phased-b']);
    expect([...ran.keys()].sort()).toEqual(['flipHosts', 'sampleHosts', 'stageHosts']);
  });
});
