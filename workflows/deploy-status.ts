// What a deploy shows of itself: the status query's answer and the summary
// line Temporal's UI shows on the workflow's page (current details).
import type { RolloutPlan } from '../src/core/plan.js';
import type { DeployInput, DeployOutcome, DeployStatus, VerdictRecord } from './model.js';
import {
  reportCommand,
  type HostState,
  type OperatorAction,
  type Phase,
} from '../src/core/vocabulary.js';

export interface StatusSource {
  input: Pick<DeployInput, 'cluster' | 'revision'>;
  phase: Phase;
  paused: boolean;
  pausedReason: string | null;
  pausedSince: number | null;
  pausedInPhaseMs: number;
  state: ReadonlyMap<string, HostState>;
  plan: RolloutPlan | null;
  verdicts: VerdictRecord[];
  actions: OperatorAction[];
  timings: Partial<Record<Phase, number>>;
  outcome: DeployOutcome | null;
  config?: DeployStatus['config'];
}

export function deployStatus(s: StatusSource): DeployStatus {
  const hostsByState: Partial<Record<HostState, string[]>> = {};
  for (const [host, state] of s.state) (hostsByState[state] ??= []).push(host);
  const hostCounts = Object.fromEntries(
    Object.entries(hostsByState).map(([state, hs]) => [state, hs.length]),
  ) as Partial<Record<HostState, number>>;
  return {
    cluster: s.input.cluster,
    revision: s.input.revision,
    phase: s.phase,
    paused: s.paused,
    pausedReason: s.pausedReason,
    ...(s.paused && s.pausedSince !== null ? { pausedSince: s.pausedSince } : {}),
    ...(s.pausedInPhaseMs > 0 ? { pausedInPhaseMs: s.pausedInPhaseMs } : {}),
    hostCounts,
    hostsByState,
    canaries: s.plan?.canaries.map((h) => h.name) ?? [],
    lastVerdict: s.verdicts[s.verdicts.length - 1] ?? null,
    verdicts: s.verdicts,
    actions: s.actions,
    timings: s.timings,
    outcome: s.outcome,
    ...(s.config ? { config: s.config } : {}),
  };
}

/** "canary look 1", and for a gate's early look the soak reading that stopped it. */
export const lookLabel = (v: Pick<VerdictRecord, 'phase' | 'look' | 'reading'>): string =>
  `${v.phase} look ${v.look}${v.reading === undefined ? '' : ` (early stop at soak reading ${v.reading})`}`;

/** Each verdict as the Temporal UI shows it under a failed deploy: its look, then one line per metric. */
export const verdictLines = (verdicts: readonly VerdictRecord[]): string[] =>
  verdicts.flatMap((v) => [
    `${lookLabel(v)}: ${v.verdict}: ${v.reason}`,
    ...v.metrics.map((m) => `  ${m}`),
  ]);

/** "**canary** (paused) — 2 switched, 6 staged", the last verdict under it, and how to get the report. */
export function detailsText(status: DeployStatus, workflowId: string): string {
  const parts = Object.entries(status.hostCounts).map(([s, n]) => `${n} ${s}`);
  const last = status.lastVerdict ? `\n\nlast verdict: ${status.lastVerdict.reason}` : '';
  const report = `\n\ncanary report: \`${reportCommand(workflowId)}\``;
  const config = status.config
    ? `\n\nconfiguration: ${status.config.file ?? status.cluster} sha256:${status.config.digest.slice(0, 12)}`
    : '';
  return `**${status.phase}**${status.paused ? ' (paused)' : ''} — ${parts.join(', ')}${last}${config}${report}`;
}
