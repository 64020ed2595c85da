// The worker version `phased worker` polls as, from its flags and the
// environment, and how `phased upgrade` shows a deployment's versions.
import {
  checkVersionPart,
  DEFAULT_DEPLOYMENT_NAME,
  defaultBuildId,
  type VersionSummary,
  type WorkerVersion,
} from '../temporal/versioning.js';

export interface VersionFlags {
  deploymentName?: string;
  buildId?: string;
  /** commander's --no-versioning. */
  versioning?: boolean;
}

/** The deployment name: --deployment-name, $PHASED_DEPLOYMENT_NAME, or phased's default. */
export function deploymentNameOf(flags: VersionFlags, env: NodeJS.ProcessEnv): string {
  return checkVersionPart(
    'deployment name',
    flags.deploymentName ?? (env.PHASED_DEPLOYMENT_NAME || DEFAULT_DEPLOYMENT_NAME),
  );
}

/** The version a worker polls as, or undefined for an unversioned worker (--no-versioning). */
export function workerVersionOf(
  flags: VersionFlags,
  env: NodeJS.ProcessEnv,
  build: { version: string; root: string },
): WorkerVersion | undefined {
  if (flags.versioning === false) return undefined;
  return {
    deploymentName: deploymentNameOf(flags, env),
    buildId: checkVersionPart(
      'build id',
      flags.buildId ?? (env.PHASED_BUILD_ID || defaultBuildId(build.version, build.root)),
    ),
  };
}

/** One line per version, the current one first. */
export function versionsText(deploymentName: string, versions: readonly VersionSummary[]): string {
  const order = ['current', 'ramping', 'draining', 'inactive', 'drained'];
  const sorted = [...versions].sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state));
  const width = Math.max(8, ...sorted.map((v) => v.buildId.length));
  const note: Record<string, string> = {
    current: 'new deploys and rollbacks start here',
    ramping: 'some new deploys start here',
    draining: 'deploys that started here are still running: keep its workers',
    drained: 'nothing runs here any more: its workers can stop',
    inactive: 'polling, not current: phased upgrade <build-id> moves new deploys here',
  };
  return [
    `worker deployment ${deploymentName}:`,
    ...sorted.map((v) => `  ${v.buildId.padEnd(width)}  ${v.state.padEnd(8)}  ${note[v.state]}`),
  ].join('\n');
}
