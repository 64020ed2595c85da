// The first step of every deploy and rollback: the worker reads the cluster's
// configuration from its own directory, checks that the operator may do what
// they asked and that the source is where this worker's builds live, and
// hands the workflow the configuration and its digest. Nothing a caller sent
// decides what runs on a host.
import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { accessFix, accessRefusal } from '../src/core/access.js';
import type { AccessAction, ClusterRef } from '../src/core/vocabulary.js';
import type { ClusterConfig } from '../src/config/schema.js';
import type { ClusterStore } from '../src/config/store.js';
import { PhasedError } from '../src/errors.js';
import { checkSource } from '../src/releases/checksum.js';
import { asActivityFailure } from './hosts.js';

export interface ClusterDeps {
  store: ClusterStore;
}

export interface LoadClusterInput {
  cluster: string;
  /** What the operator asks to do; 'inspect' (reading which release each host runs) needs no grant. */
  action: AccessAction | 'inspect';
  operator: string;
  /** A deploy's source, checked against the cluster's `sources` directory. */
  source?: string;
}

export interface ClusterForDeploy {
  config: ClusterConfig;
  ref: ClusterRef;
  /** The file on the worker it came from. */
  file: string;
}

export function createClusterActivities({ store }: ClusterDeps) {
  return {
    loadCluster: (input: LoadClusterInput): Promise<ClusterForDeploy> =>
      asActivityFailure(async () => {
        const { config, digest, file } = store.current(input.cluster);
        const { action } = input;
        const refused = accessRefusal(config.cluster, config.access, action, input.operator);
        if (refused && action !== 'inspect')
          throw new PhasedError({
            code: 'NOT_AUTHORIZED',
            problem: refused,
            fix: accessFix(action),
          });
        if (input.source !== undefined) {
          if (config.sources) await assertInside(input.source, config.sources, file);
          // A source that could never stage is refused before the deploy queues.
          await checkSource(input.source, { copyUnsafeLinks: config.unsafeSymlinks === 'copy' });
          assertLocalRoots(config);
        }
        return { config, ref: { cluster: config.cluster, digest }, file };
      }),
  };
}

/** Local hosts are directories on this worker: a missing root is known before the deploy queues. */
function assertLocalRoots(config: ClusterConfig) {
  if (config.transport !== 'local' || config.createRoot) return;
  const missing = config.hosts
    .filter((h) => !existsSync(h.root))
    .map((h) => `${h.name} (${h.root})`);
  if (missing.length > 0)
    throw new PhasedError({
      code: 'ROOT_MISSING',
      problem: `the deploy root of ${missing.join(', ')} does not exist`,
      fix: "check the hosts' roots in the cluster file, or set createRoot: true to let phased create them",
    });
}

/** Refuses a source outside the cluster's builds directory (symlinks resolved). */
async function assertInside(source: string, dir: string, file: string) {
  const [real, base] = await Promise.all([
    realpath(source).catch(() => path.resolve(source)),
    realpath(dir).catch(() => path.resolve(dir)),
  ]);
  if (real === base || !real.startsWith(base + path.sep))
    throw new PhasedError({
      code: 'SOURCE_OUTSIDE',
      problem: `source ${source} is not inside ${dir}, where ${file} says this cluster's builds are`,
      fix: `put the build in a directory under ${dir} and deploy that`,
    });
}
