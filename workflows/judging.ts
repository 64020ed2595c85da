// One look of the judge from the workflow's side: which readings and hosts
// it compares, with which share of the false-rollback budget. The judging
// itself runs in an activity (activities/metrics.ts).
import { patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ClusterConfig } from '../src/config/schema.js';
import type { JudgeVerdict } from '../src/judge/types.js';
import type { GateKind, Host, LookKind } from '../src/core/vocabulary.js';
import { lookCounts, type RolloutPlan } from '../src/core/plan.js';
import { JUDGING } from './timeouts.js';

const { judgeLook } = proxyActivities<Activities>(JUDGING);

/** Gates judge every soak reading (early stop); watch looks judge a recent window too. */
export const SEQUENTIAL_LOOKS_PATCH = 'sequential-looks-and-recent-watch-window';

/** Watch looks are numbered, so the last one can keep most of the watch's budget. */
export const WATCH_LOOKS_NUMBERED_PATCH = 'watch-looks-numbered';

/** Where a look is: a gate's soak reading (absent: its deciding look), or a watch look and its recent window. */
export type LookAt =
  | { phase: GateKind; reading?: number }
  | { phase: 'watch'; window?: { readings: number[]; label: string }; look?: number };

export interface LookRequest {
  kind: LookKind;
  look: number;
  point: LookAt;
  /** Reading indices: the baseline, and the window since the switch. */
  before: number[];
  after: number[];
  treated: Host[];
  control: Host[];
}

/** Runs one look and returns the judge's verdict. */
export function runLook(
  cfg: ClusterConfig,
  plan: RolloutPlan,
  series: string[],
  req: LookRequest,
): Promise<JudgeVerdict> {
  const sequential = patched(SEQUENTIAL_LOOKS_PATCH);
  const { canaryLooks, soakLooks, watchLooks } = lookCounts(plan, cfg.durations);
  const { point } = req;
  const reading = point.phase !== 'watch' ? point.reading : undefined;
  return judgeLook.executeWithOptions(
    {
      ...JUDGING,
      summary: `judge ${req.kind} look ${req.look}${reading !== undefined ? ` (reading ${reading}/${soakLooks})` : ''}: ${req.treated.length} vs ${req.control.length} hosts`,
    },
    [
      {
        workflowId: workflowInfo().workflowId,
        series,
        metrics: cfg.metrics,
        plan: {
          alpha: cfg.judge.alpha,
          canaryShare: cfg.judge.canaryShare,
          canaryLooks,
          watchLooks,
          ...(sequential ? { soakLooks, recentWindow: true } : {}),
        },
        phase: point.phase,
        ...(reading !== undefined ? { reading } : {}),
        limits: {
          minCanaryHosts: cfg.judge.minCanaryHosts,
          minControlHosts: cfg.judge.minControlHosts,
          maxMissingFraction: cfg.judge.maxMissingFraction,
        },
        before: req.before,
        after: [...req.after],
        ...(point.phase === 'watch' && point.window ? { recent: point.window } : {}),
        ...(point.phase === 'watch' && point.look !== undefined ? { look: point.look } : {}),
        canary: req.treated.map((h) => h.name),
        control: req.control.map((h) => h.name),
      },
    ],
  );
}
