// What the deploy workflow takes and reports: its input, its status while it
// runs, its outcome, and the verdict of each look. The words these are made
// of (phases, outcomes, host states, operator actions) are in
// src/core/vocabulary.ts.
import type { ClusterConfig } from '../src/config/schema.js';
import type {
  HostState,
  LookKind,
  OperatorAction,
  Outcome,
  Phase,
} from '../src/core/vocabulary.js';
import type { JudgeVerdict } from '../src/judge/types.js';

export interface DeployInput {
  cluster: string;
  revision: string;
  /** Release tree on the worker's machine. */
  source: string;
  /**
   * Only in histories recorded before workers held their clusters' files; a
   * deploy started with one now is refused (CALLER_CONFIG_REFUSED).
   */
  config?: ClusterConfig;
  operator: string;
  reason?: string;
  /** When the request was made (ms since epoch): newer requests supersede older ones. */
  requestedAt: number;
}

export interface VerdictRecord {
  phase: LookKind;
  look: number;
  /** An early look of a gate: the soak reading it judged (absent for the deciding look). */
  reading?: number;
  at: number;
  verdict: JudgeVerdict['verdict'];
  reason: string;
  /** One line per metric, with its numbers. */
  metrics: string[];
  /** A watch look short of exposure that waited for the next look instead of asking anyone. */
  waiting?: true;
}

export interface DeployStatus {
  cluster: string;
  revision: string;
  phase: Phase;
  paused: boolean;
  pausedReason: string | null;
  /** Since when the deploy has been paused (ms since epoch); absent when it is not. */
  pausedSince?: number;
  /** Time spent paused earlier in the current phase (its soak or watch timers do not count it). */
  pausedInPhaseMs?: number;
  hostCounts: Partial<Record<HostState, number>>;
  hostsByState: Partial<Record<HostState, string[]>>;
  canaries: string[];
  lastVerdict: VerdictRecord | null;
  verdicts: VerdictRecord[];
  actions: OperatorAction[];
  /** When each phase started (ms since epoch). */
  timings: Partial<Record<Phase, number>>;
  outcome: DeployOutcome | null;
  /** The worker's cluster file the deploy runs with, and its digest (absent in old histories). */
  config?: { file?: string; digest: string; durations: { soak: number; watch: number } };
}

export interface DeployOutcome {
  outcome: Outcome;
  cluster: string;
  revision: string;
  /** One sentence: what happened and why. */
  summary: string;
  /** Hosts switched back, if a rollback ran. */
  rolledBack: string[];
  /** Hosts left on the old release by policy (could not be staged). */
  unavailable: string[];
  /** Hosts that broke during the deploy: "<host> <what the final check found>". */
  broken: string[];
  verdicts: VerdictRecord[];
  actions: OperatorAction[];
  timings: Partial<Record<Phase, number>>;
}
