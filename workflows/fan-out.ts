// Host work goes out in batches, one activity each, all batches at once (a
// batch is the unit a worker heartbeats and resumes). These helpers do the
// fan-out and merge the batches' results, so each step only says which
// activity it runs on a batch.
import type { BatchResult } from '../activities/batch.js';
import { batches } from './plan.js';

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
