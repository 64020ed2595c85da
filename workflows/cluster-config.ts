// Where a deploy's or rollback's configuration comes from: the worker's own
// cluster file, read by an activity that also checks the operator's access
// and the source. A caller names a cluster; a workflow whose input carries a
// configuration (started from the Temporal UI, say) is refused.
import {
  ActivityFailure,
  ApplicationFailure,
  patched,
  proxyActivities,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ClusterConfig } from '../src/config/schema.js';
import type { AccessAction, ClusterRef } from '../src/core/vocabulary.js';
import { QUICK } from './timeouts.js';

const { loadCluster } = proxyActivities<Activities>(QUICK);

/** Deploys and rollbacks recorded while the caller sent the configuration replay with it. */
export const WORKER_CONFIG_PATCH = 'cluster-config-from-worker';

export interface ClusterRequest {
  cluster: string;
  operator: string;
  source?: string;
  /** Only in histories recorded before the worker held the configuration. */
  config?: ClusterConfig;
}

export interface ClusterInUse {
  cfg: ClusterConfig;
  ref: ClusterRef;
  /** The worker's file, for the status and the history; absent in old histories. */
  file?: string;
}

/** The cluster's configuration as the worker holds it, once the operator's access is checked. */
export async function clusterConfig(
  input: ClusterRequest,
  action: AccessAction | 'inspect',
): Promise<ClusterInUse> {
  if (!patched(WORKER_CONFIG_PATCH)) {
    // A deploy of an earlier phased: its worker now reads its own file by name.
    const cfg = input.config!;
    return { cfg, ref: { cluster: cfg.cluster, digest: '' } };
  }
  if (input.config !== undefined)
    throw ApplicationFailure.create({
      type: 'CALLER_CONFIG_REFUSED',
      nonRetryable: true,
      message: `refused: this ${action} was started with a cluster configuration in its input; phased workers run only the cluster files they hold\n  fix: start it with phased ${action === 'rollback' ? 'rollback' : 'deploy'}, which names the cluster (${input.cluster}) and never sends its configuration`,
    });
  const loaded = await loadCluster({
    cluster: input.cluster,
    action,
    operator: input.operator,
    ...(input.source !== undefined ? { source: input.source } : {}),
  }).catch((err: unknown) => {
    // The worker's refusal (unknown cluster, no access, a source elsewhere)
    // ends the workflow with its own code, which the CLI turns into exit 2.
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type)
      throw ApplicationFailure.create({
        type: cause.type,
        message: cause.message,
        nonRetryable: true,
      });
    throw err;
  });
  return { cfg: loaded.config, ref: loaded.ref, file: loaded.file };
}
