// The deploy workflow's logic on Temporal's time-skipping test server, with
// an in-memory fleet for hosts and a scripted judge. Durations are the
// production ones shortened only by configuration (60 s baseline and soak,
// 2 min watch, a look every 30 s); the test server skips the waiting.
import { outcomeOf } from '../../src/client.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { ApplicationFailure } from '@temporalio/client';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { startTimeSkipping } from '../helpers/time-skipping.js';
import type { ClusterConfig } from '../../src/config/schema.js';
import {
  abortUpdate,
  deploy,
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  statusQuery,
} from '../../workflows/deploy.js';
import type { DeployStatus } from '../../workflows/model.js';
import { queueWorkflowId } from '../../workflows/cluster-queue.js';
import {
  FakeFleet,
  fakeClusterFiles,
  servingConfig,
  servingErrors,
  testConfig,
} from '../helpers/fake-fleet.js';
import { rollback } from '../../workflows/rollback.js';
import { eventually } from '../../src/poll.js';
import { uniqueId } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;

// A fresh time-skipping server per test. A shared one let what an earlier
// test left behind (timers and tasks of finished clusters) hold back time
// skipping in a later one, which then hung until its timeout, a different
// test each run.
beforeEach(async () => {
  started.length = 0;
  env = await startTimeSkipping();
});

/** The workflows this test started (each deploy's and its cluster queue's). */
const started: string[] = [];

/**
 * A failed test, a timeout above all, names what each of its workflows was
 * waiting on: its status, its last history events and its pending activities.
 */
async function describeStarted() {
  for (const id of new Set(started)) {
    try {
      const h = env.client.workflow.getHandle(id);
      const d = await h.describe();
      const events = (await h.fetchHistory()).events ?? [];
      const last = events
        .slice(-8)
        .map((e) => temporal.api.enums.v1.EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', ''));
      const pending = (d.raw.pendingActivities ?? []).map(
        (a) => `${a.activityType?.name} attempt ${a.attempt} state ${a.state}`,
      );
      console.error(
        `[diagnosis] ${id}: ${d.status.name}, ${events.length} events, the last ${last.join(', ')}; pending activities: ${pending.join('; ') || 'none'}`,
      );
    } catch (err) {
      console.error(`[diagnosis] ${id}: ${String(err)}`);
    }
  }
}

afterEach(async ({ task }) => {
  // Before the server goes: a failed test's workflows are described from it.
  if (task.result?.state === 'fail') await describeStarted();
  await env?.teardown();
});

const HOSTS = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6', 'web-7', 'web-8'];
const who = { operator: 'alice', reason: 'test' };

/**
 * Runs `fn` with a worker for this test's fleet. Afterwards it ends the
 * cluster's queue workflow: its idle timer would otherwise sit on a task
 * queue nobody polls and hold back the test server's time skipping. Ending
 * it can itself leave time skipping locked on that server for good: the test
 * server does not release the lock a workflow task or activity holds when
 * its workflow ends with it in flight (temporalio/sdk-java#1138). So a test
 * calls this once: a second deploy on the same server waited on its timers
 * in real time, about once in 15 suite runs (a 60 s timeout, its deploy
 * RUNNING on a TIMER_STARTED with no activity pending).
 */
async function withWorker<T>(fleet: FakeFleet, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueId('deploy-tq');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: fleet.activities(env.client, taskQueue),
  });
  try {
    return await worker.runUntil(fn(taskQueue));
  } finally {
    for (const cluster of fleet.clusters) {
      await env.client.workflow
        .getHandle(queueWorkflowId(cluster))
        .terminate('test finished')
        .catch(() => undefined);
    }
  }
}

