// One deploy, as the runbook reads: wait for the cluster, stage every host,
// take a baseline, switch the canaries, soak and judge, switch the rest in
// waves, watch, finish. Every switched host is pushed on a compensation
// stack; a regression, an abort or a failed switch unwinds it in a
// non-cancellable scope, and the original reason is kept.
//
// Each phase is a small function over the deploy's context
// (deploy-context.ts) in workflows/phases/; the queries and operator updates
// are in deploy-handlers.ts.
import { CancellationScope, condition, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { OUTCOME_WORDS, reportCommand } from '../src/core/vocabulary.js';
import { leaveClusterQueue } from './cluster-queue.js';
import { clusterConfig, type ClusterInUse } from './cluster-config.js';
import { DeployContext } from './deploy-context.js';
import { registerHandlers } from './deploy-handlers.js';
import type { DeployInput, DeployOutcome } from './model.js';
import { finishBaseline, startBaseline } from './phases/baseline.js';
import { soakAndJudge } from './phases/canary.js';
import { finish } from './phases/done.js';
import type { Judged } from './phases/judging.js';
import { alreadyLive, chooseReadSet, stage } from './phases/staging.js';
import { switchCanaries, switchWaves } from './phases/switching.js';
import { unwind } from './phases/unwind.js';
import { watch } from './phases/watching.js';
import { verdictLines } from './deploy-status.js';
import { tell } from './notify.js';
import { watchPauses } from './pauses.js';
import { endWith } from './outcome.js';
import { QUICK } from './timeouts.js';

export {
  abortSignal,
  abortUpdate,
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  snapshotsQuery,
  statusQuery,
} from './deploy-handlers.js';
export { TIMERS_HOLD_PATCH } from './cadence.js';
export { SEQUENTIAL_LOOKS_PATCH, WATCH_LOOKS_NUMBERED_PATCH } from './judging.js';
export { HOST_CHECKS_PATCH } from './phases/done.js';
export { READ_SET_PATCH } from './phases/staging.js';

const { joinClusterQueue } = proxyActivities<Activities>(QUICK);

export async function deploy(input: DeployInput): Promise<DeployOutcome> {
  const cluster = await clusterConfig(input, 'deploy');
  const outcome = await run(input, cluster);
  if (outcome.outcome !== 'superseded') await tellOutcome(input, cluster, outcome);
  return endWith(outcome, `${input.cluster} <- ${input.revision}`, [
    ...verdictLines(outcome.verdicts),
    `canary report: ${reportCommand(workflowInfo().workflowId)}`,
  ]);
}

async function run(input: DeployInput, cluster: ClusterInUse): Promise<DeployOutcome> {
  const ctx = new DeployContext(input, cluster);
  registerHandlers(ctx);
  ctx.setPhase('queued');
  // Beside the rollout, outside its scope: an abort or a cancellation ends it through the unwind.
  void CancellationScope.nonCancellable(() => watchPauses(ctx, cluster));
  await waitForTurn(ctx);
  if (ctx.superseded) return ctx.end('superseded', `superseded: ${ctx.superseded.reason}`);
  if (ctx.expired) return ctx.end('failed', `${ctx.expired}; no host was switched`);
  if (ctx.abortedBy) return ctx.end('aborted', ctx.abortSummary());
  // Not awaited: a slow receiver must not hold up the rollout.
  void tell(
    cluster,
    `phased: deploying ${input.revision} to ${input.cluster} (${input.operator}${input.reason ? `: ${input.reason}` : ''})`,
    { event: 'start', ...about(input) },
  );
  try {
    const summary = await ctx.scope.run(() => rollout(ctx));
    return ctx.end('done', summary);
  } catch (err) {
    return await unwind(ctx, err);
  } finally {
    await CancellationScope.nonCancellable(() => leaveClusterQueue(input.cluster));
  }
}

const about = (input: DeployInput) => ({
  cluster: input.cluster,
  revision: input.revision,
  operator: input.operator,
  workflowId: workflowInfo().workflowId,
});

async function tellOutcome(input: DeployInput, cluster: ClusterInUse, o: DeployOutcome) {
  // Shouted when something went wrong: a chat channel is skimmed.
  const word = o.outcome === 'done' ? 'live' : OUTCOME_WORDS[o.outcome].toUpperCase();
  const lines = [
    `phased: ${input.cluster} <- ${input.revision}: ${word}: ${o.summary}`,
    ...verdictLines(o.verdicts),
    `(report: ${reportCommand(workflowInfo().workflowId)}; phased history ${input.cluster})`,
  ];
  await tell(cluster, lines.join('\n'), {
    event: 'outcome',
    ...about(input),
    outcome: o.outcome,
    summary: o.summary,
    verdicts: o.verdicts,
    report: reportCommand(workflowInfo().workflowId),
  });
}

/** The runbook. Any step that throws stops the rollout, and the unwind begins. */
async function rollout(ctx: DeployContext): Promise<string> {
  if (await alreadyLive(ctx)) return `${ctx.revision} is already live on every host`;
  chooseReadSet(ctx);
  const baseline = startBaseline(ctx);
  let plan;
  try {
    plan = await stage(ctx);
  } catch (err) {
    // Readings still in flight are simply dropped with the deploy.
    baseline.done.catch(() => undefined);
    throw err;
  }
  const judged: Judged = { plan, baseline: await finishBaseline(ctx, baseline) };
  await switchCanaries(ctx, judged);
  await soakAndJudge(ctx, judged, 'canary', plan.canaries, 1);
  await switchWaves(ctx, judged);
  await watch(ctx, judged);
  await finish(ctx, judged);
  const { fleet } = ctx;
  const broken = fleet.broken.length
    ? `; broken during the deploy: ${fleet.broken.join('; ')}`
    : '';
  return `${ctx.revision} is live on ${fleet.switched.length - fleet.broken.length} hosts${broken}`;
}

/** Joins the cluster's queue and waits for the lock (or to be superseded, or aborted). */
async function waitForTurn(ctx: DeployContext) {
  await joinClusterQueue({
    cluster: ctx.input.cluster,
    request: {
      workflowId: workflowInfo().workflowId,
      kind: 'deploy',
      revision: ctx.revision,
      requestedAt: ctx.input.requestedAt,
    },
  });
  await condition(
    () => ctx.granted || ctx.superseded !== null || ctx.abortedBy !== null || ctx.expired !== null,
  );
}
