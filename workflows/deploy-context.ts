// Everything one deploy knows while it runs, shared by its phases (as Argo
// Rollouts shares a rollout context between its reconcilers): the input and
// configuration, where every host stands, the readings and verdicts so far,
// the operator's say, and the bookkeeping that keeps the Temporal UI and the
// status query current. The phases in workflows/phases/ act; this holds.
import {
  CancellationScope,
  condition,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ClusterConfig } from '../src/config/schema.js';
import type { RolloutPlan } from '../src/core/plan.js';
import type { ClusterRef, Host, OperatorAction, Outcome, Phase } from '../src/core/vocabulary.js';
import type { ClusterInUse } from './cluster-config.js';
import type { Controls } from './cadence.js';
import type { ControlState } from './controls.js';
import { deployStatus, detailsText } from './deploy-status.js';
import { FleetState } from './fleet-state.js';
import type { DeployInput, DeployOutcome, DeployStatus, VerdictRecord } from './model.js';
import { Readings } from './readings.js';
import { DeployOutcome as OutcomeKey, DeployPhase } from './search-attributes.js';

export class DeployContext {
  readonly cfg: ClusterConfig;
  /** The worker's cluster file this deploy runs with: every host activity names it. */
  readonly ref: ClusterRef;
  readonly configFile: string | undefined;
  readonly hosts: Host[];
  readonly fleet: FleetState;
  readonly readings: Readings;
  readonly verdicts: VerdictRecord[] = [];
  readonly actions: OperatorAction[] = [];
  readonly timings: Partial<Record<Phase, number>> = {};
  /** The rollout runs in this scope: an abort cancels it, and the unwind begins. */
  readonly scope = new CancellationScope();
  phase: Phase = 'queued';
  /** Set once staging has decided which hosts take part. */
  plan: RolloutPlan | null = null;
  /** Whether staging began: the unwind then tidies the hosts. */
  staged = false;
  /** The hosts readings cover in a fleet larger than judge.maxHostsRead; null: every host. */
  readSet: Set<string> | null = null;

  // The cluster queue's word.
  granted = false;
  superseded: { by: string; reason: string } | null = null;

  // The operator's say (changed by updates between the workflow's awaits).
  paused = false;
  pausedReason: string | null = null;
  /** When the current pause began (for status: how long a deploy has waited). */
  pausedSince: number | null = null;
  /** Paused time earlier in the current phase, for the time left that status shows. */
  pausedInPhaseMs = 0;
  promoted = false;
  abortedBy: OperatorAction | null = null;
  compensating = false;
  /** Why phased itself ended a pause nobody answered (pauseTimeout): the rollout is cancelled. */
  expired: string | null = null;

  private outcome: DeployOutcome | null = null;
  private readonly withSearchAttributes: boolean;

  constructor(
    readonly input: DeployInput,
    cluster: ClusterInUse,
  ) {
    this.cfg = cluster.cfg;
    this.ref = cluster.ref;
    this.configFile = cluster.file;
    this.readings = new Readings(this.cfg, this.ref);
    this.hosts = this.cfg.hosts.map((h) => ({ ...h }));
    this.fleet = new FleetState(this.hosts);
    // Keep current only the attributes the deploy was started with (the
    // time-skipping test server cannot register custom ones).
    this.withSearchAttributes = workflowInfo().typedSearchAttributes.getAll().length > 0;
  }

  get revision(): string {
    return this.input.revision;
  }

  /** Those of `hosts` that readings cover (and the judge compares). */
  read(hosts: Host[]): Host[] {
    const set = this.readSet;
    return set ? hosts.filter((h) => set.has(h.name)) : hosts;
  }

  /** Whether the deploy has its outcome. */
  get finished(): boolean {
    return this.outcome !== null;
  }

  /** The operator's say over time, for the cadence's timers. */
  readonly timerControls: Controls = {
    paused: () => this.paused,
    promoted: () => this.promoted,
  };

  /** Waits while paused (between phases). */
  async gate() {
    if (this.paused) await condition(() => !this.paused);
  }

  /** Whether the operator promoted past the current hold (and clears it). */
  consumePromotion(): boolean {
    const was = this.promoted;
    this.promoted = false;
    return was;
  }

  /** Pauses for a human: resume or promote proceeds, abort rolls back. */
  async askOperator(reason: string) {
    this.paused = true;
    this.pausedReason = reason;
    this.pausedSince = Date.now();
    this.details();
    await condition(() => !this.paused || this.promoted);
    this.consumePromotion();
  }

  controls(): ControlState {
    return {
      phase: this.phase,
      paused: this.paused,
      pausedReason: this.pausedReason,
      promoted: this.promoted,
      compensating: this.compensating,
      aborting: this.abortedBy !== null,
    };
  }

  setPhase(phase: Phase) {
    if (phase !== this.phase) this.pausedInPhaseMs = 0;
    this.phase = phase;
    this.timings[phase] ??= Date.now();
    if (this.withSearchAttributes) upsertSearchAttributes([{ key: DeployPhase, value: phase }]);
    this.details();
  }

  details() {
    setCurrentDetails(detailsText(this.status(), workflowInfo().workflowId));
  }

  abortSummary(): string {
    if (this.expired) return this.expired;
    const a = this.abortedBy;
    return a
      ? `aborted by ${a.operator} during ${a.phase}: ${a.reason}`
      : 'cancelled through Temporal, not phased abort (no operator or reason recorded)';
  }

  end(outcome: Outcome, summary: string): DeployOutcome {
    this.phase = outcome;
    this.timings[outcome] = Date.now();
    if (this.withSearchAttributes)
      upsertSearchAttributes([
        { key: DeployPhase, value: outcome },
        { key: OutcomeKey, value: outcome },
      ]);
    this.outcome = {
      outcome,
      cluster: this.input.cluster,
      revision: this.input.revision,
      summary,
      rolledBack: this.fleet.rolledBack,
      unavailable: this.fleet.hostsIn('unavailable'),
      broken: [...this.fleet.broken],
      verdicts: this.verdicts,
      actions: this.actions,
      timings: this.timings,
    };
    this.details();
    return this.outcome;
  }

  status(): DeployStatus {
    return deployStatus({
      input: this.input,
      phase: this.phase,
      paused: this.paused,
      pausedReason: this.pausedReason,
      pausedSince: this.pausedSince,
      pausedInPhaseMs: this.pausedInPhaseMs,
      state: this.fleet.state,
      plan: this.plan,
      verdicts: this.verdicts,
      actions: this.actions,
      timings: this.timings,
      outcome: this.outcome,
      ...(this.ref.digest
        ? {
            config: {
              file: this.configFile,
              digest: this.ref.digest,
              durations: { soak: this.cfg.durations.soak, watch: this.cfg.durations.watch },
            },
          }
        : {}),
    });
  }
}