function start(
  taskQueue: string,
  config: ClusterConfig,
  revision = 'v2',
  requestedAt = Date.now(),
) {
  fakeClusterFiles.set(config.cluster, config);
  const workflowId = uniqueId(`deploy-${config.cluster}-${revision}`);
  started.push(workflowId, queueWorkflowId(config.cluster));
  return env.client.workflow.start(deploy, {
    taskQueue,
    // The test server may skip time while a busy machine is still completing
    // a workflow task; a timeout longer than any skip keeps that harmless.
    workflowTaskTimeout: '2 hours',
    workflowId,
    args: [
      {
        cluster: config.cluster,
        revision,
        source: '/build/app',
        operator: 'ci',
        requestedAt,
      },
    ],
  });
}

type Handle = Awaited<ReturnType<typeof start>>;

const status = (h: Handle) => h.query(statusQuery);
const untilStatus = (h: Handle, ok: (s: DeployStatus) => boolean, what: string) =>
  eventually(
    async () => {
      const s = await status(h);
      return ok(s) ? s : undefined;
    },
    { what },
  );

/** Invariant 1: every host that was flipped had every targeted host staged before the first flip. */
function expectStagedBeforeAnyFlip(fleet: FakeFleet, revision: string, targets: string[]) {
  const firstFlip = fleet.events.find((e) => e.kind === 'flip' && e.revision === revision);
  // A check with no flip to check would pass vacuously: that is a broken test.
  expect(firstFlip, `no host was flipped to ${revision}`).toBeDefined();
  if (!firstFlip) return;
  const stagedBefore = new Set(
    fleet.events
      .filter((e) => e.kind === 'stage' && e.revision === revision && e.seq < firstFlip.seq)
      .map((e) => e.host),
  );
  expect([...stagedBefore].sort()).toEqual([...targets].sort());
}

/** Invariant 2: each host only ever points at the old or the new release. */
function expectOnlyOldOrNew(fleet: FakeFleet, old: string, next: string) {
  for (const e of fleet.events.filter((x) => x.kind === 'flip'))
    expect([old, next]).toContain(e.revision);
}

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

function startRollback(taskQueue: string, config: ClusterConfig, to?: string) {
  fakeClusterFiles.set(config.cluster, config);
  const workflowId = uniqueId(`rollback-${config.cluster}`);
  started.push(workflowId, queueWorkflowId(config.cluster));
  return env.client.workflow.start(rollback, {
    taskQueue,
    workflowTaskTimeout: '2 hours',
    workflowId,
    args: [
      {
        cluster: config.cluster,
        to,
        operator: 'alice',
        reason: 'test',
        requestedAt: Date.now(),
      },
    ],
  });
}

