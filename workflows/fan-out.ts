// Host work goes out in batches, one activity each, all batches at once (a
// batch is the unit a worker heartbeats and resumes). These helpers do the
// fan-out and merge the batches' results, so each step only says which
// activity it runs on a batch.
import { proxyActivities } from '@temporalio/workflow';
import type { AfterSwitch, BatchResult, ClusterRef } from '../src/core/vocabulary.js';
import type { Activities } from '../activities/index.js';
import type { FlipOptions } from '../src/releases/ops.js';
import type { Host } from '../src/core/vocabulary.js';
import { batches } from '../src/core/plan.js';
import { HOST_STEP } from './timeouts.js';

const { flipHosts } = proxyActivities<Activities>(HOST_STEP);

/** A host and the release (or adopted link) its current should point at. */
export type FlipTarget = { host: Host; revision: string } & FlipOptions;

/** Runs `step` on every batch of `items` at once; results in batch order, beside their batch. */
export async function overBatches<T, R>(
  items: readonly T[],
  size: number,
  step: (batch: T[]) => Promise<R>,
): Promise<{ batch: T[]; result: R }[]> {
  const parts = batches(items, size);
  const results = await Promise.all(parts.map(step));
  return parts.map((batch, i) => ({ batch, result: results[i]! }));
}

/** The same for host steps: one result with every batch's hosts that succeeded and failed. */
export async function overHostBatches<T, R>(
  items: readonly T[],
  size: number,
  step: (batch: T[]) => Promise<BatchResult<R>>,
): Promise<BatchResult<R>> {
  const results = await Promise.all(batches(items, size).map(step));
  return { ok: results.flatMap((r) => r.ok), failed: results.flatMap((r) => r.failed) };
}

/**
 * Points each target's current back at an earlier release: the deploy's
 * compensation and the manual rollback (and its undo) go through here.
 * `attempts` caps the retries of each batch (a compensation retries harder).
 */
export function flipBack(
  targets: readonly FlipTarget[],
  how: {
    ref: ClusterRef;
    batchSize: number;
    summary: string;
    attempts?: number;
    /** The cluster's hook (afterRollback) and health check, run on each host switched back. */
    after?: AfterSwitch;
  },
): Promise<BatchResult<unknown>> {
  return overHostBatches(targets, how.batchSize, (b) =>
    flipHosts.executeWithOptions(
      {
        ...HOST_STEP,
        ...(how.attempts ? { retry: { ...HOST_STEP.retry, maximumAttempts: how.attempts } } : {}),
        summary: `${how.summary} ${b.length} hosts`,
      },
      [{ ref: how.ref, targets: b, ...(how.after ? { after: how.after } : {}) }],
    ),
  );
}
