// The compensating branch: a rollout that threw (a regression, an abort, a
// failed switch, a failed staging) puts every switched host back, in a scope
// no cancellation reaches, and keeps the original reason.
import { CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import { describe, rollbackTargets, stoppedBy } from '../compensation.js';
import type { DeployContext } from '../deploy-context.js';
import { flipBack } from '../fan-out.js';
import type { DeployOutcome } from '../model.js';
import { HOST_CHECKS_PATCH, tidy, type ReleaseMark } from './done.js';

export async function unwind(ctx: DeployContext, err: unknown): Promise<DeployOutcome> {
  // A pause nobody answered is phased's own rollback, not an operator's abort.
  const outcome = ctx.expired && isCancellation(err) ? 'rolled_back' : stoppedBy(err);
  const why = isCancellation(err) ? ctx.abortSummary() : describe(err);
  if (ctx.fleet.switched.length === 0) {
    await tidyAfterUnwind(ctx);
    return ctx.end(outcome === 'rolled_back' ? 'failed' : outcome, `${why}; no host was switched`);
  }
  await CancellationScope.nonCancellable(() => rollBackSwitched(ctx, why));
  await tidyAfterUnwind(ctx, { revision: ctx.revision, as: 'reject', reason: why });
  const failed = ctx.fleet.hostsIn('rollback_failed');
  const unhealthy = ctx.fleet.unhealthyAfterRollback;
  const note =
    (failed.length > 0 ? `; could NOT roll back ${failed.join(', ')}` : '') +
    (unhealthy.length > 0
      ? `; ${unhealthy.length} of them back on their previous release but not healthy there: ${unhealthy.join('; ')}`
      : '');
  return ctx.end(outcome, `${why}; rolled back ${ctx.fleet.rolledBack.length} host(s)${note}`);
}

/**
 * Retention after a deploy that did not go live, and the rejected mark on
 * every host that took the release (rejected releases are never a plain
 * rollback's target). Best effort: a host that cannot be reached now is
 * tidied by the next deploy.
 */
async function tidyAfterUnwind(ctx: DeployContext, mark?: ReleaseMark) {
  if (!ctx.staged || !patched(HOST_CHECKS_PATCH)) return;
  await CancellationScope.nonCancellable(() => tidy(ctx, mark)).catch(() => undefined);
}

/**
 * Unwinds the compensation stack: every switched host back to its previous
 * release (or, for an adopted host, its old link), marking this deploy's
 * release rejected on it in the same step.
 */
async function rollBackSwitched(ctx: DeployContext, why: string) {
  ctx.compensating = true;
  ctx.paused = false;
  const { fleet } = ctx;
  const { targets, nothingToReturnTo } = rollbackTargets(
    fleet.switched,
    fleet.previous,
    fleet.adoptedLinks,
    { revision: ctx.revision, reason: why },
  );
  for (const host of nothingToReturnTo) fleet.state.set(host, 'rollback_failed');
  const back = await flipBack(targets, {
    ref: ctx.ref,
    batchSize: ctx.cfg.batchSize,
    summary: 'roll back',
    attempts: 10,
    after: { hook: 'afterRollback' },
  });
  fleet.rolledBackBatch(back);
}