describe('rollback goes back, never forward (invariant 8)', () => {
  it('done, then rolled back: a plain rollback lands on the release before the done one, not the rejected build', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const [good, bad, back] = await withWorker(fleet, async (tq) => {
      const good = await outcomeOf(await start(tq, config, 'v2', 1000));
      fleet.script = (look) => (look.phase === 'canary' ? 'regression' : 'pass');
      const bad = await outcomeOf(await start(tq, config, 'v3', 2000));
      return [good, bad, await outcomeOf(await startRollback(tq, config))];
    });
    expect([good.outcome, bad.outcome, back.outcome]).toEqual(['done', 'rolled_back', 'done']);
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
    // The rejected build is marked on every host that took it, switched or only staged.
    for (const h of fleet.hosts.values()) expect(h.rejected.has('v3')).toBe(true);
    expect(Object.values(back.switched)).toEqual(HOSTS.map(() => ({ from: 'v2', to: 'v1' })));
    expect(back.summary).toContain('8 from v2 to v1');
    expect(fleet.events.filter((e) => e.kind === 'flip' && e.revision === 'v3')).toHaveLength(2);
  });

  it('two plain rollbacks in a row go further back each time, then refuse', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcomes = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      await outcomeOf(await start(tq, config, 'v3', 2000));
      const first = await outcomeOf(await startRollback(tq, config));
      const afterFirst = fleet.currents();
      const second = await outcomeOf(await startRollback(tq, config));
      const afterSecond = fleet.currents();
      const third = await outcomeOf(await startRollback(tq, config));
      return { first, second, third, afterFirst, afterSecond };
    });
    expect(Object.values(outcomes.afterFirst)).toEqual(HOSTS.map(() => 'v2'));
    expect(Object.values(outcomes.afterSecond)).toEqual(HOSTS.map(() => 'v1'));
    expect(outcomes.third.outcome).toBe('failed');
    expect(outcomes.third.summary).toContain('no host was switched: no rollback target on web-1');
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
  });

  it('after an abort in the watch, a plain rollback skips the aborted build', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcomes = await withWorker(fleet, async (tq) => {
      const good = await outcomeOf(await start(tq, config, 'v2', 1000));
      const h = await start(tq, config, 'v3', 2000);
      // Midway between two watch looks (every 30 s from 2 min): an abort on
      // the very instant a look's timer fires made the time-skipping test
      // server reject a task completion ("invalid history builder state").
      await env.sleep('195 seconds');
      await untilStatus(h, (s) => s.phase === 'watching', 'the watch');
      await h.executeUpdate(abortUpdate, { args: [who] });
      const aborted = await outcomeOf(h);
      return [good, aborted, await outcomeOf(await startRollback(tq, config))];
    });
    expect(outcomes.map((o) => o.outcome)).toEqual(['done', 'aborted', 'done']);
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
  });

  it('a host that cannot be inspected: the rollback ends failed at once and switches no host', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      fleet.failInspect.add('web-3');
      return outcomeOf(await startRollback(tq, config));
    });
    expect(back.outcome).toBe('failed');
    expect(back.summary).toBe(
      'no host was switched: cannot inspect web-3: cannot reach it over SSH (fake) [HOST_UNREACHABLE]',
    );
    expect(back.switched).toEqual({});
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v2'));
    expect(fleet.events.filter((e) => e.kind === 'flip' && e.revision === 'v1')).toEqual([]);
  });

  it('--to a release one host does not keep: failed, and no host is switched', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      const h = fleet.hosts.get('web-6')!;
      h.releases = h.releases.filter((r) => r !== 'v1');
      return outcomeOf(await startRollback(tq, config, 'v1'));
    });
    expect(back.outcome).toBe('failed');
    expect(back.summary).toBe(
      'no host was switched: no rollback target on web-6 (v1 is not retained)',
    );
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v2'));
  });

  it('a host added since the last deploy (nowhere to go back to) is skipped and named; the rest roll back, and the mixed fleet is said', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const grown = testConfig(config.cluster, [...HOSTS, 'web-9']);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      // web-9 joined the cluster after v2 went live: it only ever had v2.
      fleet.hosts.set('web-9', {
        current: 'v2',
        releases: ['v2'],
        rejected: new Set(),
        switches: [],
      });
      return outcomeOf(await startRollback(tq, grown));
    });
    expect(back.outcome).toBe('done');
    expect(fleet.currents()).toEqual({
      ...Object.fromEntries(HOSTS.map((h) => [h, 'v1'])),
      'web-9': 'v2',
    });
    expect(back.summary).toBe(
      'rolled back 8 hosts (8 from v2 to v1) by alice: test; NOT rolled back: web-9 (keeps no v1 (it keeps v2)), left on v2: the fleet is on v1 (8 host(s)) and v2 (web-9); to bring them along, deploy v1 again (phased deploy stages it on every host) or take them out of the cluster file',
    );
  });

  it('hosts whose own histories differ go to the release most of the fleet goes to, and the summary says which', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      await outcomeOf(await start(tq, config, 'v3', 2000));
      // web-4 was rebuilt and took v3 straight from v1: on its own it would go back two.
      const h = fleet.hosts.get('web-4')!;
      h.switches = [{ at: 3, from: 'releases/v1', to: 'releases/v3' }];
      return outcomeOf(await startRollback(tq, config));
    });
    expect(back.outcome).toBe('done');
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v2'));
    expect(back.summary).toContain('rolled back 8 hosts (8 from v3 to v2)');
    expect(back.summary).toContain(
      'web-4 (its own previous release: v1) went to v2 with the fleet',
    );
  });

  it('a flip that fails mid-rollback: the hosts it had switched are put back, none left half-way', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      fleet.failFlip.add('web-5@v1');
      return outcomeOf(await startRollback(tq, config));
    });
    expect(back.outcome).toBe('rolled_back');
    expect(back.summary).toBe(
      'rollback failed on web-5: flip failed (fake); the 7 switched hosts were put back',
    );
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v2'));
    // Each of the other hosts went to v1 and came back to v2, the release the operator left live.
    for (const name of HOSTS.filter((n) => n !== 'web-5')) {
      const flips = fleet.events.filter((e) => e.kind === 'flip' && e.host === name);
      expect(flips.map((e) => e.revision)).toEqual(['v2', 'v1', 'v2']);
    }
  });

  it("rollback --to a rejected release is the operator's explicit choice, and clears the mark", async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      fleet.script = (look) => (look.phase === 'canary' ? 'regression' : 'pass');
      await outcomeOf(await start(tq, config, 'v3', 2000));
      return outcomeOf(await startRollback(tq, config, 'v3'));
    });
    expect(back.outcome).toBe('done');
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v3'));
    for (const h of fleet.hosts.values()) {
      expect(h.rejected.has('v3')).toBe(false);
      expect(h.rejected.has('v2')).toBe(true); // left by the operator's rollback
    }
  });
});

