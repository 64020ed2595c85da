// The client side of phased: starting deploys and rollbacks, operator
// commands, status and history. The CLI is a thin layer over these.
import { phasedDataConverter } from './temporal/codec.js';
import {
  ApplicationFailure,
  Client,
  type WorkflowHandle,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { setTimeout as delay } from 'node:timers/promises';
import proto from '@temporalio/proto';
import type { TemporalServer } from './devserver.js';
import { PhasedError, describeCause, type ErrorCode } from '../errors.js';
import { connectClient } from './temporal/connect.js';
import type { preflight, PreflightInput, PreflightResult } from '../../workflows/preflight.js';
import {
  abortUpdate,
  deploy,
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  statusQuery,
} from '../../workflows/deploy.js';
import { rollback } from '../../workflows/rollback.js';
import type { fleetCheck, FleetCheckResult } from '../../workflows/fleet-check.js';
import { fleetDrift, type FleetDrift } from '../core/drift.js';
import { queueQuery, queueWorkflowId, type QueueState } from '../../workflows/cluster-queue.js';
import type { DeployStatus } from '../../workflows/model.js';
import {
  isOutcomeFailureType,
  reportCommand,
  type OperatorCommand,
  type OperatorRequest,
} from '../core/vocabulary.js';
import {
  DeployCluster,
  DeployOperator,
  DeployOutcome,
  DeployPhase,
  DeployRevision,
} from '../../workflows/search-attributes.js';

export interface PhasedClient {
  client: Client;
  taskQueue: string;
  close(): Promise<void>;
}

export async function createPhasedClient(server: TemporalServer): Promise<PhasedClient> {
  const connection = await connectClient({
    address: server.address,
    settings: server.settings,
    fromEnv: !server.embedded,
  });
  return {
    client: new Client({
      connection,
      namespace: server.namespace,
      dataConverter: phasedDataConverter,
    }),
    taskQueue: server.settings.taskQueue,
    close: () => connection.close(),
  };
}

const shortId = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Runs the preflight workflow to completion and returns what the worker reported. */
export async function runPreflight(
  { client, taskQueue }: PhasedClient,
  input: PreflightInput,
): Promise<{ workflowId: string; result: PreflightResult }> {
  const workflowId = `preflight-${shortId()}`;
  const handle = await client.workflow.start<typeof preflight>('preflight', {
    taskQueue,
    workflowId,
    args: [input],
    staticSummary: `preflight requested by ${input.requestedBy}`,
  });
  return { workflowId, result: await handle.result() };
}

/**
 * Which release each host runs (read by the worker that holds the cluster's
 * file) against the cluster's recorded history: the drift `phased status`
 * reports. A refusal (unknown cluster) is thrown as such.
 */
export async function checkFleet(
  pc: PhasedClient,
  cluster: string,
  operator: string,
): Promise<FleetDrift> {
  const handle = await pc.client.workflow.start<typeof fleetCheck>('fleetCheck', {
    taskQueue: pc.taskQueue,
    workflowId: `fleet-check-${cluster}-${shortId()}`,
    args: [{ cluster, operator }],
    // An answer for a person waiting at a prompt, or none.
    workflowExecutionTimeout: '3 minutes',
    staticSummary: `which release each host of ${cluster} runs (phased status)`,
  });
  let seen: FleetCheckResult;
  try {
    seen = await handle.result();
  } catch (err) {
    throw refusalOf(err) ?? err;
  }
  return fleetDrift(seen.hosts, await clusterHistory(pc, cluster), seen.unreachable);
}

/** Whether a workflow is running (false when it ended, however, or never existed). */
export async function workflowRunning({ client }: PhasedClient, workflowId: string) {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return d.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** A deploy as a caller asks for it: a cluster the worker holds, a revision, a source. */
export interface DeployRequest {
  cluster: string;
  revision: string;
  source: string;
  operator: string;
  reason?: string;
}

/** Starts a deploy; it queues behind any deploy already running on the cluster. */
export async function startDeploy({ client, taskQueue }: PhasedClient, req: DeployRequest) {
  const { cluster } = req;
  const workflowId = `deploy-${cluster}-${req.revision}-${shortId()}`;
  const requested = req.reason
    ? `requested by ${req.operator}: ${req.reason}`
    : `requested by ${req.operator}`;
  return client.workflow.start(deploy, {
    taskQueue,
    workflowId,
    args: [
      {
        cluster,
        revision: req.revision,
        source: req.source,
        operator: req.operator,
        reason: req.reason,
        requestedAt: Date.now(),
      },
    ],
    typedSearchAttributes: [
      { key: DeployCluster, value: cluster },
      { key: DeployRevision, value: req.revision },
      { key: DeployPhase, value: 'queued' },
      { key: DeployOperator, value: req.operator },
    ],
    staticSummary: `${cluster} <- ${req.revision}`,
    // The UI shows this on the deploy's page, running or ended.
    staticDetails: `${requested}\n\ncanary report: \`${reportCommand(workflowId)}\``,
  });
}

export async function startRollback(
  { client, taskQueue }: PhasedClient,
  req: { cluster: string; to?: string; operator: string; reason: string },
) {
  const { cluster } = req;
  return client.workflow.start(rollback, {
    taskQueue,
    workflowId: `rollback-${cluster}-${shortId()}`,
    args: [
      {
        cluster,
        to: req.to,
        operator: req.operator,
        reason: req.reason,
        requestedAt: Date.now(),
      },
    ],
    typedSearchAttributes: [
      { key: DeployCluster, value: cluster },
      { key: DeployRevision, value: req.to ?? 'previous' },
      { key: DeployPhase, value: 'switching' },
      { key: DeployOperator, value: req.operator },
    ],
    staticSummary: `${cluster} rollback -> ${req.to ?? 'previous release'}`,
    staticDetails: `by ${req.operator}: ${req.reason}`,
  });
}

/** The cluster queue's state, or null when no queue workflow runs (nothing queued). */
export async function clusterQueueState(
  { client }: PhasedClient,
  cluster: string,
): Promise<QueueState | null> {
  try {
    const handle = client.workflow.getHandle(queueWorkflowId(cluster));
    if ((await handle.describe()).status.name !== 'RUNNING') return null;
    return await handle.query(queueQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** The deploy holding the cluster's lock. */
export async function activeDeploy(pc: PhasedClient, cluster: string): Promise<string> {
  const state = await clusterQueueState(pc, cluster);
  const id = state?.holder?.workflowId;
  if (!id || state?.holder?.kind !== 'deploy')
    throw new PhasedError({
      code: 'DEPLOY_REJECTED',
      problem: `no deploy is running on cluster ${cluster}`,
      fix: `check phased status ${cluster}; pass --workflow ID to address a queued deploy`,
    });
  return id;
}

const updates = {
  pause: pauseUpdate,
  resume: resumeUpdate,
  abort: abortUpdate,
  promote: promoteUpdate,
};

/** Sends an operator command and returns the deploy's status once it took effect. */
export async function operate(
  { client }: PhasedClient,
  workflowId: string,
  command: OperatorCommand,
  request: OperatorRequest,
): Promise<DeployStatus> {
  try {
    return await client.workflow
      .getHandle(workflowId)
      .executeUpdate(updates[command], { args: [request] });
  } catch (err) {
    const why =
      err instanceof WorkflowUpdateFailedError
        ? (err.cause?.message ?? err.message)
        : describeCause(err);
    throw new PhasedError({
      code: 'DEPLOY_REJECTED',
      problem: `${command} was refused by ${workflowId}: ${why}`,
      fix: "check phased status for the deploy's phase",
      cause: err,
    });
  }
}

export async function deployStatus(
  { client }: PhasedClient,
  workflowId: string,
): Promise<DeployStatus> {
  return client.workflow.getHandle(workflowId).query(statusQuery);
}

export interface HistoryRow {
  workflowId: string;
  type: string;
  status: string;
  revision: string | undefined;
  phase: string | undefined;
  outcome: string | undefined;
  operator: string | undefined;
  startTime: string;
  closeTime: string | undefined;
}

/** Recent deploys and rollbacks of a cluster, newest first, from Temporal's visibility store. */
export function clusterHistory(
  pc: PhasedClient,
  cluster: string,
  limit = 20,
): Promise<HistoryRow[]> {
  // The cluster name is validated as a safe segment, so it can be quoted here.
  return listRows(pc, `DeployCluster = '${cluster}'`, limit);
}

/** Deploys and rollbacks running on any cluster, or on one. */
export function runningDeploys(
  pc: PhasedClient,
  limit = 100,
  cluster?: string,
): Promise<HistoryRow[]> {
  const which = cluster ? `DeployCluster = '${cluster}'` : 'DeployCluster IS NOT NULL';
  return listRows(pc, `${which} AND ExecutionStatus = 'Running'`, limit);
}

/** One deploy or rollback as Temporal's visibility store has it, or undefined. */
export async function visibleDeploy(
  pc: PhasedClient,
  workflowId: string,
): Promise<HistoryRow | undefined> {
  // A workflow id phased chose holds only safe characters; quotes are refused anyway.
  if (workflowId.includes("'")) return undefined;
  return (await listRows(pc, `WorkflowId = '${workflowId}'`, 1))[0];
}

async function listRows(
  { client }: PhasedClient,
  query: string,
  limit: number,
): Promise<HistoryRow[]> {
  const rows: HistoryRow[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const sa = wf.typedSearchAttributes;
    rows.push({
      workflowId: wf.workflowId,
      type: wf.type,
      status: wf.status.name,
      revision: sa.get(DeployRevision),
      phase: sa.get(DeployPhase),
      outcome: sa.get(DeployOutcome),
      operator: sa.get(DeployOperator),
      startTime: wf.startTime.toISOString(),
      closeTime: wf.closeTime?.toISOString(),
    });
    if (rows.length >= limit) break;
  }
  return rows;
}

/**
 * A deploy's or rollback's outcome, however its workflow ended: completed
 * (done, superseded), or failed with its outcome (rolled back, aborted,
 * failed; see workflows/outcome.ts). Anything else is thrown.
 */
export async function outcomeOf<T>(handle: { result(): Promise<T> }): Promise<T> {
  try {
    return await handle.result();
  } catch (err) {
    const outcome = outcomeInFailure(err);
    if (outcome !== undefined) return outcome as T;
    throw err;
  }
}

/** Codes with which a worker refuses a deploy or rollback before it touches anything. */
const REFUSALS: readonly string[] = [
  'CLUSTER_UNKNOWN',
  'CALLER_CONFIG_REFUSED',
  'NOT_AUTHORIZED',
  'SOURCE_OUTSIDE',
  'SOURCE_MISSING',
  'SOURCE_INVALID',
  'ROOT_MISSING',
  'CONFIG_INVALID',
];

/** The worker's refusal of a deploy or rollback as the CLI's error (exit 2), or undefined. */
export function refusalOf(err: unknown): PhasedError | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure) || !cause.type || !REFUSALS.includes(cause.type))
    return undefined;
  const [problem = cause.message, fix = 'see the message'] = cause.message.split('\n  fix: ');
  return new PhasedError({ code: cause.type as ErrorCode, problem, fix, cause: err });
}

/**
 * Waits until the worker accepted a deploy (it loaded the cluster and the
 * operator may deploy it: its status answers), or throws its refusal.
 */
export async function deployAccepted(
  handle: WorkflowHandle<typeof deploy>,
  deadlineMs = 60_000,
): Promise<DeployStatus> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') {
      try {
        await outcomeOf(handle);
      } catch (err) {
        throw refusalOf(err) ?? err;
      }
    }
    // The status query is answered once the configuration is in.
    const answer = await handle.query(statusQuery).catch(() => undefined);
    if (answer || status.name !== 'RUNNING') return answer!;
    if (Date.now() > until)
      throw new PhasedError({
        code: 'NO_WORKER',
        problem: `${handle.workflowId} was started, but no worker has accepted it within ${deadlineMs / 1000}s`,
        fix: 'check that a phased worker polls the task queue (phased status), and the deploy in the Temporal UI',
      });
    await delay(250);
  }
}

