// Runs a function in a mocked activity context, typed by what it returns
// (MockActivityEnvironment.run does not infer it), and the host activities
// as a worker builds them.
import path from 'node:path';
import type { MockActivityEnvironment } from '@temporalio/testing';
import { createHostActivities } from '../../activities/hosts.js';
import type { ClusterStore } from '../../src/config/store.js';
import { treeChecksum } from '../../src/releases/checksum.js';
import { sourceSnapshots } from '../../src/releases/snapshot.js';
import type { HostTransport } from '../../src/transport/types.js';

export const inActivity = <R>(env: MockActivityEnvironment, fn: () => Promise<R>): Promise<R> =>
  env.run<[], R, () => Promise<R>>(fn);

/** The host activities over `t`, hashing and snapshotting sources as a worker does (snapshots under `dir`). */
export const hostActivitiesOver = (t: HostTransport, clusters: ClusterStore, dir: string) =>
  createHostActivities({
    transport: () => t,
    clusters,
    treeChecksum: (d) => treeChecksum(d),
    snapshot: sourceSnapshots(path.join(dir, 'snapshots')).take,
  });
