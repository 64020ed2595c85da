// Host activities: thin wrappers that run the release operations of
// src/releases on a batch of hosts through the configured transport.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TakeSnapshot } from '../src/releases/snapshot.js';
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
  type SwarmMember,
} from '../src/releases/ops.js';
import { releasesToRemove } from '../src/releases/retention.js';
import type { HostTransport } from '../src/transport/types.js';
import type {
  AfterSwitch,
  ClusterRef,
  HealthRun,
  HookRun,
  Host,
  TidyResult,
  TransportSpec,
} from '../src/core/vocabulary.js';
import { transportSpec } from '../src/core/plan.js';
import type { ClusterStore, LoadedCluster } from '../src/config/store.js';
import { waitHealthy } from '../src/releases/health.js';
import { runHook } from '../src/releases/hooks.js';
import { finishedHosts, forEachHost, whileBeating } from './batch.js';
import { seeding } from './fan-out.js';
import { planFanOut } from '../src/releases/fan-out-plan.js';

export interface HostDeps {
  transport: (spec: TransportSpec) => HostTransport;
  /** The clusters this worker holds: what runs on a host comes from here, never from an input. */
  clusters: ClusterStore;
  /** Checksum of a source tree (cached by the worker); refuses unsafe trees. */
  treeChecksum: (dir: string, options?: { copyUnsafeLinks?: boolean }) => Promise<TreeSummary>;
  /** A private copy of a release source, what staging ships and hashes. */
  snapshot: TakeSnapshot;
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
  /** The cluster and the version of its file the deploy runs with. */
  ref: ClusterRef;
  /** Hosts by name: their addresses and roots are read from the worker's cluster file. */
  hosts: Host[];
}

/** The worker's own cluster, its transport, and the named hosts as its file describes them. */
export function onCluster(deps: Pick<HostDeps, 'clusters' | 'transport'>, ref: ClusterRef) {
  const cluster = deps.clusters.resolve(ref);
  return {
    cluster,
    config: cluster.config,
    t: deps.transport(transportSpec(cluster.config)),
    hosts: (named: readonly { name: string }[]) =>
      deps.clusters.hostsNamed(
        cluster,
        named.map((h) => h.name),
      ),
  };
}

/** What ran on a host after its switch: the hook, then the health check that made it count. */
export interface AfterSwitchResult {
  hooks?: HookRun[];
  health?: HealthRun;
  /**
   * A host switched back whose afterRollback hook or health check then said
   * no: it is on its previous release (the rollback happened), and this is
   * why it is not healthy there.
   */
  unhealthy?: string;
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
  cluster: LoadedCluster,
): Promise<AfterSwitchResult> {
  if (!after || target.link !== undefined) return {};
  const { hooks, health, hookEnv } = cluster.config;
  const ctx = { revision: target.revision, previous, env: hookEnv };
  const spec = hooks[after.hook];
  const out: AfterSwitchResult = {};
  if (spec) out.hooks = [await runHook(t, host, after.hook, spec, ctx)];
  if (health) out.health = await waitHealthy(t, host, health, ctx);
  return out;
}

/**
 * Copies one activity runs at once: each is an rsync and an ssh process on
 * the worker, mostly waiting on the network and the host's disk, so a batch
 * of hosts is copied to together, as a script's parallel rsyncs would.
 */
const STAGING_AT_ONCE = 32;
/**
 * With fan-out most of a batch's hosts wait for a server or pull from one
 * (a channel of their pooled connection, no process on the worker): the
 * worker's own copies are the seeds' and the checks after each pull.
 */
const FAN_OUT_AT_ONCE = 4 * STAGING_AT_ONCE;

