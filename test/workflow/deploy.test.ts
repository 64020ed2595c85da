// The deploy workflow's logic on Temporal's time-skipping test server, with
// an in-memory fleet for hosts and a scripted judge. Durations are the
// production ones shortened only by configuration (60 s baseline and soak,
// 2 min watch, a look every 30 s); the test server skips the waiting.
import { outcomeOf } from '../../src/app/client.js';
import type { ApplicationFailure } from '@temporalio/client';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import {
  abortUpdate,
  deploy,
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
} from '../../workflows/deploy.js';
import type { DeployStatus } from '../../workflows/model.js';
import { FakeFleet, testConfig } from '../helpers/fake-fleet.js';
import { uniqueId } from '../helpers/temporal.js';
import {
  env,
  freshServerPerTest,
  HOSTS,
  who,
  withWorker,
  start,
  status,
  untilStatus,
  expectStagedBeforeAnyFlip,
  expectOnlyOldOrNew,
} from '../helpers/deploy-harness.js';

freshServerPerTest();

describe('deploy workflow', () => {
  it('happy path: stages, canaries, judges, switches, watches and finishes with every host live (invariants 1 and 2)', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('done');
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v2'));
    expectStagedBeforeAnyFlip(fleet, 'v2', HOSTS);
    expectOnlyOldOrNew(fleet, 'v1', 'v2');
    // A canary look at each of the soak's two readings (the first can only
    // stop early), then a watch look every 30 s for 2 minutes.
    expect(fleet.judged.map((j) => `${j.phase}${j.reading ? ` ${j.reading}` : ''}`)).toEqual([
      'canary 1',
      'canary',
      'watch',
      'watch',
      'watch',
      'watch',
    ]);
    const canary = fleet.judged[0]!;
    expect(canary.canary).toHaveLength(2);
    expect(canary.control).toHaveLength(6);
    // Canaries spread across zones (hosts alternate z0/z1 by index).
    const zones = canary.canary.map((h) => HOSTS.indexOf(h) % 2);
    expect(new Set(zones).size).toBe(2);
    // The watch compares the switched fleet with the hosts held back: by
    // default as many as the canary, and at least the judge's 3 controls.
    expect(fleet.judged[2]!.control).toHaveLength(3);
    expect(fleet.judged[2]!.canary).toHaveLength(5);
    // Watch looks judge the last soak's worth (60 s: 3 readings) on their own once there is more.
    expect(fleet.judged.slice(2).map((j) => j.recent?.readings.length ?? 0)).toEqual([0, 0, 3, 3]);
    // Numbered, so the last (deciding) one keeps half of the watch's budget.
    expect(fleet.judged.slice(2).map((j) => j.look)).toEqual([1, 2, 3, 4]);
    expect(fleet.judged[2]!.plan.watchLooks).toBe(4);
    // Early looks that pass leave no verdict: one per deciding look.
    expect(outcome.verdicts).toHaveLength(5);
  });

  it('canary regression: the canaries go back to the old release and the others are never switched', async () => {
    const fleet = new FakeFleet(HOSTS);
    fleet.script = (look) => (look.index === 0 ? 'regression' : 'pass');
    const config = testConfig(uniqueId('c'), HOSTS);
    const { outcome, failure, status } = await withWorker(fleet, async (tq) => {
      const h = await start(tq, config);
      const failure = await h.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      return { outcome: await outcomeOf(h), failure, status: (await h.describe()).status.name };
    });
    // Temporal lists it as failed, with the outcome as a typed failure that carries it.
    expect(status).toBe('FAILED');
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toMatchObject({ type: 'DEPLOY_ROLLED_BACK', nonRetryable: true });
    expect(cause.message).toMatch(
      /^rolled_back: c-\w+ <- v2: canary regression: .*\ncanary look 1 \(early stop at soak reading 1\): regression: .*\n {2}errors: scripted regression/,
    );
    expect(cause.details?.[0]).toEqual(outcome);
    expect(outcome.outcome).toBe('rolled_back');
    expect(outcome.summary).toContain('canary regression');
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
    const flipped = new Set(fleet.events.filter((e) => e.kind === 'flip').map((e) => e.host));
    const canaries = fleet.judged[0]!.canary;
    expect([...flipped].sort()).toEqual([...canaries].sort());
    expect(outcome.rolledBack.sort()).toEqual([...canaries].sort());
    expect(outcome.verdicts[0]!.metrics[0]).toContain('errors: scripted regression');
  });

  it('watch regression: every switched host goes back (invariant 2: old everywhere at the end)', async () => {
    const fleet = new FakeFleet(HOSTS);
    fleet.script = (look) => (look.index === 2 ? 'regression' : 'pass');
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('rolled_back');
    expect(outcome.summary).toContain('watch regression');
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
    expect(outcome.rolledBack).toHaveLength(5); // the held-back 3 were never switched
    expectOnlyOldOrNew(fleet, 'v1', 'v2');
  });

  it('staging failure beyond maxUnavailable: failed, and no host is switched (invariant 1)', async () => {
    const fleet = new FakeFleet(HOSTS);
    fleet.failStage.add('web-3');
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('failed');
    expect(outcome.summary).toContain('staging failed on 1 host(s), more than maxUnavailable=0');
    expect(outcome.summary).toContain('web-3: disk full (fake) [DISK_FULL]');
    expect(fleet.events.filter((e) => e.kind === 'flip')).toEqual([]);
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
  });

  it('staging failure within maxUnavailable: the host stays on the old release and is reported', async () => {
    const fleet = new FakeFleet(HOSTS);
    fleet.failStage.add('web-3');
    const config = testConfig(uniqueId('c'), HOSTS, { maxUnavailable: 1 });
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('done');
    expect(outcome.unavailable).toEqual(['web-3']);
    expect(fleet.currents()['web-3']).toBe('v1');
    expect(Object.entries(fleet.currents()).filter(([, c]) => c === 'v2')).toHaveLength(7);
  });

  it('a flip failing on one host mid-wave rolls back every switched host', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS, { waves: ['50%', '100%'] });
    // Fail a host that is not a canary: it is switched in a later wave.
    fleet.script = (look) => {
      if (look.index === 0) for (const h of look.control) fleet.failFlip.add(`${h}@v2`);
      return 'pass';
    };
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('rolled_back');
    expect(outcome.summary).toMatch(/switching wave 1\/2 failed on \d host\(s\)/);
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
  });

  it('inconclusive pauses and waits for an operator; resume proceeds', async () => {
    const fleet = new FakeFleet(HOSTS);
    // The canary's deciding look (an early look's inconclusive only lets the soak go on).
    fleet.script = (look) => (look.index === 1 ? 'inconclusive' : 'pass');
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcome = await withWorker(fleet, async (tq) => {
      const h = await start(tq, config);
      await env.sleep('5 minutes');
      const paused = await untilStatus(h, (s) => s.paused, 'the inconclusive pause');
      expect(paused.pausedReason).toContain('inconclusive canary verdict');
      await env.sleep('20 minutes');
      expect((await status(h)).paused).toBe(true); // still waiting for a human (pauseTimeout: 30m)
      const skip = await h
        .executeUpdate(promoteUpdate, { args: [{ operator: 'bob', reason: 'x', intent: 'skip' }] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(String((skip as WorkflowUpdateFailedError).cause?.message)).toMatch(
        /^cannot promote --skip: the deploy is paused \(inconclusive canary verdict: .*\); promote --proceed answers the pause, resume continues where it was$/,
      );
      await h.executeUpdate(resumeUpdate, {
        args: [{ operator: 'bob', reason: 'checked the graphs' }],
      });
      return outcomeOf(h);
    });
    expect(outcome.outcome).toBe('done');
    expect(outcome.actions).toMatchObject([
      { command: 'resume', operator: 'bob', reason: 'checked the graphs' },
    ]);
  });

  it('a pause nobody answers tells the webhooks what to run, and is rolled back at pauseTimeout', async () => {
    const fleet = new FakeFleet(HOSTS);
    fleet.script = (look) => (look.index === 1 ? 'inconclusive' : 'pass');
    const config = testConfig(uniqueId('c'), HOSTS, {
      pauseTimeout: '10m',
      notify: [{ url: 'http://hooks.example/deploys' }],
    });
    const outcome = await withWorker(fleet, async (tq) => {
      const h = await start(tq, config);
      await env.sleep('5 minutes');
      await untilStatus(h, (s) => s.paused, 'the inconclusive pause');
      return outcomeOf(h);
    });
    expect(outcome.outcome).toBe('rolled_back');
    expect(outcome.summary).toMatch(
      /^paused for 10m with nobody answering \(inconclusive canary verdict: scripted inconclusive\); rolled back by phased \(pauseTimeout 10m\); rolled back 2 host\(s\)$/,
    );
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
    const paused = fleet.notifications.find((n) => n.phased.event === 'paused');
    expect(paused?.text).toContain(`${config.cluster} <- v2: PAUSED, waiting for a person`);
    expect(paused?.text).toContain(`resume: phased resume ${config.cluster} --reason`);
    expect(paused?.text).toContain('nobody answering within 10m rolls it back (pauseTimeout)');
    expect(fleet.notifications.at(-1)?.phased).toMatchObject({
      event: 'outcome',
      outcome: 'rolled_back',
    });
  });

  it('inconclusive with policy rollback rolls the canaries back', async () => {
    const fleet = new FakeFleet(HOSTS);
    fleet.script = () => 'inconclusive';
    const config = testConfig(uniqueId('c'), HOSTS, { onInconclusive: 'rollback' });
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('rolled_back');
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
  });

  it('pause during the soak holds the timer until resumed', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcome = await withWorker(fleet, async (tq) => {
      const h = await start(tq, config);
      await env.sleep('65 seconds'); // past the baseline: canaries switched, soak running
      await untilStatus(
        h,
        (s) => s.phase === 'canary' && s.hostCounts.switched === 2,
        'the canary soak',
      );
      await h.executeUpdate(pauseUpdate, { args: [who] });
      await env.sleep('20 minutes');
      const s = await status(h);
      expect(s).toMatchObject({ phase: 'canary', paused: true });
      expect(fleet.judged).toHaveLength(0);
      await h.executeUpdate(resumeUpdate, { args: [who] });
      return outcomeOf(h);
    });
    expect(outcome.outcome).toBe('done');
    expect(outcome.actions.map((a) => a.command)).toEqual(['pause', 'resume']);
  });

  it('promote skips the rest of the canary soak and its verdict', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS, {
      durations: {
        baseline: '30s',
        soak: '1h',
        watch: '60s',
        lookEvery: '30s',
        soakLookEvery: '30s',
      },
    });
    const outcome = await withWorker(fleet, async (tq) => {
      const h = await start(tq, config);
      await env.sleep('35 seconds');
      await untilStatus(
        h,
        (s) => s.phase === 'canary' && s.hostCounts.switched === 2,
        'the canary soak',
      );
      // Not paused: there is nothing to proceed past, and saying so beats guessing.
      const wrong = await h
        .executeUpdate(promoteUpdate, {
          args: [{ operator: 'carol', reason: 'hotfix', intent: 'proceed' }],
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(String((wrong as WorkflowUpdateFailedError).cause?.message)).toBe(
        'cannot promote --proceed: the deploy is not paused; promote --skip skips the rest of the soak',
      );
      await h.executeUpdate(promoteUpdate, {
        args: [{ operator: 'carol', reason: 'hotfix', intent: 'skip' }],
      });
      return outcomeOf(h);
    });
    expect(outcome.outcome).toBe('done');
    expect(outcome.actions[0]).toMatchObject({
      intent: 'skip',
      effect: 'skipped the rest of the canary soak and its verdict',
    });
    expect(fleet.judged.map((j) => j.phase)).toEqual(['watch', 'watch']);
    expect(outcome.actions).toMatchObject([
      { command: 'promote', operator: 'carol', phase: 'canary' },
    ]);
  });

  it.each([
    [
      'canary',
      '65 seconds',
      (s: DeployStatus) => s.phase === 'canary' && s.hostCounts.switched === 2,
      2,
    ],
    ['watching', '195 seconds', (s: DeployStatus) => s.phase === 'watching', 5],
  ] as const)(
    'abort during %s rolls back every switched host (invariant 7)',
    async (_phase, wait, ready, switched) => {
      const fleet = new FakeFleet(HOSTS);
      const config = testConfig(uniqueId('c'), HOSTS);
      const outcome = await withWorker(fleet, async (tq) => {
        const h = await start(tq, config);
        await env.sleep(wait);
        await untilStatus(h, ready, _phase);
        await h.executeUpdate(abortUpdate, {
          args: [{ operator: 'dave', reason: 'pager went off' }],
        });
        return outcomeOf(h);
      });
      expect(outcome.outcome).toBe('aborted');
      expect(outcome.summary).toContain(`aborted by dave during ${_phase}: pager went off`);
      expect(outcome.rolledBack).toHaveLength(switched);
      expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
    },
  );

  it('abort during the baseline (nothing switched yet) ends aborted with hosts untouched', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcome = await withWorker(fleet, async (tq) => {
      const h = await start(tq, config);
      await untilStatus(h, (s) => s.phase === 'baseline', 'the baseline');
      await h.executeUpdate(abortUpdate, { args: [who] });
      return outcomeOf(h);
    });
    expect(outcome.outcome).toBe('aborted');
    expect(fleet.events.filter((e) => e.kind === 'flip')).toEqual([]);
  });

  it('cancelled from the client (Temporal UI, temporal workflow cancel): the switched hosts still go back (invariant 7)', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcome = await withWorker(fleet, async (tq) => {
      const h = await start(tq, config);
      await env.sleep('195 seconds'); // between two watch looks, as above
      await untilStatus(h, (s) => s.phase === 'watching', 'the watch');
      await h.cancel();
      return outcomeOf(h);
    });
    expect(outcome.outcome).toBe('aborted');
    expect(outcome.summary).toMatch(
      /^cancelled through Temporal, not phased abort \(no operator or reason recorded\); rolled back \d host\(s\)$/,
    );
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
    expect(outcome.rolledBack.length).toBeGreaterThan(0);
    for (const h of fleet.hosts.values()) expect(h.rejected.has('v2')).toBe(true);
    expectOnlyOldOrNew(fleet, 'v1', 'v2');
  });

  it('rejects commands that make no sense, with a clear message', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    await withWorker(fleet, async (tq) => {
      const h = await start(tq, config);
      await untilStatus(h, (s) => s.phase === 'baseline', 'the baseline');
      const reject = async (p: Promise<unknown>, message: string) => {
        const err = await p.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
        expect(String((err as WorkflowUpdateFailedError).cause?.message)).toBe(message);
      };
      await reject(
        h.executeUpdate(resumeUpdate, { args: [who] }),
        'cannot resume: the deploy is not paused',
      );
      await reject(
        h.executeUpdate(promoteUpdate, { args: [who] }),
        'cannot promote during baseline: promote skips a soak or the watch, or answers an inconclusive verdict',
      );
      await reject(
        h.executeUpdate(pauseUpdate, { args: [{ operator: 'x', reason: ' ' }] }),
        'pause needs a reason',
      );
      await h.executeUpdate(pauseUpdate, { args: [who] });
      await reject(
        h.executeUpdate(pauseUpdate, { args: [who] }),
        'cannot pause: the deploy is already paused',
      );
      await h.executeUpdate(abortUpdate, { args: [who] });
      const done = await outcomeOf(h);
      expect(done.outcome).toBe('aborted');
    });
  });

  it('hosts staged with different trees (the source changed between batches): failed before any flip', async () => {
    const fleet = new FakeFleet(HOSTS);
    fleet.treeOf = (host, revision) =>
      host === 'web-5' ? `rewritten-${revision}` : `fake-${revision}`;
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('failed');
    expect(outcome.summary).toMatch(
      /^the release source changed during staging: the hosts hold 2 different trees \(fake-v2 on 7 \(.*\); rewritten-v2 on 1 \(web-5\)\) \[SOURCE_CHANGED\]/,
    );
    expect(fleet.events.filter((e) => e.kind === 'flip')).toEqual([]);
  });

  it("the cluster file's access list decides who may deploy and operate it", async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = {
      ...testConfig(uniqueId('c'), HOSTS),
      access: { deploy: ['ci'], pause: ['alice'], resume: ['alice'], abort: ['*'] },
    };
    await withWorker(fleet, async (tq) => {
      const h = await start(tq, config);
      await untilStatus(h, (s) => s.phase === 'baseline', 'the baseline');
      const err = await h
        .executeUpdate(pauseUpdate, { args: [{ operator: 'mallory', reason: 'x' }] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((err as WorkflowUpdateFailedError).cause?.message)).toBe(
        `mallory may not pause cluster ${config.cluster}: access.pause lists alice`,
      );
      await h.executeUpdate(pauseUpdate, { args: [who] });
      await h.executeUpdate(abortUpdate, {
        args: [{ operator: 'mallory', reason: 'anyone may stop it' }],
      });
      expect((await outcomeOf(h)).outcome).toBe('aborted');
      // A deploy by someone the list does not name never starts: no host is touched.
      const refused = await env.client.workflow
        .start(deploy, {
          taskQueue: tq,
          workflowTaskTimeout: '2 hours',
          workflowId: uniqueId(`deploy-${config.cluster}-v3`),
          args: [
            {
              cluster: config.cluster,
              revision: 'v3',
              source: '/b',
              operator: 'mallory',
              requestedAt: Date.now(),
            },
          ],
        })
        .then((x) => x.result())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(refused).toBeInstanceOf(WorkflowFailedError);
      const cause = (refused as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('NOT_AUTHORIZED');
      expect(cause.message).toBe(
        `mallory may not deploy cluster ${config.cluster}: access.deploy lists ci`,
      );
    });
    expect(fleet.events.filter((e) => e.revision === 'v3')).toEqual([]);
  });

  it('deploying the revision that is already live succeeds at once without touching hosts', async () => {
    const fleet = new FakeFleet(HOSTS, 'v2');
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome).toMatchObject({ outcome: 'done', summary: 'v2 is already live on every host' });
    expect(fleet.events).toEqual([]);
  });
});

