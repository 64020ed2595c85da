// Host activities: thin wrappers that run the release operations of
// src/releases on a batch of hosts through the configured transport.
import { ApplicationFailure } from '@temporalio/common';
import { isPhasedError } from '../src/errors.js';
import type { TreeSummary } from '../src/releases/checksum.js';
import {
  flipRelease,
  flipTogether,
  inspectHost,
  removeReleases,
  stageRelease,
} from '../src/releases/ops.js';
import { releasesToRemove } from '../src/releases/retention.js';
import type { HostTransport } from '../src/transport/types.js';
import type { HostRef } from '../workflows/model.js';
import { finishedHosts, forEachHost } from './batch.js';

/** How to reach hosts: paths and names only; keys are loaded by the worker. */
export type TransportSpec =
  | { kind: 'local' }
  | {
      kind: 'ssh';
      user?: string;
      port: number;
      identityFile?: string;
      knownHostsFile?: string;
      acceptUnknownHostKeys: boolean;
    };

export interface HostDeps {
  transport: (spec: TransportSpec) => HostTransport;
  /** Checksum of a source tree (cached by the worker). */
  treeChecksum: (dir: string) => Promise<TreeSummary>;
}

/** Turns a PhasedError into a Temporal failure that keeps its code and retryability. */
export async function asActivityFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isPhasedError(err))
      throw ApplicationFailure.create({
        type: err.code,
        message: err.message,
        nonRetryable: !err.retryable,
        cause: err,
      });
    throw err;
  }
}

export interface HostsInput {
  transport: TransportSpec;
  hosts: HostRef[];
}

export function createHostActivities(deps: HostDeps) {
  return {
    /** The live release and the staged ones, per host. */
    async inspectHosts({ transport, hosts }: HostsInput) {
      const t = deps.transport(transport);
      return forEachHost(hosts, async (h) => {
        const r = await inspectHost(t, h);
        // Newest first: the first one after current is where a rollback goes.
        const releases = [...r.releases]
          .sort((a, b) => b.stagedAt - a.stagedAt)
          .map((x) => x.revision);
        return { current: r.current, releases };
      });
    },

    /** Copies the release to each host's releases/<revision>; never touches current. */
    async stageHosts({
      transport,
      hosts,
      revision,
      source,
    }: HostsInput & { revision: string; source: string }) {
      const tree = await asActivityFailure(() => deps.treeChecksum(source));
      const t = deps.transport(transport);
      return forEachHost(
        hosts,
        async (h) => {
          const r = await stageRelease(t, h, { revision, source, tree });
          return {
            previous: r.current,
            alreadyStaged: r.alreadyStaged,
            bytesSent: r.bytesSent ?? null,
          };
        },
        8,
      );
    },

    /**
     * Atomically points current at each host's target revision, all hosts of
     * the batch together (armed, then fired); returns what each pointed at.
     * A host that fails transiently is retried on its own.
     */
    async flipHosts({
      transport,
      targets,
    }: {
      transport: TransportSpec;
      targets: { host: HostRef; revision: string }[];
    }) {
      const t = deps.transport(transport);
      const byName = new Map(targets.map((x) => [x.host.name, x.revision]));
      const finished = finishedHosts();
      const together = await flipTogether(
        t,
        targets.filter((x) => !finished.has(x.host.name)),
      );
      return forEachHost(
        targets.map((x) => x.host),
        async (h) => {
          const first = together.get(h.name);
          together.delete(h.name); // a retry of this host flips it on its own
          if (!first) return { previous: await flipRelease(t, h, byName.get(h.name)!) };
          if ('error' in first) throw first.error;
          return { previous: first.previous };
        },
        64,
      );
    },

    /** Keeps `keep` releases per host, never the live release or the protected ones. */
    async pruneHosts({
      transport,
      hosts,
      keep,
      protect,
    }: HostsInput & { keep: number; protect: Record<string, (string | null)[]> }) {
      const t = deps.transport(transport);
      return forEachHost(hosts, async (h) => {
        const state = await inspectHost(t, h);
        const remove = releasesToRemove({
          releases: state.releases,
          keep,
          protect: [state.current, ...(protect[h.name] ?? [])],
        });
        await removeReleases(t, h, remove);
        return { removed: remove };
      });
    },
  };
}
