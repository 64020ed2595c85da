// Preflight: proves that the client, the server and a worker are wired
// together before anything is deployed. It optionally holds on a durable
// timer first (the same kind of timer that holds a canary soak), then asks a
// worker to describe itself.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { QUICK } from './timeouts.js';

const { describeWorker } = proxyActivities<Activities>(QUICK);

export interface PreflightInput {
  /** Who asked (shown in the result). */
  requestedBy: string;
  /** Hold this long on a durable timer before checking in. */
  holdMs?: number;
}

export interface PreflightResult {
  requestedBy: string;
  heldMs: number;
  worker: Awaited<ReturnType<Activities['describeWorker']>>;
}

export async function preflight({
  requestedBy,
  holdMs = 0,
}: PreflightInput): Promise<PreflightResult> {
  if (holdMs > 0) await sleep(holdMs);
  const worker = await describeWorker();
  return { requestedBy, heldMs: holdMs, worker };
}
