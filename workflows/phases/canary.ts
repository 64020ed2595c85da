// The canary phase: the canary's soak (and each later wave's), read and
// judged at every reading; the look at its end decides.
import { patched } from '@temporalio/workflow';
import { soakEvery, soakReadings } from '../../src/core/plan.js';
import type { GateKind, Host } from '../../src/core/vocabulary.js';
import { onCadence } from '../cadence.js';
import type { DeployContext } from '../deploy-context.js';
import { SEQUENTIAL_LOOKS_PATCH } from '../judging.js';
import { judge, type Judged } from './judging.js';

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