/** The outcome a failed deploy or rollback carries, or undefined for any other error. */
function outcomeInFailure(err: unknown): unknown {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure) || !isOutcomeFailureType(cause.type)) return undefined;
  return cause.details?.[0];
}

/**
 * A worker long-polls for at most a minute; one whose last poll began longer
 * ago than this has stopped.
 */
const POLLER_FRESH_MS = 90_000;

/** How long a command waits for a worker to show up before saying there is none. */
const NO_WORKER_GRACE_MS = 5_000;

/** The phased workers polling a task queue now (Temporal knows who polls). */
export async function pollingWorkers({
  client,
  taskQueue,
}: Pick<PhasedClient, 'client' | 'taskQueue'>): Promise<string[]> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: {
      name: taskQueue,
      kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
    },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const since = Date.now() - POLLER_FRESH_MS;
  return (pollers ?? [])
    .filter((p) => Number(p.lastAccessTime?.seconds ?? 0) * 1000 >= since)
    .map((p) => p.identity ?? '(unnamed worker)');
}

/** Whether a worker polls the task queue, giving one that has just started a few seconds to poll. */
export async function workerPolls(pc: PhasedClient): Promise<boolean> {
  const deadline = Date.now() + NO_WORKER_GRACE_MS;
  for (;;) {
    if ((await pollingWorkers(pc)).length > 0) return true;
    if (Date.now() >= deadline) return false;
    await delay(250);
  }
}

/** What a command says when no worker polls its task queue: the problem, and the fix. */
export const noWorker = (pc: PhasedClient, what: string) =>
  new PhasedError({
    code: 'NO_WORKER',
    problem: `no phased worker polls task queue ${pc.taskQueue}, so ${what}`,
    fix: `start one where it can reach the hosts: phased worker (with the same TEMPORAL_ADDRESS and PHASED_TASK_QUEUE=${pc.taskQueue})`,
  });

/**
 * Refuses at once when no worker polls the task queue: a deploy would wait in
 * Temporal for one, and a query would time out after half a minute.
 */
export async function assertWorkerPolls(pc: PhasedClient, what: string): Promise<void> {
  if (!(await workerPolls(pc))) throw noWorker(pc, what);
}
