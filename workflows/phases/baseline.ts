// The baseline phase: the readings every look compares against, taken while
// the release stages (or read at once from a metrics store's history).
import { CancellationScope, patched } from '@temporalio/workflow';
import { onCadence } from '../cadence.js';
import type { DeployContext } from '../deploy-context.js';

export interface Baseline {
  readings: number[];
  done: Promise<void>;
}

/** Deploys whose probes all query a central Prometheus read their baseline from its history. */
export const HISTORY_BASELINE_PATCH = 'baseline-from-prometheus-history';
/** ...in one sampling activity per batch, with range queries, instead of one per reading. */
export const BASELINE_RANGE_PATCH = 'baseline-by-range-query';

/** Every series comes from a central store that keeps history: the baseline can be read, not waited for. */
const baselineInHistory = (cfg: DeployContext['cfg']) =>
  cfg.metricsSource !== undefined &&
  cfg.probes.length > 0 &&
  cfg.probes.every((p) => p.type === 'promql');

/**
 * Baseline readings run alongside staging: nothing is switched yet. When
 * every series comes from Prometheus, the baseline is read at once from its
 * history, as of the `baseline` duration before now at the same cadence, so
 * the deploy does not wait for it.
 */
export function startBaseline(ctx: DeployContext): Baseline {
  const readings: number[] = [];
  const every = ctx.cfg.durations.lookEvery;
  const rounds = Math.max(1, Math.round(ctx.cfg.durations.baseline / every));
  if (baselineInHistory(ctx.cfg) && patched(HISTORY_BASELINE_PATCH)) {
    const now = Date.now();
    const startMs = now - rounds * every;
    const done = patched(BASELINE_RANGE_PATCH)
      ? (async () => {
          const grid = { startMs, stepMs: every, count: rounds + 1 };
          readings.push(...(await ctx.readings.takeHistory('baseline', ctx.read(ctx.hosts), grid)));
        })()
      : (async () => {
          for (let k = 0; k <= rounds; k++)
            readings.push(
              await ctx.readings.take('baseline', ctx.read(ctx.hosts), startMs + k * every),
            );
        })();
    return { readings, done };
  }
  const scope = new CancellationScope();
  const done = scope.run(() =>
    onCadence(
      ctx.timerControls,
      Array.from({ length: rounds }, (_, i) => (i + 1) * every),
      () => 'baseline reading',
      async () => void readings.push(await ctx.readings.take('baseline', ctx.read(ctx.hosts))),
      'never',
    ),
  );
  return { readings, done };
}

/** Waits for the baseline's last reading; returns the readings the judge compares against. */
export async function finishBaseline(ctx: DeployContext, baseline: Baseline): Promise<number[]> {
  ctx.setPhase('baseline');
  await baseline.done;
  await ctx.gate();
  return baseline.readings;
}
