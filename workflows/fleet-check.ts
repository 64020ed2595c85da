// Which release each host of a cluster runs, read by the worker that holds
// the cluster's file: what `phased status` compares with the cluster's
// recorded live release, so a fleet left mixed by a terminated deploy (or a
// worker whose state was lost) is noticed and named. Reads only.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { clusterConfig } from './cluster-config.js';
import { overHostBatches } from './fan-out.js';
import { HOST_STEP } from './timeouts.js';

// An operator waits for the answer: a failing inspection is reported, not retried for minutes.
const READ = { ...HOST_STEP, retry: { ...HOST_STEP.retry, maximumAttempts: 2 } };
const { inspectHosts } = proxyActivities<Activities>(READ);

export interface FleetCheckInput {
  cluster: string;
  operator: string;
}

export interface FleetCheckResult {
  cluster: string;
  /** Each reachable host and the release its current points at (null: none, or not a phased release). */
  hosts: { host: string; current: string | null }[];
  unreachable: { host: string; error: string }[];
}

export async function fleetCheck(input: FleetCheckInput): Promise<FleetCheckResult> {
  const { cfg, ref } = await clusterConfig(input, 'inspect');
  const seen = await overHostBatches(cfg.hosts, cfg.batchSize, (b) =>
    inspectHosts.executeWithOptions({ ...READ, summary: `inspect ${b.length} hosts` }, [
      { ref, hosts: b },
    ]),
  );
  return {
    cluster: cfg.cluster,
    hosts: seen.ok.map(({ host, result }) => ({ host, current: result.current })),
    unreachable: seen.failed.map((f) => ({ host: f.host, error: f.error })),
  };
}
