// The judge's gates: the canary's soak (and each later wave's), judged at
// every reading, and the watch that keeps judging the switched fleet against
// the held-back controls. A regression throws a Stop, which unwinds the
// deploy; an inconclusive look follows the cluster's policy.
import { patched } from '@temporalio/workflow';
import {
  lookCounts,
  recentWindowReadings,
  soakEvery,
  soakReadings,
  type RolloutPlan,
} from '../../src/core/plan.js';
import type { GateKind, Host } from '../../src/core/vocabulary.js';
import { holdFor, onCadence } from '../cadence.js';
import { Stop } from '../compensation.js';
import type { DeployContext } from '../deploy-context.js';
import {
  runLook,
  SEQUENTIAL_LOOKS_PATCH,
  WATCH_LOOKS_NUMBERED_PATCH,
  type LookAt,
} from '../judging.js';
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
 * Holds the soak (pausable, promotable), sampling as it goes and judging
 * every reading: an early look can only stop the soak on a regression, the
 * look at its end decides.
 */
export async function soakAndJudge(
  ctx: DeployContext,
  judged: Judged,
  kind: GateKind,
  treated: Host[],
  look: number,
) {
  const after: number[] = [];
  const { soak } = ctx.cfg.durations;
  const every = soakEvery(ctx.cfg.durations);
  const readings = soakReadings(ctx.cfg.durations);
  const sequential = patched(SEQUENTIAL_LOOKS_PATCH);
  const switchedNames = new Set(treated.map((h) => h.name));
  const control = () => ctx.fleet.targets().filter((h) => !switchedNames.has(h.name));
  await onCadence(
    ctx.timerControls,
    Array.from({ length: readings }, (_, i) => Math.min((i + 1) * every, soak)),
    () => `${kind} soak ${Math.round(soak / 1000)}s`,
    async (k) => {
      after.push(await ctx.readings.take(kind, ctx.read(ctx.fleet.targets())));
      if (sequential && k > 0 && k < readings && !ctx.promoted)
        await judge(ctx, judged, { kind, look, point: { phase: kind, reading: k } }, after, {
          treated,
          control: control(),
        });
    },
    'before-hold',
  );
  if (ctx.consumePromotion()) return;
  ctx.setPhase('judging');
  await judge(ctx, judged, { kind, look, point: { phase: kind } }, after, {
    treated,
    control: control(),
  });
}

/** Keeps judging the switched fleet against the held-back controls. */
export async function watch(ctx: DeployContext, judged: Judged) {
  await ctx.gate();
  ctx.setPhase('watching');
  const { durations } = ctx.cfg;
  const { watchLooks } = lookCounts(judged.plan, durations);
  if (watchLooks === 0) {
    await holdFor(ctx.timerControls, durations.watch, 'watch (no hosts held back to compare)');
    ctx.consumePromotion();
    return;
  }
  const after: number[] = [];
  const recentReadings = recentWindowReadings(durations);
  // Decided once for the whole watch: a deploy that began its watch before
  // looks were numbered splits it evenly to the end (its budget stays whole).
  const numbered = patched(WATCH_LOOKS_NUMBERED_PATCH);
  await onCadence(
    ctx.timerControls,
    Array.from({ length: watchLooks }, (_, i) => (i + 1) * durations.lookEvery),
    (k) => `watch look ${k}/${watchLooks}`,
    async (k) => {
      after.push(await ctx.readings.take('watch', ctx.read(ctx.fleet.targets())));
      if (k === 0) return;
      const window =
        patched(SEQUENTIAL_LOOKS_PATCH) && after.length > recentReadings + 1
          ? {
              readings: after.slice(-recentReadings - 1),
              label: `last ${durations.soak / 1000}s`,
            }
          : undefined;
      await judge(
        ctx,
        judged,
        {
          kind: 'watch',
          look: k,
          point: { phase: 'watch', window, ...(numbered ? { look: k } : {}) },
          last: k === watchLooks,
        },
        after,
        {
          treated: ctx.fleet.switched,
          control: judged.plan.holdback,
        },
      );
    },
    'after-hold',
  );
  ctx.consumePromotion();
}

/**
 * One look of the judge. A gate's early look (`reading` before its last)
 * only acts on a regression; a watch look also judges its recent window.
 */
async function judge(
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
