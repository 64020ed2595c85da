// Where a report's record comes from: the deploy's workflow history, fetched
// from Temporal (no worker needed), and for a deploy still running, its
// status query when a worker answers.
import { isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import type { PhasedClient } from '../client.js';
import { clusterHistory } from '../client.js';
import { PhasedError } from '../../errors.js';
import { statusQuery } from '../../../workflows/deploy.js';
import { deployRecord, type DeployRecord } from './record.js';

const GRPC_NOT_FOUND = 5;

/** The newest deploy of a cluster, by its visibility record. */
async function newestDeploy(pc: PhasedClient, cluster: string): Promise<string | undefined> {
  const rows = await clusterHistory(pc, cluster, 50);
  return rows.find((r) => r.type === 'deploy')?.workflowId;
}

/** The record of a deploy named by its workflow id, or the newest deploy of a cluster. */
export async function fetchDeployRecord(pc: PhasedClient, target: string): Promise<DeployRecord> {
  const byId = await historyOf(pc, target);
  const id = byId ? target : await newestDeploy(pc, target);
  const events = byId ?? (id ? await historyOf(pc, id) : undefined);
  if (!id || !events)
    throw new PhasedError({
      code: 'DEPLOY_NOT_FOUND',
      problem: `no deploy named ${target}, and no deploy of a cluster named ${target}`,
      fix: 'pass a deploy workflow id or a cluster name: `phased history <cluster>` lists deploys',
    });
  const record = deployRecord(id, events);
  if (record.closedAt === null) record.live = await liveStatus(pc, id);
  return record;
}

async function historyOf(pc: PhasedClient, workflowId: string) {
  try {
    const history = await pc.client.workflow.getHandle(workflowId).fetchHistory();
    return history.events ?? [];
  } catch (err) {
    // fetchHistory reports an unknown id as gRPC NOT_FOUND (5), not WorkflowNotFoundError.
    if (
      err instanceof WorkflowNotFoundError ||
      (isGrpcServiceError(err) && Number(err.code) === GRPC_NOT_FOUND)
    )
      return undefined;
    throw err;
  }
}

/** A running deploy's status (operator actions, phase timings so far); null when no worker answers soon. */
async function liveStatus(pc: PhasedClient, workflowId: string) {
  const query = pc.client.workflow.getHandle(workflowId).query(statusQuery);
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000).unref());
  return Promise.race([query.catch(() => null), timeout]);
}
