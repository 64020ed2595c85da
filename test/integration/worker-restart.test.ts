// Durability: the worker running a deploy stops during the canary soak; a new
// worker (empty cache, so it replays the history) finishes the deploy. And a
// judge look lost with a stopping worker costs the heartbeat timeout, not the
// look's two-minute deadline.
import { Context } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { startDeploy, outcomeOf } from '../../src/app/client.js';
import { statusQuery } from '../../workflows/deploy.js';
import { createLocalFleet, preinstall } from '../helpers/local-fleet.js';
import { eventually } from '../../src/poll.js';
import { phasedClient } from '../helpers/deploys.js';
import { uniqueId, withWorker } from '../helpers/temporal.js';

describe('worker restart', () => {
  it('given a worker stopped during the soak, when a new worker starts, then the deploy finishes correctly', async () => {
    const fleet = await createLocalFleet(uniqueId('web'), 8, {
      durations: { baseline: '1s', soak: '4s', watch: '2s', lookEvery: '1s' },
    });
    await preinstall(fleet, 'v1', fleet.release('v1', 0.01));
    fleet.startTraffic();
    const taskQueue = uniqueId('restart');
    const pc = await phasedClient(taskQueue);
    try {
      const handle = await withWorker({ taskQueue, identity: 'worker-1' }, async () => {
        const h = await startDeploy(pc, {
          cluster: fleet.config.cluster,
          revision: 'v2',
          source: fleet.release('v2', 0.01),
          operator: 'ci',
        });
        await eventually(async () => (await h.query(statusQuery)).phase === 'canary', {
          what: 'the canary soak',
        });
        return h;
      });
      const outcome = await withWorker({ taskQueue, identity: 'worker-2' }, () =>
        outcomeOf(handle),
      );
      expect(outcome.outcome).toBe('done');
      expect(outcome.verdicts[0]).toMatchObject({ phase: 'canary', verdict: 'pass' });
      const history = await handle.fetchHistory();
      const identities = new Set(
        history.events?.flatMap((e) => e.workflowTaskStartedEventAttributes?.identity ?? []),
      );
      expect(identities).toEqual(new Set(['worker-1', 'worker-2']));
    } finally {
      await pc.close();
    }
    expect(Object.values(fleet.currents())).toEqual(fleet.config.hosts.map(() => 'v2'));
  });

  it('a judge look whose task a stopping worker never ran is taken again after the 15 s heartbeat timeout', async () => {
    // A task handed to a worker's poll as the worker stops is lost: nobody
    // runs it, nobody reports it. The first look here is such a task: taken,
    // never answered, never heartbeating, until the worker cancels it.
    const fleet = await createLocalFleet(uniqueId('web'), 4, {
      durations: { baseline: '1s', soak: '2s', watch: '1s', lookEvery: '1s' },
    });
    await preinstall(fleet, 'v1', fleet.release('v1', 0.01));
    fleet.startTraffic();
    let lost = false;
    const outcome = await withWorker(
      {
        wrap: (real) => ({
          ...real,
          judgeLook: (input) => {
            if (lost) return real.judgeLook(input);
            lost = true;
            return new Promise((_, reject) => {
              Context.current().cancelled.catch(reject);
            });
          },
        }),
      },
      async (taskQueue) => {
        const pc = await phasedClient(taskQueue);
        try {
          const h = await startDeploy(pc, {
            cluster: fleet.config.cluster,
            revision: 'v2',
            source: fleet.release('v2', 0.01),
            operator: 'ci',
          });
          const out = await outcomeOf(h);
          // A retried attempt shows in the history as the started event of
          // the attempt that ended the activity, with the failure before it.
          const events = (await h.fetchHistory()).events ?? [];
          const judgeLooks = new Set(
            events
              .filter(
                (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'judgeLook',
              )
              .map((e) => String(e.eventId)),
          );
          const timeouts = events.flatMap((e) => {
            const started = e.activityTaskStartedEventAttributes;
            return started && judgeLooks.has(String(started.scheduledEventId))
              ? (started.lastFailure?.timeoutFailureInfo?.timeoutType ?? [])
              : [];
          });
          return { out, timeouts };
        } finally {
          await pc.close();
        }
      },
    );
    expect(lost).toBe(true);
    expect(outcome.out.outcome).toBe('done');
    // The judge looks: one attempt lost, taken again after its heartbeat timeout.
    expect(outcome.timeouts).toEqual([temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT]);
    expect(Object.values(fleet.currents())).toEqual(fleet.config.hosts.map(() => 'v2'));
  });
});
