// Host activities: thin wrappers that run the release operations of
// src/releases on a batch of hosts through the configured transport.
import { ApplicationFailure } from '@temporalio/common';
import { isPhasedError } from '../src/errors.js';
import type { TreeSummary } from '../src/releases/checksum.js';
import { rollbackTarget } from '../src/releases/host-state.js';
import {
  flipRelease,
  flipTogether,
  inspectHost,
  stageRelease,
  tidyHost,
  type FlipOptions,
} from '../src/releases/ops.js';
import { releasesToRemove } from '../src/releases/retention.js';
import type { HostTransport } from '../src/transport/types.js';
import type { Host, TidyResult, TransportSpec } from '../src/core/vocabulary.js';
import { finishedHosts, forEachHost, whileBeating } from './batch.js';

export interface HostDeps {
  transport: (spec: TransportSpec) => HostTransport;
  /** Checksum of a source tree (cached by the worker); refuses unsafe trees. */
  treeChecksum: (dir: string, options?: { copyUnsafeLinks?: boolean }) => Promise<TreeSummary>;
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

/** What the cluster file says about hosts and sources that staging must honour. */
export interface StagePolicy {
  createRoot?: boolean;
  adopt?: boolean;
  unsafeSymlinks?: 'refuse' | 'copy';
}

export interface HostsInput {
  transport: TransportSpec;
  hosts: Host[];
}

export function createHostActivities(deps: HostDeps) {
  return {
    /** The live release, the retained ones and where a plain rollback would go, per host. */
    async inspectHosts({ transport, hosts }: HostsInput) {
      const t = deps.transport(transport);
      return forEachHost(hosts, async (h) => {
        const r = await inspectHost(t, h);
        const releases = [...r.releases]
          .sort((a, b) => b.stagedAt - a.stagedAt)
          .map((x) => x.revision);
        return {
          current: r.current,
          currentKind: r.currentKind,
          currentLink: r.currentLink,
          releases,
          rejected: r.rejected,
          rollback: rollbackTarget(r, h.root),
        };
      });
    },

    /** Copies the release to each host's releases/<revision>; never touches current. */
    async stageHosts({
      transport,
      hosts,
      revision,
      source,
      policy = {},
    }: HostsInput & { revision: string; source: string; policy?: StagePolicy }) {
      const copyUnsafeLinks = policy.unsafeSymlinks === 'copy';
      const tree = await asActivityFailure(() =>
        whileBeating(() => deps.treeChecksum(source, { copyUnsafeLinks })),
      );
      const t = deps.transport(transport);
      return forEachHost(
        hosts,
        async (h) => {
          const r = await stageRelease(t, h, {
            revision,
            source,
            tree,
            createRoot: policy.createRoot,
            adopt: policy.adopt,
            copyUnsafeLinks,
          });
          return {
            previous: r.current,
            adoptedLink: r.adoptedLink,
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
      targets: ({ host: Host; revision: string } & FlipOptions)[];
    }) {
      const t = deps.transport(transport);
      const byName = new Map(targets.map((x) => [x.host.name, x]));
      const finished = finishedHosts();
      const together = await whileBeating(() =>
        flipTogether(
          t,
          targets.filter((x) => !finished.has(x.host.name)),
        ),
      );
      return forEachHost(
        targets.map((x) => x.host),
        async (h) => {
          const first = together.get(h.name);
          together.delete(h.name); // a retry of this host flips it on its own
          if (!first) {
            const target = byName.get(h.name)!;
            return { previous: await flipRelease(t, h, target.revision, target) };
          }
          if ('error' in first) throw first.error;
          return { previous: first.previous };
        },
        64,
      );
    },

    /**
     * The end of every deploy, per host: reports what current points at (the
     * workflow verifies it), marks the deploy's release accepted or rejected,
     * and keeps `keep` releases: never the live release, its rollback target
     * or the protected ones. (Named for its first job, retention, which
     * running deploys' histories record.)
     */
    async pruneHosts({
      transport,
      hosts,
      keep,
      protect,
      mark,
    }: HostsInput & {
      keep: number;
      protect: Record<string, (string | null)[]>;
      mark?: { revision: string; as: 'reject' | 'accept'; reason: string };
    }) {
      const t = deps.transport(transport);
      return forEachHost(hosts, async (h): Promise<TidyResult> => {
        const state = await inspectHost(t, h);
        const target = rollbackTarget(state, h.root);
        const remove = releasesToRemove({
          releases: state.releases,
          keep,
          protect: [
            state.current,
            'revision' in target ? target.revision : null,
            ...(protect[h.name] ?? []),
          ],
        });
        await tidyHost(t, h, { remove, mark });
        return {
          current: state.current,
          currentKind: state.currentKind,
          currentLink: state.currentLink,
          removed: remove,
        };
      });
    },
  };
}
