// Manual rollback: switch a cluster back to the release before the live one
// (or a named retained release) on every host. It takes its turn in the
// cluster's queue ahead of waiting deploys, flips with the same atomic
// activity, and if a flip fails it puts every host back where it was.
import {
  CancellationScope,
  condition,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ClusterConfig } from '../src/config/schema.js';
import { clusterConfig } from './cluster-config.js';
import { grantedSignal, leaveClusterQueue, supersededSignal } from './cluster-queue.js';
import type { Host, Outcome } from '../src/core/vocabulary.js';
import { flipBack, overHostBatches } from './fan-out.js';
import { DeployOutcome as OutcomeKey, DeployPhase, DeployRevision } from './search-attributes.js';
import { endWith } from './outcome.js';
import {
  mixedFleet,
  planPlainRollback,
  type RollbackPlanResult,
} from '../src/core/rollback-plan.js';
import { HOST_STEP, QUICK } from './timeouts.js';

const { inspectHosts } = proxyActivities<Activities>(HOST_STEP);

/** Plain rollbacks recorded before one release for the fleet replay per host (and all-or-nothing). */
const ONE_RELEASE_PATCH = 'rollback-one-release-for-the-fleet';

/** Rollbacks recorded before the revision attribute named their targets replay without it. */
const ROLLBACK_TARGETS_PATCH = 'rollback-revision-attribute';
const { joinClusterQueue } = proxyActivities<Activities>(QUICK);

export interface RollbackInput {
  cluster: string;
  /** Only in histories recorded before workers held their clusters' files. */
  config?: ClusterConfig;
  /** A retained revision to return to; default: each host's previous release. */
  to?: string;
  operator: string;
  reason: string;
  requestedAt: number;
}

export interface RollbackOutcome {
  outcome: Outcome;
  cluster: string;
  summary: string;
  /** host -> the release it left and the one it was switched to. */
  switched: Record<string, { from: string | null; to: string }>;
}

export async function rollback(input: RollbackInput): Promise<RollbackOutcome> {
  return endWith(await run(input), `${input.cluster} rollback`);
}