describe('a host that breaks mid-deploy is never reported live (invariant 9)', () => {
  it('within maxUnavailable: done, with the broken host named and not counted live', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS, { maxUnavailable: 1 });
    fleet.script = (look) => {
      // During the watch, someone points a canary's current elsewhere by hand.
      if (look.phase === 'watch' && look.index === 2)
        fleet.hosts.get(look.canary[0]!)!.current = null;
      return 'pass';
    };
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('done');
    expect(outcome.broken).toHaveLength(1);
    expect(outcome.broken[0]).toMatch(/^web-\d has no current/);
    expect(outcome.summary).toMatch(/v2 is live on 7 hosts; broken during the deploy: web-\d/);
  });

  it('beyond maxUnavailable: rolled back, and the summary names the host', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    let victim = '';
    fleet.script = (look) => {
      if (look.phase === 'watch' && look.index === 2) {
        victim = look.canary[0]!;
        fleet.hosts.get(victim)!.current = null;
      }
      return 'pass';
    };
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('rolled_back');
    expect(outcome.summary).toContain(`1 host(s) broke during the deploy`);
    expect(outcome.summary).toContain(`${victim} has no current`);
    // Every host back on v1, the broken one included (its flip back restored a current).
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
  });
});

describe('a canary that loses its traffic is a regression (real judge)', () => {
  const FLEET = Array.from({ length: 20 }, (_, i) => `web-${i + 1}`);
  const good = { rps: 100, errorRate: 0.01 };

  async function deployWith(
    serving: FakeFleet['serving'],
    canary = 5,
    overrides: Record<string, unknown> = {},
  ) {
    const fleet = new FakeFleet(FLEET);
    fleet.serving = serving;
    const config = servingConfig(uniqueId('c'), FLEET, { canary: { size: canary }, ...overrides });
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    return { fleet, outcome };
  }

  it('a release whose web server does not start: rolled back at the first look, every canary named', async () => {
    const { fleet, outcome } = await deployWith((_, release) =>
      release === 'v2' ? 'silent' : good,
    );
    expect(outcome.outcome).toBe('rolled_back');
    expect(fleet.judged).toHaveLength(1);
    const canaries = fleet.judged[0]!.canary;
    expect(outcome.verdicts[0]!.verdict).toBe('regression');
    const line = outcome.verdicts[0]!.metrics.find((m) => m.startsWith('requests:'))!;
    expect(line).toContain('-> regression: traffic lost on 5 of 5 switched hosts');
    for (const c of canaries) expect(line).toContain(`${c} stopped answering probes`);
    expect(Object.values(fleet.currents())).toEqual(FLEET.map(() => 'v1'));
  });

  it('one of five canaries serving nothing: rolled back, that host named', async () => {
    let dead = '';
    const { fleet, outcome } = await deployWith((host, release) => {
      if (release !== 'v2') return good;
      dead ||= host;
      return host === dead ? { rps: 0, errorRate: 0 } : good;
    });
    expect(outcome.outcome).toBe('rolled_back');
    expect(fleet.judged).toHaveLength(1);
    // Stopped by the early look at the soak's first reading, not at its end.
    expect(outcome.verdicts[0]).toMatchObject({ phase: 'canary', reading: 1 });
    expect(outcome.timings.judging).toBeUndefined();
    const line = outcome.verdicts[0]!.metrics.find((m) => m.startsWith('requests:'))!;
    expect(line).toMatch(
      new RegExp(`-> regression: traffic lost on 1 of 5 switched hosts \\(${dead} 0/s, x0\\.00`),
    );
  });

  it('one canary at a third of its traffic: rolled back', async () => {
    let slow = '';
    const { outcome } = await deployWith((host, release) => {
      if (release !== 'v2') return good;
      slow ||= host;
      return host === slow ? { rps: 33, errorRate: 0.01 } : good;
    });
    expect(outcome.outcome).toBe('rolled_back');
    const line = outcome.verdicts[0]!.metrics.find((m) => m.startsWith('requests:'))!;
    expect(line).toContain(`traffic lost on 1 of 5 switched hosts (${slow} 3`);
  });

  // One deploy per test: each test has its own test server (see withWorker).
  it('x5 errors stop the soak at its first reading', async () => {
    const early = await deployWith((_, release) =>
      release === 'v2' ? { rps: 100, errorRate: 0.05 } : good,
    );
    expect(early.outcome.outcome).toBe('rolled_back');
    expect(early.outcome.verdicts).toHaveLength(1);
    expect(early.outcome.verdicts[0]).toMatchObject({ phase: 'canary', reading: 1 });
    expect(early.outcome.verdicts[0]!.metrics[0]).toMatch(
      /^errors: canary 5(\.\d+)?% vs control 1/,
    );
    expect(early.outcome.timings.judging).toBeUndefined();
  });

  it('x1.5 errors wait for the look that decides', async () => {
    // Whatever the looks decide, this deploy must end: it is the looks it took that count.
    const late = await deployWith(
      (_, release) => (release === 'v2' ? { rps: 100, errorRate: 0.015 } : good),
      5,
      { onInconclusive: 'proceed' },
    );
    // Not overwhelming at the first reading: the soak runs to its end, where the look decides.
    expect(late.fleet.judged.map((j) => j.reading ?? 'end')).toEqual(
      expect.arrayContaining([1, 'end']),
    );
    expect(late.outcome.verdicts[0]!.reading).toBeUndefined();
  });

  it('a release that serves like the old one goes live, every look passing on traffic and errors', async () => {
    const { outcome } = await deployWith(() => good);
    expect(outcome.outcome).toBe('done');
    expect(outcome.verdicts.map((v) => `${v.phase} ${v.verdict}`)).toEqual([
      'canary pass',
      ...Array.from({ length: 4 }, () => 'watch pass'),
    ]);
    for (const v of outcome.verdicts)
      expect(v.metrics.find((m) => m.startsWith('requests:'))).toMatch(/-> pass$/);
  });
});

