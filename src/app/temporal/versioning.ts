// Worker Versioning: each `phased worker` polls as one Worker Deployment
// Version (a deployment name per installation, a build id per build of
// phased). A deploy or a rollback is pinned to the version it started on and
// ends there, whatever workers come after it; the cluster queue moves to
// whichever version is current. Upgrading phased is: start workers of the new
// build, make it current (phased upgrade), let the old one drain, stop it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';
import { setTimeout as delay } from 'node:timers/promises';
import { describeCause, PhasedError } from '../../errors.js';

export interface WorkerVersion {
  deploymentName: string;
  buildId: string;
}

/** The installation's Worker Deployment when none is named. */
export const DEFAULT_DEPLOYMENT_NAME = 'phased';

/**
 * phased's build: its version, and the commit when it runs from a git
 * checkout (two checkouts of one version with different code are different
 * builds; an installed package is its version).
 */
export function defaultBuildId(version: string, root: string): string {
  if (!existsSync(path.join(root, '.git'))) return version;
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return commit ? `${version}+${commit}` : version;
  } catch {
    return version;
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/;

/** Checks a deployment name or build id given on the command line or in the environment. */
export function checkVersionPart(what: 'deployment name' | 'build id', value: string): string {
  if (!NAME.test(value))
    throw new PhasedError({
      code: 'CONFIG_INVALID',
      problem: `the worker's ${what} ${JSON.stringify(value)} is not a valid name`,
      fix: `use letters, digits and . _ + - only (at most 255), starting with a letter or digit`,
    });
  return value;
}

// A CommonJS package: its namespaces come through the default import under Node's ESM.
const { WorkerDeploymentVersionStatus, VersionDrainageStatus } = proto.temporal.api.enums.v1;

export type VersionState = 'current' | 'ramping' | 'draining' | 'drained' | 'inactive';

export interface VersionSummary {
  buildId: string;
  state: VersionState;
}

function stateOf(
  status: temporal.api.enums.v1.WorkerDeploymentVersionStatus | null | undefined,
  drainage: temporal.api.enums.v1.VersionDrainageStatus | null | undefined,
): VersionState {
  switch (status) {
    case WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT:
      return 'current';
    case WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_RAMPING:
      return 'ramping';
    case WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING:
      return 'draining';
    case WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED:
      return 'drained';
    default:
      return drainage === VersionDrainageStatus.VERSION_DRAINAGE_STATUS_DRAINED
        ? 'drained'
        : 'inactive';
  }
}

const isNotFound = (err: unknown) =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 5;

/**
 * The new version polls some of the current version's task queues (a
 * worker registers its workflow and activity pollers one after the other)
 * but not yet all: the server refuses the switch until it does.
 */
const stillRegistering = (err: unknown) =>
  typeof err === 'object' &&
  err !== null &&
  (err as { code?: unknown }).code === 9 &&
  /missing active task queues/.test(String((err as { details?: unknown }).details));

/** The deployment's current build id and its versions; null when no worker of it ever polled. */
export async function describeDeployment(
  client: Client,
  deploymentName: string,
): Promise<{ current: string | null; versions: VersionSummary[] } | null> {
  try {
    const res = await client.workflowService.describeWorkerDeployment({
      namespace: client.options.namespace,
      deploymentName,
    });
    const info = res.workerDeploymentInfo;
    return {
      current: info?.routingConfig?.currentDeploymentVersion?.buildId || null,
      versions: (info?.versionSummaries ?? []).map((v) => ({
        buildId: v.deploymentVersion?.buildId ?? '',
        state: stateOf(v.status, v.drainageInfo?.status),
      })),
    };
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/**
 * Makes `version` the deployment's current version: new deploys and
 * rollbacks start on it; running ones stay on the version they started on.
 * A version's pollers take a moment to register, so "not found" and "missing
 * active task queues" are retried until `timeoutMs`.
 */
export async function makeCurrent(
  client: Client,
  version: WorkerVersion,
  identity: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: client.options.namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
        identity,
      });
      return;
    } catch (err) {
      if (!(isNotFound(err) || stillRegistering(err)) || Date.now() > deadline)
        throw new PhasedError({
          code: 'WORKER_VERSION',
          problem: `cannot make build ${version.buildId} current in worker deployment ${version.deploymentName}: ${describeCause(err)}`,
          fix: `start a phased worker of that build first, on every task queue the current build polls (phased worker --build-id ${version.buildId}), then run phased upgrade again`,
          cause: err,
        });
      await delay(250);
    }
  }
}

/**
 * A worker of a new installation (no current version yet) makes its version
 * current, so the first deploy has somewhere to run. A worker of another
 * build joining a deployment that has one changes nothing: moving deploys to
 * it is `phased upgrade`'s decision. Returns the current build id.
 */
export async function currentOrFirst(
  client: Client,
  version: WorkerVersion,
  identity: string,
): Promise<string> {
  const known = await describeDeployment(client, version.deploymentName);
  if (known?.current) return known.current;
  await makeCurrent(client, version, identity);
  return version.buildId;
}
