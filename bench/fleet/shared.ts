// What bench/fleet's benchmark and profile share: the synthetic release's
// files, and a loopback sshd fleet reached as the bench's deploy user.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { ClusterStore } from '../../src/config/store.js';
import { startSshdFleet, type SshdFleet } from '../../src/app/demo/sshd-fleet.js';
import type { ClusterRef, Host, TransportSpec } from '../../src/core/vocabulary.js';
import { deployUser } from '../deploy-user.js';

/** File i of a release of `files` files and `bytes` bytes: sizes spread from 0.2x to 1.8x the mean, deterministic. */
export function releaseFiles(files: number, bytes: number) {
  return {
    sizeOf: (i: number) => Math.round((bytes / files) * (0.2 + (1.6 * ((i * 7919) % 1000)) / 999)),
    fileOf: (i: number) => `assets/d${String(i % 50).padStart(2, '0')}/f${i}.bin`,
  };
}

/** `n` sshd hosts whose roots the deploy user owns, and the transport spec that reaches them. */
export async function benchFleet(
  n: number,
): Promise<{ fleet: SshdFleet; user: string; spec: TransportSpec }> {
  const user = deployUser();
  const fleet = await startSshdFleet(n, 100);
  for (const h of fleet.hosts) execFileSync('chown', ['-R', user, h.root]);
  return { fleet, user, spec: sshSpec(fleet, user) };
}

/** How the bench's worker reaches a fleet's hosts: as `user`, with the fleet's key and known hosts. */
export function sshSpec(fleet: SshdFleet, user: string): TransportSpec {
  return {
    kind: 'ssh',
    user,
    port: 22,
    identityFile: fleet.clientKey,
    knownHostsFile: fleet.knownHosts,
    acceptUnknownHostKeys: false,
  };
}

/**
 * Writes the cluster file a worker would hold for `hosts` (reached as `spec`
 * says) into `dir`, and returns the reference its activities resolve.
 */
export function holdBenchCluster(
  dir: string,
  cluster: string,
  spec: TransportSpec,
  hosts: readonly Host[],
  more: Record<string, unknown> = {},
): ClusterRef {
  const doc = {
    ...more,
    cluster,
    transport: spec.kind,
    ...(spec.kind === 'ssh'
      ? {
          ssh: {
            ...(spec.user ? { user: spec.user } : {}),
            port: spec.port,
            ...(spec.identityFile ? { identityFile: spec.identityFile } : {}),
            ...(spec.knownHostsFile ? { knownHostsFile: spec.knownHostsFile } : {}),
          },
        }
      : {}),
    hosts: hosts.map(({ name, address, port, root }) => ({
      name,
      address,
      root,
      ...(port ? { port } : {}),
    })),
  };
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${cluster}.yaml`);
  writeFileSync(file, stringify(doc));
  return { cluster, digest: new ClusterStore(dir).current(cluster).digest };
}
