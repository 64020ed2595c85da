// Host activities: thin wrappers that run the release operations of
// src/releases on a batch of hosts through the configured transport.
import { ApplicationFailure } from '@temporalio/common';
import { describeCause, isPhasedError } from '../src/errors.js';
import { sourceShape, type TreeSummary } from '../src/releases/checksum.js';
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
import type {
  AfterSwitch,
  HealthRun,
  HookRun,
  Hooks,
  Host,
  TidyResult,
  TransportSpec,
} from '../src/core/vocabulary.js';
import { waitHealthy } from '../src/releases/health.js';
import { runHook } from '../src/releases/hooks.js';
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

/** What ran on a host after its switch: the hook, then the health check that made it count. */
export interface AfterSwitchResult {
  hooks?: HookRun[];
  health?: HealthRun;
}

/**
 * The afterSwitch (or afterRollback) hook, then the health check, on a host
 * whose current now names `revision`; throws (HOOK_FAILED,
 * HEALTH_CHECK_FAILED) when either says no, which fails the host's switch.
 * A host returned to a link phased does not manage has no release to run in:
 * nothing runs there.
 */
async function afterSwitch(
  t: HostTransport,
  host: Host,
  target: { revision: string; link?: string },
  previous: string | null,
  after: AfterSwitch | undefined,
): Promise<AfterSwitchResult> {
  if (!after || target.link !== undefined) return {};
  const ctx = { revision: target.revision, previous };
  const spec = after.hooks?.[after.hook];
  const out: AfterSwitchResult = {};
  if (spec) out.hooks = [await runHook(t, host, after.hook, spec, ctx)];
  if (after.health) out.health = await waitHealthy(t, host, after.health, ctx);
  return out;
}

/**
 * Copies one activity runs at once: each is an rsync and an ssh process on
 * the worker, mostly waiting on the network and the host's disk, so a batch
 * of hosts is copied to together, as a script's parallel rsyncs would.
 */
const STAGING_AT_ONCE = 32;

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
      hooks,
    }: HostsInput & { revision: string; source: string; policy?: StagePolicy; hooks?: Hooks }) {
      const copyUnsafeLinks = policy.unsafeSymlinks === 'copy';
      // Nothing is copied from a missing or unsafe source; its hashes are
      // computed while the hosts copy (staging needs them only to finish).
      const { bytes } = await asActivityFailure(() => sourceShape(source, { copyUnsafeLinks }));
      const tree = whileBeating(() => deps.treeChecksum(source, { copyUnsafeLinks }));
      tree.catch(() => {}); // each host's staging awaits it and reports its failure
      const t = deps.transport(transport);
      return forEachHost(
        hosts,
        async (h) => {
          const r = await stageRelease(t, h, {
            revision,
            source,
            tree,
            sourceBytes: bytes,
            createRoot: policy.createRoot,
            adopt: policy.adopt,
            copyUnsafeLinks,
          });
          const afterStage = hooks?.afterStage;
          return {
            previous: r.current,
            adoptedLink: r.adoptedLink,
            alreadyStaged: r.alreadyStaged,
            bytesSent: r.bytesSent ?? null,
            ...(afterStage
              ? {
                  hooks: [
                    await runHook(t, h, 'afterStage', afterStage, {
                      revision,
                      previous: r.current,
                    }),
                  ],
                }
              : {}),
          };
        },
        STAGING_AT_ONCE,
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
      after,
    }: {
      transport: TransportSpec;
      targets: ({ host: Host; revision: string } & FlipOptions)[];
      /** The hook and health check each host must pass to count as switched. */
      after?: AfterSwitch;
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
          const target = byName.get(h.name)!;
          if (first && 'error' in first) throw first.error;
          const previous = first
            ? first.previous
            : await flipRelease(t, h, target.revision, target);
          return { previous, ...(await afterSwitch(t, h, target, previous, after)) };
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
      hooks,
    }: HostsInput & {
      keep: number;
      protect: Record<string, (string | null)[]>;
      mark?: { revision: string; as: 'reject' | 'accept'; reason: string };
      hooks?: Hooks;
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
        // A beforePrune hook that says no keeps this host's releases (pruned next time).
        const beforePrune = hooks?.beforePrune;
        let pruneRefused: string | undefined;
        let hookRuns: HookRun[] | undefined;
        if (beforePrune && remove.length > 0 && state.current) {
          try {
            hookRuns = [
              await runHook(t, h, 'beforePrune', beforePrune, {
                revision: state.current,
                removing: remove,
              }),
            ];
          } catch (err) {
            if (!isPhasedError(err, 'HOOK_FAILED')) throw err;
            pruneRefused = describeCause(err);
          }
        }
        const removed = pruneRefused === undefined ? remove : [];
        await tidyHost(t, h, { remove: removed, mark });
        return {
          current: state.current,
          currentKind: state.currentKind,
          currentLink: state.currentLink,
          removed,
          ...(hookRuns ? { hooks: hookRuns } : {}),
          ...(pruneRefused ? { pruneRefused } : {}),
        };
      });
    },
  };
}
