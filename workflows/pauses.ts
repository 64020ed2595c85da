// Nobody is left waiting unknowingly: every pause of a deploy (an
// inconclusive verdict, or an operator's pause) tells the cluster's webhooks
// why and what to run, and a pause nobody answers within the cluster's
// pauseTimeout ends with phased rolling the deploy back, so a forgotten
// deploy never holds its cluster's queue.
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import { reportCommand } from '../src/core/vocabulary.js';
import type { ClusterInUse } from './cluster-config.js';
import type { DeployContext } from './deploy-context.js';
import type { VerdictRecord } from './model.js';
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
    // A pause for an inconclusive look carries that look's numbers.
    const look = why.startsWith('inconclusive') ? ctx.verdicts.at(-1) : undefined;
    void tell(cluster, pausedText(ctx, why, limit, look?.metrics ?? []), {
      event: 'paused',
      cluster: ctx.input.cluster,
      revision: ctx.revision,
      workflowId: workflowInfo().workflowId,
      reason: why,
      ...(look ? { metrics: look.metrics } : {}),
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

function pausedText(ctx: DeployContext, why: string, limit: number, numbers: string[]): string {
  const c = ctx.input.cluster;
  return [
    `phased: ${c} <- ${ctx.revision}: PAUSED, waiting for a person: ${why}`,
    ...numbers.map((m) => `  ${m}`),
    `resume: phased resume ${c} --reason '...'   abort: phased abort ${c} --reason '...'   proceed past it: phased promote ${c} --proceed --reason '...'`,
    `nobody answering within ${minutes(limit)} rolls it back (pauseTimeout); report: ${reportCommand(workflowInfo().workflowId)}`,
  ].join('\n');
}

/**
 * Tells the webhooks of an inconclusive look that did not pause the deploy
 * (one that waits for exposure, or a cluster that proceeds): its reason and
 * each metric's numbers. A look that pauses is told by watchPauses.
 */
export function noticeOfInconclusive(
  ctx: DeployContext,
  record: VerdictRecord,
  action: string,
): void {
  if (!patched(PAUSE_DEADLINE_PATCH)) return;
  const c = ctx.input.cluster;
  const text = [
    `phased: ${c} <- ${ctx.revision}: ${record.phase} look ${record.look} inconclusive, ${action}: ${record.reason}`,
    ...record.metrics.map((m) => `  ${m}`),
    `abort: phased abort ${c} --reason '...'   report: ${reportCommand(workflowInfo().workflowId)}`,
  ].join('\n');
  void tell({ cfg: ctx.cfg, ref: ctx.ref, file: ctx.configFile }, text, {
    event: 'inconclusive',
    cluster: c,
    revision: ctx.revision,
    workflowId: workflowInfo().workflowId,
    phase: record.phase,
    look: record.look,
    action,
    reason: record.reason,
    metrics: record.metrics,
  });
}
