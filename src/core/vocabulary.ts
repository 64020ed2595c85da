// The words every layer of phased shares: hosts and how they are reached,
// phases and outcomes, host states, operator actions, look kinds, batch
// results and queue requests. A leaf of the import graph (types only, and
// the few constant lists the unions derive from), so workflows, activities
// and the libraries under src/ all import it and it imports none of them.
import type { ErrorCode } from '../errors.js';

/** A host: where it is reached and where its releases live (no secrets). */
export interface Host {
  /** Name shown in verdicts and the UI (validated: letters, digits, . _ -). */
  name: string;
  /** Address the host is reached at (DNS name or IP). */
  address: string;
  /** SSH port, when it differs from the transport's default. */
  port?: number;
  /** Deploy root on the host: releases/ and current live under it. */
  root: string;
  /** Labels canaries are spread over (zone, rack). */
  tags?: Record<string, string>;
}

/** How to reach a cluster's hosts over SSH: paths and names only; keys are loaded by the worker. */
export interface SshSpec {
  kind: 'ssh';
  user?: string;
  port: number;
  /** Private key file; without one, the agent at $SSH_AUTH_SOCK is used. */
  identityFile?: string;
  /** Default: ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  acceptUnknownHostKeys: boolean;
}

/** How activities reach a cluster's hosts. */
export type TransportSpec = { kind: 'local' } | SshSpec;

export const PHASES = [
  'queued',
  'staging',
  'baseline',
  'canary',
  'judging',
  'switching',
  'watching',
  'finishing',
] as const;

/** How a deploy or rollback ended. `done` includes "already live". */
export const OUTCOMES = ['done', 'rolled_back', 'aborted', 'failed', 'superseded'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Where a deploy is: a working phase, or the outcome it ended with. */
export type Phase = (typeof PHASES)[number] | Outcome;

/** An outcome as people read it ("rolled back", and "live" for done). */
export const OUTCOME_WORDS: Record<Outcome, string> = {
  done: 'live',
  rolled_back: 'rolled back',
  aborted: 'aborted',
  failed: 'failed',
  superseded: 'superseded',
};

/** The command that rebuilds a deploy's canary report from its history (quoted by the UI and webhooks). */
export const reportCommand = (workflowId: string) => `phased report ${workflowId}`;

export const isFinal = (p: Phase): p is Outcome => (OUTCOMES as readonly string[]).includes(p);

/**
 * A deploy or rollback that did not succeed ends its workflow failed, with
 * one of these failure types and its outcome as the failure's details, so
 * the Temporal UI lists it as Failed, not as a green Completed. A superseded
 * deploy never ran: it completes, like a done one.
 */
export const OUTCOME_FAILURE_TYPES = {
  rolled_back: 'DEPLOY_ROLLED_BACK',
  aborted: 'DEPLOY_ABORTED',
  failed: 'DEPLOY_FAILED',
} as const satisfies Partial<Record<Outcome, string>>;

export const isOutcomeFailureType = (type: unknown): boolean =>
  Object.values<unknown>(OUTCOME_FAILURE_TYPES).includes(type);

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

/** What a cluster file's access list grants: a deploy, a rollback, or an operator command. */
export const ACCESS_ACTIONS = [
  'deploy',
  'rollback',
  'pause',
  'resume',
  'abort',
  'promote',
] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

/** A deploy's reference to the configuration the worker holds: its cluster and the file's digest. */
export interface ClusterRef {
  cluster: string;
  /** sha256 of the cluster file's bytes, hex. */
  digest: string;
}

export interface OperatorRequest {
  operator: string;
  reason: string;
  /**
   * For promote: `skip` the rest of the running soak or watch (and its
   * verdict), or `proceed` past a pause (an inconclusive verdict, or an
   * operator's pause). Requests from before it have none.
   */
  intent?: PromoteIntent;
}

export type PromoteIntent = 'skip' | 'proceed';

export interface OperatorAction extends OperatorRequest {
  command: OperatorCommand;
  at: number;
  phase: Phase;
  /** What the command did, in words (a promote: what it skipped or answered). */
  effect?: string;
}

/**
 * What a look judges: a gate (the canary's soak, or a wave's) or the watch.
 * Gates share the gate budget of false-rollback risk; watch looks the rest.
 */
export type LookKind = 'canary' | 'wave' | 'watch';
export type GateKind = Exclude<LookKind, 'watch'>;

/** A host a step could not do, with the stable code of why. */
export interface HostFailure {
  host: string;
  code: ErrorCode;
  /** A message that names the host. */
  error: string;
}

/** What a host's `current` is: a link into releases/, or what is wrong with it. */
export type CurrentKind = 'none' | 'release' | 'incomplete' | 'missing' | 'foreign' | 'not_symlink';

/** A host as the end of a deploy finds it (the workflow checks it is live), and what retention removed. */
export interface TidyResult {
  current: string | null;
  currentKind: CurrentKind;
  currentLink: string | null;
  removed: string[];
  /** The beforePrune hook's run, when one ran. */
  hooks?: HookRun[];
  /** Why this host's releases were kept: its beforePrune hook said no. */
  pruneRefused?: string;
}

/** A host step's result over a batch: the hosts that succeeded and those that failed. */
export interface BatchResult<R> {
  ok: { host: string; result: R }[];
  failed: HostFailure[];
}

/** A deploy or rollback asking for its turn in a cluster's queue. */
export interface QueueRequest {
  workflowId: string;
  kind: 'deploy' | 'rollback';
  revision: string;
  requestedAt: number;
}

/** The points of a deploy where a cluster file's commands run on each host. */
export const HOOK_NAMES = ['afterStage', 'afterSwitch', 'afterRollback', 'beforePrune'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** A command a hook runs on the host (in a shell there), with its deadline. */
export interface HookSpec {
  run: string;
  timeoutMs: number;
}

export type Hooks = Partial<Record<HookName, HookSpec>>;

/** What must answer before a switched host counts as switched: an HTTP GET or a command. */
export interface HealthSpec {
  http?: {
    scheme: 'http' | 'https';
    port: number;
    path: string;
    /** Inclusive range of good statuses. */
    status: [number, number];
    /** Text the body must contain. */
    body?: string;
  };
  command?: string;
  /** How long a host has to become healthy. */
  deadlineMs: number;
  /** First wait between attempts (it grows). */
  intervalMs: number;
  /** Each attempt's own deadline. */
  timeoutMs: number;
}

/** How a hook ran on a host: its exit code (null: killed at its timeout) and the last lines it wrote. */
export interface HookRun {
  hook: HookName;
  code: number | null;
  ms: number;
  output: string;
}

/** How a host's health check went. */
export interface HealthRun {
  attempts: number;
  ms: number;
  /** The last attempt's answer ("HTTP 200", "exit 0", or why it failed). */
  last: string;
}

/** What runs on each host after a switch moved its current: the hook, then the health check. */
/** Which of the cluster's hooks runs after a switch (the worker's file says what it runs, and the health check). */
export interface AfterSwitch {
  hook: Extract<HookName, 'afterSwitch' | 'afterRollback'>;
}