export function createHostActivities(deps: HostDeps) {
  return {
    /** The live release, the retained ones and where a plain rollback would go, per host. */
    async inspectHosts({ ref, hosts: named }: HostsInput) {
      const { t, hosts, config } = onCluster(deps, ref);
      return forEachHost(hosts(named), async (h) => {
        const r = await inspectHost(t, h, config.cluster);
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
      ref,
      hosts: named,
      revision,
      source,
    }: HostsInput & { revision: string; source: string }) {
      const { t, hosts, config } = onCluster(deps, ref);
      const policy = config;
      const copyUnsafeLinks = policy.unsafeSymlinks === 'copy';
      // Nothing is copied from a missing or unsafe source. What the hosts get
      // is a private snapshot of it (nothing writes there while they copy),
      // hashed while they copy (staging needs the hashes only to finish).
      const { bytes } = await asActivityFailure(() => sourceShape(source, { copyUnsafeLinks }));
      const { info } = Context.current();
      const workflowId = info.workflowExecution?.workflowId ?? info.activityId;
      const snap = await asActivityFailure(() =>
        whileBeating(() =>
          deps.snapshot(source, { copyUnsafeLinks, key: `${workflowId}/${revision}` }),
        ),
      );
      const tree = whileBeating(() => deps.treeChecksum(snap, { copyUnsafeLinks }));
      tree.catch(() => {}); // each host's staging awaits it and reports its failure
      const batch = hosts(named);
      const fanOut = config.staging?.fanOut;
      const plan = planFanOut(batch, fanOut, config.canary.spreadBy, `${workflowId}/${revision}`);
      const seeds =
        plan &&
        seeding(
          t,
          batch,
          plan,
          revision,
          config.canary.spreadBy,
          typeof fanOut === 'object' ? fanOut.bwLimitKiB : undefined,
        );
      const stageOne = async (h: Host, swarm?: SwarmMember) => {
        const r = await stageRelease(t, h, {
          revision,
          source: snap,
          tree,
          sourceBytes: bytes,
          createRoot: policy.createRoot,
          adopt: policy.adopt,
          copyUnsafeLinks,
          cluster: config.cluster,
          ...(swarm ? { swarm } : {}),
        });
        const afterStage = config.hooks.afterStage;
        return {
          previous: r.current,
          // Every host of the deploy must hold this same tree (the workflow compares).
          checksum: (await tree).checksum,
          adoptedLink: r.adoptedLink,
          alreadyStaged: r.alreadyStaged,
          bytesSent: r.bytesSent ?? null,
          ...(r.relay ? { relay: r.relay } : {}),
          ...(afterStage
            ? {
                hooks: [
                  await runHook(t, h, 'afterStage', afterStage, {
                    revision,
                    previous: r.current,
                    env: config.hookEnv,
                  }),
                ],
              }
            : {}),
        };
      };
      if (!seeds) return forEachHost(batch, (h) => stageOne(h), STAGING_AT_ONCE);
      try {
        return await forEachHost(
          seeds.order,
          (h) => seeds.stage(h, (member) => stageOne(h, member)),
          FAN_OUT_AT_ONCE,
        );
      } finally {
        await seeds.stop();
      }
    },

    /**
     * Atomically points current at each host's target revision, all hosts of
     * the batch together (armed, then fired); returns what each pointed at.
     * A host that fails transiently is retried on its own.
     */
    async flipHosts({
      ref,
      targets: named,
      after,
    }: {
      ref: ClusterRef;
      targets: ({ host: Host; revision: string } & FlipOptions)[];
      /** Which hook (the cluster's own, with its health check) each host must pass to count as switched. */
      after?: AfterSwitch;
    }) {
      const { t, hosts, cluster } = onCluster(deps, ref);
      const resolved = hosts(named.map((x) => x.host));
      const targets = named.map((x, i) => ({ ...x, host: resolved[i]! }));
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
          try {
            return { previous, ...(await afterSwitch(t, h, target, previous, after, cluster)) };
          } catch (err) {
            // Going back happened; a release that will not come up healthy is
            // reported, never a reason to count the rollback as not done.
            if (after?.hook !== 'afterRollback' || !isPhasedError(err)) throw err;
            if (err.code !== 'HOOK_FAILED' && err.code !== 'HEALTH_CHECK_FAILED') throw err;
            return { previous, unhealthy: `${err.problem} [${err.code}]` };
          }
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
      ref,
      hosts: named,
      keep,
      protect,
      mark,
    }: HostsInput & {
      keep: number;
      protect: Record<string, (string | null)[]>;
      mark?: { revision: string; as: 'reject' | 'accept'; reason: string };
    }) {
      const { t, hosts, config } = onCluster(deps, ref);
      return forEachHost(hosts(named), async (h): Promise<TidyResult> => {
        const state = await inspectHost(t, h, config.cluster);
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
        const beforePrune = config.hooks.beforePrune;
        let pruneRefused: string | undefined;
        let hookRuns: HookRun[] | undefined;
        if (beforePrune && remove.length > 0 && state.current) {
          try {
            hookRuns = [
              await runHook(t, h, 'beforePrune', beforePrune, {
                revision: state.current,
                removing: remove,
                env: config.hookEnv,
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
