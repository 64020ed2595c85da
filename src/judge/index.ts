// The judge: a pure, deterministic pipeline over per-host snapshots.
//   windows (preprocess, host by host) -> per-metric test -> classify metric -> classify look
// It runs inside an activity, so the numerical code can change without
// breaking the replay of running deploys.
import { classifyMetric, metricCellOf } from './classify-metric.js';
import { cellsByHost } from './host-cells.js';
import { classifyOverall } from './classify-overall.js';
import { withTrafficMetrics } from './traffic.js';
import { judgeLimits } from '../core/defaults.js';
import type { DataLimits, JudgeInput, JudgeVerdict, MetricSpec } from './types.js';

export { alphaForLook, isDecidingLook, type AlphaBudget, type LookPoint } from './alpha.js';
export * from './types.js';
export { withTrafficMetrics } from './traffic.js';

export function judge(input: JudgeInput): JudgeVerdict {
  const columns = new Map(input.series.map((name, i) => [name, i]));
  const column = (series: string) => {
    const i = columns.get(series);
    if (i === undefined)
      throw new RangeError(`metric series ${series} is not among the sampled series`);
    return i;
  };
  const limits: DataLimits = judgeLimits(input.limits);
  const metrics = withTrafficMetrics(input.metrics);
  const thresholds = metricThresholds(metrics, input.alpha);
  const extract = metrics.map((m) => metricCellOf(m, column));
  const canaryCells = cellsByHost(extract, input.canary);
  const controlCells = cellsByHost(extract, input.control);
  const verdicts = metrics.map((metric, i) =>
    classifyMetric(metric, {
      column,
      canary: input.canary,
      control: input.control,
      threshold: thresholds[i]!,
      limits,
      requireEnoughData: input.requireEnoughData ?? false,
      cells: { canary: canaryCells[i]!, control: controlCells[i]! },
    }),
  );
  return classifyOverall(verdicts, input.alpha);
}

/**
 * A watch look judges two windows, each with its share of the look's alpha:
 * the one since the full switch decides pass or pause; the recent one (the
 * last soak's worth of readings) can only add a regression, one that started
 * late and is diluted in the growing window. Its lines say which window.
 */
export function judgeWatchLook(
  sinceSwitch: JudgeInput,
  recent?: { input: JudgeInput; label: string },
): JudgeVerdict {
  const whole = judge(sinceSwitch);
  if (!recent) return whole;
  const late = judge(recent.input);
  const alpha = whole.alpha + late.alpha;
  if (whole.verdict === 'regression' || late.verdict !== 'regression') return { ...whole, alpha };
  const label = (line: string) => `${recent.label}: ${line}`;
  return {
    verdict: 'regression',
    reason: label(late.reason),
    metrics: late.metrics.map((m) => ({ ...m, reason: label(m.reason) })),
    alpha,
  };
}

/**
 * Share of a look's alpha for the traffic metrics when there are others: a
 * host that lost half its traffic is an effect so large that a small share
 * finds it (p far below 1e-10), so most of the budget goes where power is
 * scarce (error rates, latency).
 */
export const TRAFFIC_ALPHA_SHARE = 0.1;

/** Each metric's p-value threshold: Bonferroni within the traffic and the other metrics. */
export function metricThresholds(metrics: readonly MetricSpec[], alpha: number): number[] {
  const traffic = metrics.filter((m) => m.kind === 'traffic').length;
  const others = metrics.length - traffic;
  const trafficAlpha = others === 0 ? alpha : traffic === 0 ? 0 : alpha * TRAFFIC_ALPHA_SHARE;
  return metrics.map((m) =>
    m.kind === 'traffic' ? trafficAlpha / traffic : (alpha - trafficAlpha) / others,
  );
}
