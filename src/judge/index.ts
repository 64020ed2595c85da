// The judge: a pure, deterministic pipeline over per-host snapshots.
//   windows (preprocess) -> per-metric test -> classify metric -> classify look
// It runs inside an activity, so the numerical code can change without
// breaking the replay of running deploys.
import { classifyMetric } from './classify-metric.js';
import { classifyOverall } from './classify-overall.js';
import { DEFAULT_LIMITS, type JudgeInput, type JudgeVerdict } from './types.js';

export { alphaForLook, type LookPlan, type LookPhase } from './alpha.js';
export * from './types.js';

export function judge(input: JudgeInput): JudgeVerdict {
  const columns = new Map(input.series.map((name, i) => [name, i]));
  const column = (series: string) => {
    const i = columns.get(series);
    if (i === undefined)
      throw new RangeError(`metric series ${series} is not among the sampled series`);
    return i;
  };
  const limits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(input.limits ?? {}))
    if (v !== undefined) limits[k as keyof typeof limits] = v;
  // Bonferroni across the look's metrics.
  const threshold = input.metrics.length === 0 ? 0 : input.alpha / input.metrics.length;
  const verdicts = input.metrics.map((metric) =>
    classifyMetric(metric, {
      column,
      canary: input.canary,
      control: input.control,
      threshold,
      limits,
    }),
  );
  return classifyOverall(verdicts, input.alpha);
}