describe('one deploy per cluster (invariant 5)', () => {
  it('two concurrent requests never overlap: the second starts after the first ends', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const [a, b] = await withWorker(fleet, async (tq) => {
      const first = await start(tq, config, 'v2', 1000);
      await untilStatus(first, (s) => s.phase !== 'queued', 'the first deploy to start');
      const second = await start(tq, config, 'v3', 2000);
      // One result() at a time: concurrent waits confuse the test server's time skipping.
      return [await outcomeOf(first), await outcomeOf(second)];
    });
    expect([a.outcome, b.outcome]).toEqual(['done', 'done']);
    const lastOfA = Math.max(...fleet.events.filter((e) => e.revision === 'v2').map((e) => e.seq));
    const firstOfB = Math.min(...fleet.events.filter((e) => e.revision === 'v3').map((e) => e.seq));
    expect(lastOfA).toBeLessThan(firstOfB);
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v3'));
  });

  it('abort while queued: the deploy ends aborted and never touches a host', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcomes = await withWorker(fleet, async (tq) => {
      const first = await start(tq, config, 'v2', 1000);
      await untilStatus(first, (s) => s.phase === 'baseline', 'the first deploy to run');
      await first.executeUpdate(pauseUpdate, { args: [who] });
      const queued = await start(tq, config, 'v3', 2000);
      await untilStatus(queued, (s) => s.phase === 'queued', 'the second to queue');
      await queued.executeUpdate(abortUpdate, {
        args: [{ operator: 'frank', reason: 'not today' }],
      });
      const aborted = await outcomeOf(queued);
      await first.executeUpdate(resumeUpdate, { args: [who] });
      return [aborted, await outcomeOf(first)];
    });
    expect(outcomes.map((o) => o.outcome)).toEqual(['aborted', 'done']);
    expect(outcomes[0]!.summary).toBe('aborted by frank during queued: not today');
    expect(fleet.events.some((e) => e.revision === 'v3')).toBe(false);
  });

  it('three queued: the newest runs and the middle one is superseded', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcomes = await withWorker(fleet, async (tq) => {
      const first = await start(tq, config, 'v2', 1000);
      await untilStatus(first, (s) => s.phase === 'baseline', 'the first deploy to run');
      await first.executeUpdate(pauseUpdate, { args: [who] });
      const middle = await start(tq, config, 'v3', 2000);
      const newest = await start(tq, config, 'v4', 3000);
      await untilStatus(newest, (s) => s.phase === 'queued', 'the newest to queue');
      await untilStatus(middle, (s) => s.phase === 'queued', 'the middle to queue');
      await first.executeUpdate(resumeUpdate, { args: [who] });
      return [await outcomeOf(first), await outcomeOf(middle), await outcomeOf(newest)];
    });
    expect(outcomes.map((o) => o.outcome)).toEqual(['done', 'superseded', 'done']);
    expect(outcomes[1]!.summary).toBe('superseded: v4 was requested after it');
    expect(fleet.events.some((e) => e.revision === 'v3')).toBe(false);
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v4'));
  });
});
