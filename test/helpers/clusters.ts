// The cluster directory the test workers of one test file hold: tests write
// a cluster's file here (as an operator would put it beside the worker),
// and deploys name the cluster. Cluster names are unique per test.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import type { ClusterConfig } from '../../src/config/schema.js';
import { ClusterStore } from '../../src/config/store.js';
import type { ClusterRef } from '../../src/core/vocabulary.js';

let dir: string | undefined;

/**
 * This test file's worker cluster directory, inside the run's scratch
 * directory (which the global setup removes: a forked test process may be
 * ended without its exit handlers running).
 */
export function testClustersDir(): string {
  dir ??= mkdtempSync(path.join(inject('testTmpDir'), 'clusters-'));
  return dir;
}

/** A store over this file's cluster directory, as a worker builds one. */
export const testClusterStore = () => new ClusterStore(testClustersDir());

/** Puts a cluster file (the document, as an operator writes it) where the test workers read it. */
export function holdCluster(doc: Record<string, unknown>): string {
  const file = path.join(testClustersDir(), `${String(doc.cluster)}.yaml`);
  writeFileSync(file, stringify(doc));
  return file;
}

/**
 * A cluster file over `hosts` (plus `doc`'s fields) in this file's cluster
 * directory, and the store and reference an activity resolves it by: how
 * activity tests give a worker its configuration.
 */
export function clusterOver(
  hosts: readonly { name: string; address?: string; root: string; port?: number }[],
  doc: Record<string, unknown> = {},
): { store: ClusterStore; ref: ClusterRef; config: ClusterConfig } {
  const cluster = `c-${randomUUID().slice(0, 8)}`;
  holdCluster({
    cluster,
    hosts: hosts.map(({ name, address, root, port }) => ({
      name,
      root,
      ...(address ? { address } : {}),
      ...(port ? { port } : {}),
    })),
    ...doc,
  });
  const store = testClusterStore();
  const loaded = store.current(cluster);
  return { store, ref: { cluster, digest: loaded.digest }, config: loaded.config };
}
