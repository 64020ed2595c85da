// Nobody is left waiting unknowingly: every pause of a deploy (an
// inconclusive verdict, or an operator's pause) tells the cluster's webhooks
// why and what to run, and a pause nobody answers within the cluster's
// pauseTimeout ends with phased rolling the deploy back, so a forgotten
// deploy never holds its cluster's queue.
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import { reportCommand } from '../src/core/vocabulary.js';
import type { ClusterInUse } from './cluster-config.js';
import type { DeployContext } from './deploy-context.js';
import { tell } from './notify.js';

/** Deploys recorded before pauses had a deadline replay without it. */
export const PAUSE_DEADLINE_PATCH = 'pause-deadline-and-notice';

const minutes = (ms: number) =>
  ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;

/** Watches the deploy's pauses until it ends (runs beside the rollout, never awaited). */
export async function watchPauses(ctx: DeployContext, cluster: ClusterInUse): Promise<void> {
  if (!patched(PAUSE_DEADLINE_PATCH)) return;
  const ended = () => ctx.compensating || ctx.expired !== null || ctx.finished;
  const limit = ctx.cfg.pauseTimeout;
  for (;;) {
    await condition(() => ctx.paused || ended());
    if (ended()) return;
    const why = ctx.pausedReason ?? 'paused';
    void tell(cluster, pausedText(ctx, why, limit), {
      event: 'paused',
      cluster: ctx.input.cluster,
      revision: ctx.revision,
      workflowId: workflowInfo().workflowId,
      reason: why,
      pauseTimeoutMs: limit,
    });
    const answered = await condition(() => !ctx.paused || ctx.promoted || ended(), limit);
    if (!answered) {
      ctx.expired = `paused for ${minutes(limit)} with nobody answering (${why}); rolled back by phased (pauseTimeout ${minutes(limit)})`;
      ctx.paused = false;
      ctx.scope.cancel();
      return;
    }
  }
}

function pausedText(ctx: DeployContext, why: string, limit: number): string {
  const c = ctx.input.cluster;
  return [
    `phased: ${c} <- ${ctx.revision}: PAUSED, waiting for a person: ${why}`,
    `resume: phased resume ${c} --reason '...'   abort: phased abort ${c} --reason '...'   proceed past it: phased promote ${c} --reason '...'`,
    `nobody answering within ${minutes(limit)} rolls it back (pauseTimeout); report: ${reportCommand(workflowInfo().workflowId)}`,
  ].join('\n');
}
