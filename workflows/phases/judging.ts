// Judging: one look of the judge during a soak or the watch, and what its
// verdict does. A regression throws a Stop, which unwinds the deploy; an
// inconclusive look follows the cluster's policy; a watch look short only of
// exposure waits for the next.
import { patched } from '@temporalio/workflow';
import type { RolloutPlan } from '../../src/core/plan.js';
import type { Host } from '../../src/core/vocabulary.js';
import { Stop } from '../compensation.js';
import type { DeployContext } from '../deploy-context.js';
import { runLook, type LookAt } from '../judging.js';
import type { VerdictRecord } from '../model.js';
import { noticeOfInconclusive } from '../pauses.js';

/** A watch look short of exposure waits for the next look; recorded deploys asked at once. */
export const WATCH_WAITS_FOR_EXPOSURE_PATCH = 'watch-waits-for-exposure';

/** What every look of one deploy compares against: its plan and its baseline readings. */
export interface Judged {
  plan: RolloutPlan;
  baseline: number[];
}

/**
 * One look of the judge. A gate's early look (`reading` before its last)
 * only acts on a regression; a watch look also judges its recent window.
 */
export async function judge(
  ctx: DeployContext,
  judged: Judged,
  at: { kind: VerdictRecord['phase']; look: number; point: LookAt; last?: boolean },
  after: number[],
  groups: { treated: Host[]; control: Host[] },
) {
  const { kind, look, point } = at;
  const verdict = await runLook(ctx.cfg, judged.plan, ctx.readings.series, {
    kind,
    look,
    point,
    before: judged.baseline,
    after,
    // A large fleet is judged on the hosts it reads.
    treated: ctx.read(groups.treated),
    control: ctx.read(groups.control),
  });
  const reading = point.phase !== 'watch' ? point.reading : undefined;
  const early = reading !== undefined;
  // An early look that does not find a regression leaves the soak running.
  if (early && verdict.verdict !== 'regression') return;
  // A watch look before the last that only lacks exposure waits for the
  // next look: the watch's window keeps growing, and traffic, not a person,
  // is what it needs. The last look decides as the cluster's policy says.
  const waiting =
    kind === 'watch' &&
    at.last === false &&
    verdict.verdict === 'inconclusive' &&
    verdict.waitsForExposure === true &&
    patched(WATCH_WAITS_FOR_EXPOSURE_PATCH);
  const record: VerdictRecord = {
    phase: kind,
    look,
    ...(early ? { reading } : {}),
    at: Date.now(),
    verdict: verdict.verdict,
    reason: waiting
      ? `waiting for exposure until the next look: ${verdict.reason}`
      : verdict.reason,
    metrics: verdict.metrics.map((m) => m.reason),
    ...(waiting ? { waiting: true as const } : {}),
  };
  ctx.verdicts.push(record);
  if (waiting) return noticeOfInconclusive(ctx, record, 'waiting for the next look');
  if (verdict.verdict === 'regression')
    throw new Stop(
      'rolled_back',
      `${kind} regression: ${verdict.reason} (${record.metrics.join('; ')})`,
    );
  if (verdict.verdict === 'inconclusive') await onInconclusive(ctx, record);
}

async function onInconclusive(ctx: DeployContext, record: VerdictRecord) {
  const policy = ctx.cfg.onInconclusive;
  if (policy === 'rollback')
    throw new Stop('rolled_back', `inconclusive verdict, policy rollback: ${record.reason}`);
  if (policy === 'proceed')
    return noticeOfInconclusive(ctx, record, 'proceeding (onInconclusive: proceed)');
  await ctx.askOperator(`inconclusive ${record.phase} verdict: ${record.reason}`);
}
