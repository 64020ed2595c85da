// The deploy workflow tests' harness: a fresh time-skipping server per test,
// a worker for an in-memory fleet, and the invariants every deploy keeps.
// The tests are in several files (deploy, rollback and cadence in test/workflow/) so that
// vitest runs them side by side.
import { phasedDataConverter } from '../../src/app/temporal/codec.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterEach, beforeEach, expect, inject } from 'vitest';
import { startTimeSkipping } from './time-skipping.js';
import type { ClusterConfig } from '../../src/config/schema.js';
import { deploy, statusQuery } from '../../workflows/deploy.js';
import type { DeployStatus } from '../../workflows/model.js';
import { queueWorkflowId } from '../../workflows/cluster-queue.js';
import type { FakeFleet } from './fake-fleet.js';
import { fakeClusterFiles } from './fake-fleet.js';
import { rollback } from '../../workflows/rollback.js';
import { eventually } from '../../src/poll.js';
import { uniqueId } from './temporal.js';

export let env: TestWorkflowEnvironment;

// A fresh time-skipping server per test. A shared one let what an earlier
// test left behind (timers and tasks of finished clusters) hold back time
// skipping in a later one, which then hung until its timeout, a different
// test each run.
export function freshServerPerTest() {
  beforeEach(async () => {
    started.length = 0;
    env = await startTimeSkipping();
  });
  afterEach(async ({ task }) => {
    // Before the server goes: a failed test's workflows are described from it.
    if (task.result?.state === 'fail') await describeStarted();
    await env?.teardown();
  });
}

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

export const HOSTS = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6', 'web-7', 'web-8'];
export const who = { operator: 'alice', reason: 'test' };

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
export async function withWorker<T>(
  fleet: FakeFleet,
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = uniqueId('deploy-tq');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    dataConverter: phasedDataConverter,
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

export function start(
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

export type Handle = Awaited<ReturnType<typeof start>>;

export const status = (h: Handle) => h.query(statusQuery);
export const untilStatus = (h: Handle, ok: (s: DeployStatus) => boolean, what: string) =>
  eventually(
    async () => {
      const s = await status(h);
      return ok(s) ? s : undefined;
    },
    { what },
  );

/** Invariant 1: every host that was flipped had every targeted host staged before the first flip. */
export function expectStagedBeforeAnyFlip(fleet: FakeFleet, revision: string, targets: string[]) {
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
export function expectOnlyOldOrNew(fleet: FakeFleet, old: string, next: string) {
  for (const e of fleet.events.filter((x) => x.kind === 'flip'))
    expect([old, next]).toContain(e.revision);
}

/** Starts a rollback of the cluster (to `to`, or the release before). */
export function startRollback(taskQueue: string, config: ClusterConfig, to?: string) {
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