async function run(input: RollbackInput): Promise<RollbackOutcome> {
  const { cfg, ref } = await clusterConfig(input, 'rollback');
  const hosts: Host[] = cfg.hosts.map((h) => ({ ...h }));
  const withSearchAttributes = workflowInfo().typedSearchAttributes.getAll().length > 0;
  const end = (
    outcome: Outcome,
    summary: string,
    switched: Record<string, { from: string | null; to: string }> = {},
  ): RollbackOutcome => {
    // The history lists where the fleet went, not "(previous)".
    const targets = [...new Set(Object.values(switched).map((m) => m.to))];
    if (withSearchAttributes)
      upsertSearchAttributes([
        { key: DeployPhase, value: outcome },
        { key: OutcomeKey, value: outcome },
        ...(targets.length > 0 && patched(ROLLBACK_TARGETS_PATCH)
          ? [{ key: DeployRevision, value: targets.join(',') }]
          : []),
      ]);
    return { outcome, cluster: input.cluster, summary, switched };
  };

  let granted = false;
  setHandler(grantedSignal, () => void (granted = true));
  setHandler(supersededSignal, () => undefined); // rollbacks are never superseded
  await joinClusterQueue({
    cluster: input.cluster,
    request: {
      workflowId: workflowInfo().workflowId,
      kind: 'rollback',
      revision: input.to ?? '(previous)',
      requestedAt: input.requestedAt,
    },
  });
  await condition(() => granted);
  try {
    // Where each host goes: the named release, or the one live before current
    // that no judge or operator rejected (from the host's switch log).
    const inspection = await overHostBatches(hosts, cfg.batchSize, (b) =>
      inspectHosts.executeWithOptions({ ...HOST_STEP, summary: `inspect ${b.length} hosts` }, [
        { ref, hosts: b },
      ]),
    );
    // A host that cannot be inspected cannot be rolled back safely: switch none.
    const unreachable = inspection.failed;
    if (unreachable.length > 0)
      return end(
        'failed',
        `no host was switched: cannot inspect ${unreachable.map((f) => `${f.error} [${f.code}]`).join('; ')}`,
      );
    const inspected = inspection.ok;
    const plan: { host: Host; revision: string; from: string | null }[] = [];
    const missing: string[] = [];
    // A plain rollback takes the fleet to one release; hosts that cannot go
    // there are named and left, never holding up the rest.
    const oneRelease =
      input.to === undefined && patched(ONE_RELEASE_PATCH)
        ? planPlainRollback(inspected.map(({ host, result }) => ({ host, ...result })))
        : undefined;
    if (oneRelease) {
      for (const m of oneRelease.moves)
        plan.push({ host: hosts.find((h) => h.name === m.host)!, revision: m.to, from: m.from });
      if (oneRelease.target === null || plan.length === 0)
        return end(
          'failed',
          `no host was switched: no rollback target on ${oneRelease.skipped.map((s) => `${s.host} (${s.why})`).join(', ') || 'any host'}`,
        );
    }
    for (const { host, result } of oneRelease ? [] : inspected) {
      const target = input.to ?? ('revision' in result.rollback ? result.rollback.revision : null);
      if (!target || !result.releases.includes(target))
        missing.push(
          `${host} (${input.to ? `${input.to} is not retained` : 'none' in result.rollback ? result.rollback.none : 'no target'})`,
        );
      else
        plan.push({
          host: hosts.find((h) => h.name === host)!,
          revision: target,
          from: result.current,
        });
    }
    if (missing.length > 0)
      return end('failed', `no host was switched: no rollback target on ${missing.join(', ')}`);

    const why = `rolled back by ${input.operator}: ${input.reason}`;
    const switched: Record<string, { from: string | null; to: string }> = {};
    const failures: string[] = [];
    const flipped = await flipBack(
      plan.map(({ host, revision, from }) => ({
        host,
        revision,
        // The release left behind is rejected: a later plain rollback skips it.
        reject: from && from !== revision ? { revision: from, reason: why } : undefined,
        // A release named with --to is the operator's choice: clear any old rejection.
        accept: input.to !== undefined,
      })),
      {
        ref,
        batchSize: cfg.batchSize,
        summary: 'roll back',
        after: { hook: 'afterRollback' },
      },
    );
    for (const { host } of flipped.ok) {
      const p = plan.find((x) => x.host.name === host)!;
      switched[host] = { from: p.from, to: p.revision };
    }
    failures.push(...flipped.failed.map((f) => f.error));
    if (failures.length === 0)
      return end(
        'done',
        `rolled back ${Object.keys(switched).length} hosts (${describeMoves(switched)}) by ${input.operator}: ${input.reason}${oneRelease ? leftBehind(oneRelease) : ''}`,
        switched,
      );

    // Half a rollback is worse than none: put the switched hosts back.
    const undo = plan
      .filter((p) => switched[p.host.name] && p.from)
      .map((p) => ({ host: p.host, revision: p.from!, accept: true }));
    await CancellationScope.nonCancellable(() =>
      flipBack(undo, {
        ref,
        batchSize: cfg.batchSize,
        summary: 'undo rollback on',
        after: { hook: 'afterSwitch' },
      }),
    );
    return end(
      'rolled_back',
      `rollback failed on ${failures.join('; ')}; the ${undo.length} switched hosts were put back`,
    );
  } finally {
    await CancellationScope.nonCancellable(() => leaveClusterQueue(input.cluster));
  }
}

/**
 * What a plain rollback that could not take every host along says: which
 * hosts went with the fleet against their own history, which were left and
 * why, and what the fleet is on now, with the fix.
 */
function leftBehind(p: RollbackPlanResult): string {
  const parts: string[] = [];
  const unified = p.moves.filter((m) => m.ownTarget !== undefined);
  if (unified.length > 0)
    parts.push(
      `; ${unified.map((m) => `${m.host} (its own previous release: ${m.ownTarget ?? 'none'})`).join(', ')} went to ${p.target} with the fleet`,
    );
  const mixed = mixedFleet(p);
  if (mixed)
    parts.push(
      `; NOT rolled back: ${p.skipped.map((s) => `${s.host} (${s.why}), left on ${s.on ?? 'no release'}`).join('; ')}: ${mixed}; to bring them along, deploy ${p.target} again (phased deploy stages it on every host) or take them out of the cluster file`,
    );
  return parts.join('');
}

/** "8 from v3 to v2, 1 from v4 to v2". */
function describeMoves(switched: Record<string, { from: string | null; to: string }>): string {
  const counts = new Map<string, number>();
  for (const { from, to } of Object.values(switched)) {
    const key = `from ${from ?? '(none)'} to ${to}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([move, n]) => `${n} ${move}`).join(', ');
}
