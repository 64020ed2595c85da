// One deploy per cluster at a time, enforced by Temporal itself: a small
// long-lived workflow per cluster (id "cluster-<name>") hands a lock to one
// request at a time. When the lock frees, rollbacks go first; among waiting
// deploys the newest runs and the older ones are superseded, and a deploy
// older than one already run is superseded too. The workflow ends when idle
// (the next request starts it again) and continues-as-new to keep its
// history short.
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  setWorkflowOptions,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { QueueRequest } from '../src/core/vocabulary.js';
import { QUICK } from './timeouts.js';

export interface QueueState {
  cluster: string;
  holder: QueueRequest | null;
  waiting: QueueRequest[];
  /** requestedAt of the newest deploy that ran: older deploys are superseded. */
  newestRun: number;
}

export const enqueueSignal = defineSignal<[QueueRequest]>('enqueue');
export const releaseSignal = defineSignal<[string]>('release');
export const queueQuery = defineQuery<QueueState>('queue');
/** Sent to the request that may run now. */
export const grantedSignal = defineSignal('granted');
/** Sent to requests that will never run. */
export const supersededSignal = defineSignal<[{ by: string; reason: string }]>('superseded');

export const queueWorkflowId = (cluster: string) => `cluster-${cluster}`;

/** Gives up this workflow's place (or lock) in the cluster's queue. */
export async function leaveClusterQueue(cluster: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(queueWorkflowId(cluster)).signal(
      releaseSignal,
      workflowInfo().workflowId,
    );
  } catch {
    // The queue workflow already ended (idle exit): nothing holds our place.
  }
}

/**
 * Queues recorded before it cancelled their waits' timers when a request or
 * a release came, and let a rollback wait for the minute's check of a holder.
 */
const QUEUE_WAITS_PATCH = 'queue-waits-leave-timers-and-rollbacks-check-holder';

const IDLE_MS = 10 * 60_000;
const HOLDER_CHECK_MS = 60_000;

const { workflowIsOpen } = proxyActivities<Activities>(QUICK);

// Deploys and rollbacks are pinned to the worker version they started on;
// the queue outlives them and moves to the current version as phased is
// upgraded (its changes are patched() like any workflow change). Only on a
// versioned worker: the server refuses a versioning behavior from an
// unversioned one (phased worker --no-versioning, the tests' workers).
// (An unversioned worker reports its build but no deployment name.)
setWorkflowOptions(
  () =>
    workflowInfo().currentDeploymentVersion?.deploymentName
      ? { versioningBehavior: 'AUTO_UPGRADE' }
      : {},
  clusterQueue,
);
export async function clusterQueue(initial: QueueState): Promise<void> {
  const state = initial;
  setHandler(queueQuery, () => state);
  setHandler(enqueueSignal, (req) => {
    const known =
      state.holder?.workflowId === req.workflowId ||
      state.waiting.some((w) => w.workflowId === req.workflowId);
    if (!known) state.waiting.push(req);
  });
  setHandler(releaseSignal, (id) => {
    if (state.holder?.workflowId === id) state.holder = null;
    state.waiting = state.waiting.filter((w) => w.workflowId !== id);
  });

  for (;;) {
    const steady = patched(QUEUE_WAITS_PATCH);
    if (!state.holder) {
      const hasWork = () => state.waiting.length > 0;
      const woke = steady
        ? await waitUnlessTimedOut(hasWork, IDLE_MS)
        : await condition(hasWork, IDLE_MS);
      if (!woke) return; // idle: the next request starts a fresh run
      await grantNext(state);
    } else {
      // A rollback (after a deploy was terminated from the UI, say) checks
      // the holder at once instead of waiting for the next minute's check.
      const rollbacks = () => state.waiting.filter((w) => w.kind === 'rollback').length;
      const asked = rollbacks();
      const until = () => state.holder === null || (steady && rollbacks() > asked);
      await (steady
        ? waitUnlessTimedOut(until, HOLDER_CHECK_MS)
        : condition(until, HOLDER_CHECK_MS));
      // A holder that was terminated never releases: free the lock ourselves.
      if (state.holder && !(await workflowIsOpen(state.holder.workflowId))) state.holder = null;
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000)
      await continueAsNew<typeof clusterQueue>(state);
  }
}

async function grantNext(state: QueueState) {
  const rollbacks = state.waiting.filter((w) => w.kind === 'rollback');
  const deploys = [...state.waiting.filter((w) => w.kind === 'deploy')].sort(
    (a, b) => a.requestedAt - b.requestedAt,
  );
  const next = rollbacks[0] ?? deploys[deploys.length - 1];
  if (!next) return;
  const losers = rollbacks.length > 0 ? [] : deploys.slice(0, -1);
  state.waiting = state.waiting.filter((w) => w !== next && !losers.includes(w));
  for (const loser of losers) await tell(loser, next, `${next.revision} was requested after it`);
  if (next.kind === 'deploy' && next.requestedAt < state.newestRun) {
    await tell(next, null, 'a newer revision was already deployed to this cluster');
    return;
  }
  if (next.kind === 'deploy') state.newestRun = next.requestedAt;
  state.holder = next;
  try {
    await getExternalWorkflowHandle(next.workflowId).signal(grantedSignal);
  } catch {
    state.holder = null; // the request is gone (terminated): move on
  }
}

async function tell(loser: QueueRequest, by: QueueRequest | null, reason: string) {
  try {
    await getExternalWorkflowHandle(loser.workflowId).signal(supersededSignal, {
      by: by?.workflowId ?? '',
      reason,
    });
  } catch {
    // Already gone: nothing to tell.
  }
}

/**
 * condition(fn, ms), except that its timer is left to fire rather than
 * cancelled when fn comes true first: true when fn held. A queue wakes on
 * every request and release, and Temporal's time-skipping test server
 * strands a run whose workflow task cancels a timer that fired meanwhile
 * (temporalio/sdk-java#3088); a timer that fires later wakes the queue to no
 * effect.
 */
async function waitUnlessTimedOut(fn: () => boolean, ms: number): Promise<boolean> {
  let elapsed = false;
  void sleep(ms).then(
    () => void (elapsed = true),
    () => undefined,
  );
  await condition(() => fn() || elapsed);
  return fn();
}