describe('a watch look short of exposure waits for exposure (real judge)', () => {
  const FLEET = Array.from({ length: 20 }, (_, i) => `web-${i + 1}`);
  // 10 requests/s per host: the 5 canaries see 9,000 requests in a 3-minute
  // soak, the watch's switched hosts about 5,000 in its first 30 s.
  const quiet = { rps: 10, errorRate: 0.05 };
  const errors = (minExposure: number) => [{ ...servingErrors, minExposure }];
  const deploy = async (minExposure: number, soak: string) => {
    const fleet = new FakeFleet(FLEET);
    fleet.serving = () => quiet;
    const config = servingConfig(uniqueId('c'), FLEET, {
      canary: { size: 5 },
      metrics: errors(minExposure),
      notify: [{ url: 'http://hooks.example/deploys' }],
      durations: { baseline: '60s', soak, watch: '120s', lookEvery: '30s', soakLookEvery: '30s' },
    });
    // A pause nobody answers ends at the pauseTimeout (the test server skips the wait).
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    return { fleet, outcome };
  };

  it('a look before the last waits (recorded, webhooks told) and a later look decides: no pause', async () => {
    const { fleet, outcome: o } = await deploy(8000, '3m');
    expect(o.outcome).toBe('done');
    const watch = o.verdicts.filter((v) => v.phase === 'watch');
    expect(watch[0]).toMatchObject({ look: 1, verdict: 'inconclusive', waiting: true });
    expect(watch[0]!.reason).toMatch(/^waiting for exposure until the next look: /);
    expect(watch[0]!.metrics[0]).toMatch(/since the switch, needs 8000 \(minExposure\)$/);
    expect(watch.slice(1).map((v) => v.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect(o.actions).toEqual([]);
    const told = fleet.notifications.filter((n) => n.phased.event === 'inconclusive');
    expect(told).toHaveLength(1);
    expect(told[0]!.phased).toMatchObject({
      phase: 'watch',
      look: 1,
      action: 'waiting for the next look',
    });
    expect(told[0]!.text).toContain('needs 8000 (minExposure)');
  });

  it('still short at the last look: the policy decides (a pause, here unanswered), and the pause notice carries the numbers', async () => {
    // A 10-minute soak gives the canaries 30,000 requests; the whole 2-minute watch about 20,000.
    const { fleet, outcome: o } = await deploy(25_000, '10m');
    const watch = o.verdicts.filter((v) => v.phase === 'watch');
    expect(watch.map((v) => Boolean(v.waiting))).toEqual([true, true, true, false]);
    expect(o.outcome).toBe('rolled_back');
    expect(o.summary).toMatch(
      /^paused for 30m with nobody answering \(inconclusive watch verdict: /,
    );
    const paused = fleet.notifications.find((n) => n.phased.event === 'paused');
    expect(paused?.text).toContain('needs 25000 (minExposure)');
  });
});

describe('timers hold: readings run on the cadence, not after it', () => {
  it('a 60 s soak and a 60 s watch with readings that take 3 s each last 60 s plus one reading, not plus every reading', async () => {
    const fleet = new FakeFleet(HOSTS);
    fleet.readingDelayMs = 3000;
    const config = testConfig(uniqueId('c'), HOSTS, {
      durations: {
        baseline: '30s',
        soak: '60s',
        watch: '60s',
        lookEvery: '30s',
        soakLookEvery: '30s',
      },
    });
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('done');
    const t = outcome.timings;
    // Canary: the switch, the reading at the switch, two more 30 s apart; the
    // judge starts after the last. Stretched timers would take 3 readings
    // more than 60 s (at least 69 s); on the cadence it is 60 s plus the last
    // (63 s), with the rest of the margin for a loaded machine's task latency.
    const canary = t.judging! - t.canary!;
    expect(canary).toBeGreaterThanOrEqual(63_000);
    expect(canary).toBeLessThan(69_000);
    const watch = t.finishing! - t.watching!;
    expect(watch).toBeGreaterThanOrEqual(63_000);
    expect(watch).toBeLessThan(69_000);
    // Every planned reading was still taken: 2 baseline, 3 canary, 3 watch;
    // the canary's early look judged the first two.
    expect(fleet.judged.map((l) => l.after.length)).toEqual([2, 3, 2, 3]);
  }, 60_000);
});
