// The staging phase, before anything switches: is there anything to do, and
// copy the release to every host (the baseline is read alongside: baseline.ts).
import { patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { planRollout, readSet, type RolloutPlan } from '../../src/core/plan.js';
import { DEFAULTS } from '../../src/core/defaults.js';
import type { Host } from '../../src/core/vocabulary.js';
import { Stop } from '../compensation.js';
import type { DeployContext } from '../deploy-context.js';
import { overBatches } from '../fan-out.js';
import { HOST_STEP, STAGING } from '../timeouts.js';

const { stageHosts, inspectHosts } = proxyActivities<Activities>(HOST_STEP);

/** True when every host already runs the revision: nothing to do. */
export async function alreadyLive(ctx: DeployContext): Promise<boolean> {
  const results = await overBatches(ctx.hosts, ctx.cfg.batchSize, (b) =>
    inspectHosts.executeWithOptions({ ...HOST_STEP, summary: `inspect ${b.length} hosts` }, [
      { ref: ctx.ref, hosts: b },
    ]),
  );
  const ok = results.flatMap(({ result }) => result.ok);
  return ok.length === ctx.hosts.length && ok.every((r) => r.result.current === ctx.revision);
}

/**
 * Copies the release to every host; fails the deploy before any flip if too
 * many cannot take it. The hosts that took it are planned into canaries,
 * waves and holdback.
 */
export async function stage(ctx: DeployContext): Promise<RolloutPlan> {
  ctx.setPhase('staging');
  ctx.staged = true;
  const { cfg } = ctx;
  const results = await overBatches(ctx.hosts, cfg.batchSize, (b) =>
    stageHosts.executeWithOptions(
      { ...STAGING, summary: `stage ${ctx.revision} on ${b.length} hosts` },
      [
        {
          ref: ctx.ref,
          hosts: b,
          revision: ctx.revision,
          source: ctx.input.source,
        },
      ],
    ),
  );
  assertOneTree(results.flatMap(({ result }) => result.ok));
  const failed = results.flatMap(({ result }) => ctx.fleet.staged(result));
  if (failed.length > cfg.maxUnavailable) {
    throw new Stop(
      'failed',
      `staging failed on ${failed.length} host(s), more than maxUnavailable=${cfg.maxUnavailable}: ${failed.map((f) => `${f.error} [${f.code}]`).join('; ')}`,
    );
  }
  ctx.plan = planFor(ctx, ctx.fleet.targets());
  chooseReadSet(ctx, () => ctx.plan!);
  return ctx.plan;
}

/** The deploy's plan over `hosts`: canaries, waves and holdback as the cluster file says. */
function planFor(ctx: DeployContext, hosts: Host[]): RolloutPlan {
  const { cfg } = ctx;
  return planRollout({
    hosts,
    canarySize: cfg.canary.size,
    spreadBy: cfg.canary.spreadBy,
    waves: cfg.waves,
    holdbackSize: cfg.holdback,
    seed: workflowInfo().workflowId,
  });
}

/** Fleets larger than judge.maxHostsRead are read through a spread sample; recorded deploys read every host. */
export const READ_SET_PATCH = 'read-set-for-large-fleets';

/**
 * Chooses the hosts readings cover (readSet in src/core/plan.ts). Before
 * staging, the plan over every host stands in: it is the plan staging
 * makes unless a host cannot take the release.
 */
export function chooseReadSet(
  ctx: DeployContext,
  plan: () => RolloutPlan = () => planFor(ctx, ctx.hosts),
) {
  const max = ctx.cfg.judge.maxHostsRead ?? DEFAULTS.judge.maxHostsRead;
  if (ctx.hosts.length <= max || !patched(READ_SET_PATCH)) return;
  const read = readSet(plan(), max);
  ctx.readSet = read && new Set(read.map((h) => h.name));
}

/**
 * Every host must hold the same tree: batches staged by different workers
 * (or a retry after the source changed) could otherwise go live as different
 * builds under one revision. (Histories from before checksums were reported
 * carry none.)
 */
function assertOneTree(staged: { host: string; result: { checksum?: string } }[]) {
  const trees = new Map<string, string[]>();
  for (const { host, result } of staged)
    if (result.checksum) trees.set(result.checksum, [...(trees.get(result.checksum) ?? []), host]);
  if (trees.size <= 1) return;
  const which = [...trees].map(
    ([sum, hosts]) => `${sum.slice(0, 12)} on ${hosts.length} (${hosts.slice(0, 3).join(', ')})`,
  );
  throw new Stop(
    'failed',
    `the release source changed during staging: the hosts hold ${trees.size} different trees (${which.join('; ')}) [SOURCE_CHANGED]; deploy a finished build from a directory nothing writes to`,
  );
}
