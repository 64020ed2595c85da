// The deploy vocabulary shared by every layer: phases, outcomes, host states,
// operator actions, and what the workflow reports. Closed string unions with
// small predicates.
import type { JudgeVerdict } from '../src/judge/types.js';
import type { ClusterConfig } from '../src/config/schema.js';

export const PHASES = [
  'queued',
  'staging',
  'baseline',
  'canary',
  'judging',
  'switching',
  'watching',
  'finishing',
  'done',
  'rolled_back',
  'aborted',
  'failed',
  'superseded',
] as const;
export type Phase = (typeof PHASES)[number];

/** How a deploy ended. `done` includes "already live". */
export type Outcome = 'done' | 'rolled_back' | 'aborted' | 'failed' | 'superseded';

export const isFinal = (p: Phase): p is Outcome =>
  p === 'done' || p === 'rolled_back' || p === 'aborted' || p === 'failed' || p === 'superseded';

export type HostState =
  | 'pending'
  | 'staged'
  | 'unavailable' // could not be staged; left on the old release by policy
  | 'switching' // a flip is under way
  | 'switched'
  | 'switch_failed' // the flip failed: it may or may not have switched
  | 'broken' // current was not the new release at the final check
  | 'rolled_back'
  | 'rollback_failed';

export type OperatorCommand = 'pause' | 'resume' | 'abort' | 'promote';

export interface OperatorRequest {
  operator: string;
  reason: string;
}

export interface OperatorAction extends OperatorRequest {
  command: OperatorCommand;
  at: number;
  phase: Phase;
}

/** Where a host is reached and where its releases live (no secrets). */
export interface HostRef {
  name: string;
  address: string;
  port?: number;
  root: string;
  tags: Record<string, string>;
}

export interface DeployInput {
  cluster: string;
  revision: string;
  /** Release tree on the worker's machine. */
  source: string;
  config: ClusterConfig;
  operator: string;
  reason?: string;
  /** When the request was made (ms since epoch): newer requests supersede older ones. */
  requestedAt: number;
}

export interface VerdictRecord {
  phase: 'canary' | 'wave' | 'watch';
  look: number;
  /** An early look of a gate: the soak reading it judged (absent for the deciding look). */
  reading?: number;
  at: number;
  verdict: JudgeVerdict['verdict'];
  reason: string;
  /** One line per metric, with its numbers. */
  metrics: string[];
}

export interface DeployStatus {
  cluster: string;
  revision: string;
  phase: Phase;
  paused: boolean;
  pausedReason: string | null;
  hostCounts: Partial<Record<HostState, number>>;
  hostsByState: Partial<Record<HostState, string[]>>;
  canaries: string[];
  lastVerdict: VerdictRecord | null;
  verdicts: VerdictRecord[];
  actions: OperatorAction[];
  /** When each phase started (ms since epoch). */
  timings: Partial<Record<Phase, number>>;
  outcome: DeployOutcome | null;
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
