// The watching phase: the switched fleet judged against the held-back
// controls until the watch ends.
import { patched } from '@temporalio/workflow';
import { lookCounts, recentWindowReadings } from '../../src/core/plan.js';
import { holdFor, onCadence } from '../cadence.js';
import type { DeployContext } from '../deploy-context.js';
import { SEQUENTIAL_LOOKS_PATCH, WATCH_LOOKS_NUMBERED_PATCH } from '../judging.js';
import { judge, type Judged } from './judging.js';

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
