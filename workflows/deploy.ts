// One deploy, as the runbook reads: wait for the cluster, stage every host,
// take a baseline, switch the canaries, soak and judge, switch the rest in
// waves, watch, finish. Every switched host is pushed on a compensation
// stack; a regression, an abort or a failed switch unwinds it in a
// non-cancellable scope, and the original reason is kept.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Snapshot } from '../src/judge/types.js';
import { grantedSignal, leaveClusterQueue, supersededSignal } from './cluster-queue.js';
import {
  type DeployInput,
  type DeployOutcome,
  type DeployStatus,
  type VerdictRecord,
} from './model.js';
import {
  type GateKind,
  type TidyResult,
  type TransportSpec,
  type Host,
  type OperatorAction,
  type OperatorCommand,
  type OperatorRequest,
  type Outcome,
  type Phase,
} from '../src/core/vocabulary.js';
import {
  lookCounts,
  planRollout,
  recentWindowReadings,
  soakEvery,
  soakReadings,
  transportSpec,
  type RolloutPlan,
} from '../src/core/plan.js';
import { DeployOutcome as OutcomeKey, DeployPhase } from './search-attributes.js';
import { applyCommand, refusal, type ControlState } from './controls.js';
import { describe, rollbackTargets, Stop, stoppedBy, whyBroken } from './compensation.js';
import { flipBack, overBatches } from './fan-out.js';
import { FleetState } from './fleet-state.js';
import { holdFor, onCadence, type Controls } from './cadence.js';
import { deployStatus, detailsText } from './deploy-status.js';
import { runLook, SEQUENTIAL_LOOKS_PATCH, type LookAt } from './judging.js';
import { Readings } from './readings.js';
import { HOST_STEP, QUICK, STAGING } from './timeouts.js';

const { stageHosts, flipHosts, inspectHosts, pruneHosts } = proxyActivities<Activities>(HOST_STEP);

/**
 * Deploys started before hosts were checked at the finish and tidied after
 * every outcome replay without those steps (Temporal patching).
 */
export const HOST_CHECKS_PATCH = 'host-checks-and-tidy-after-every-outcome';
export { TIMERS_HOLD_PATCH } from './cadence.js';
export { SEQUENTIAL_LOOKS_PATCH } from './judging.js';
const { joinClusterQueue } = proxyActivities<Activities>(QUICK);

export const statusQuery = defineQuery<DeployStatus>('status');
/** The cluster's hosts by name: sampling activities look them up once per deploy. */
export const hostsQuery = defineQuery<Host[]>('hosts');
export const snapshotsQuery = defineQuery<
  Record<string, (Snapshot | null)[]>,
  [{ readings: number[]; hosts: string[] }]
>('snapshots');
export const pauseUpdate = defineUpdate<DeployStatus, [OperatorRequest]>('pause');
export const resumeUpdate = defineUpdate<DeployStatus, [OperatorRequest]>('resume');
export const abortUpdate = defineUpdate<DeployStatus, [OperatorRequest]>('abort');
export const promoteUpdate = defineUpdate<DeployStatus, [OperatorRequest]>('promote');
/** Fire-and-forget abort for callers that cannot wait (same checks as the update). */
export const abortSignal = defineSignal<[OperatorRequest]>('abort-signal');

export async function deploy(input: DeployInput): Promise<DeployOutcome> {
  return new DeployRun(input).run();
}

class DeployRun {
  private readonly cfg;
  private readonly transport: TransportSpec;
  private readonly hosts: Host[];
  private phase: Phase = 'queued';
  private paused = false;
  private pausedReason: string | null = null;
  private promoted = false;
  private abortedBy: OperatorAction | null = null;
  private compensating = false;
  private granted = false;
  private superseded: { by: string; reason: string } | null = null;
  private readonly fleet: FleetState;
  private staged = false;
  private readonly readings: Readings;
  private readonly verdicts: VerdictRecord[] = [];
  private readonly actions: OperatorAction[] = [];
  private readonly timings: Partial<Record<Phase, number>> = {};
  private plan: RolloutPlan | null = null;
  private outcome: DeployOutcome | null = null;
  private readonly scope = new CancellationScope();
  private readonly withSearchAttributes: boolean;

  constructor(private readonly input: DeployInput) {
    this.cfg = input.config;
    this.transport = transportSpec(this.cfg);
    this.readings = new Readings(this.cfg, this.transport);
    this.hosts = this.cfg.hosts.map((h) => ({ ...h }));
    this.fleet = new FleetState(this.hosts);
    // Keep current only the attributes the deploy was started with (the
    // time-skipping test server cannot register custom ones).
    this.withSearchAttributes = workflowInfo().typedSearchAttributes.getAll().length > 0;
    this.registerHandlers();
  }

  // --- the runbook -----------------------------------------------------------

  async run(): Promise<DeployOutcome> {
    this.setPhase('queued');
    await this.waitForTurn();
    if (this.superseded) return this.end('superseded', `superseded: ${this.superseded.reason}`);
    if (this.abortedBy) return this.end('aborted', this.abortSummary());
    try {
      const summary = await this.scope.run(() => this.rollout());
      return this.end('done', summary);
    } catch (err) {
      return await this.unwind(err);
    } finally {
      await CancellationScope.nonCancellable(() => leaveClusterQueue(this.input.cluster));
    }
  }

  private async rollout(): Promise<string> {
    if (await this.alreadyLive()) return `${this.input.revision} is already live on every host`;
    const baseline = this.startBaseline();
    try {
      await this.stage();
    } catch (err) {
      // Readings still in flight are simply dropped with the deploy.
      baseline.done.catch(() => undefined);
      throw err;
    }
    await this.finishBaseline(baseline);
    await this.switchCanaries();
    await this.soakAndJudge('canary', this.plan!.canaries, 1);
    await this.switchWaves();
    await this.watch();
    await this.finish();
    const broken = this.fleet.broken.length
      ? `; broken during the deploy: ${this.fleet.broken.join('; ')}`
      : '';
    return `${this.input.revision} is live on ${this.fleet.switched.length - this.fleet.broken.length} hosts${broken}`;
  }

  // --- phases ------------------------------------------------------------------

  /** Joins the cluster's queue and waits for the lock (or to be superseded). */
  private async waitForTurn() {
    await joinClusterQueue({
      cluster: this.input.cluster,
      request: {
        workflowId: workflowInfo().workflowId,
        kind: 'deploy',
        revision: this.input.revision,
        requestedAt: this.input.requestedAt,
      },
    });
    await condition(() => this.granted || this.superseded !== null || this.abortedBy !== null);
  }

  /** True when every host already runs the revision: nothing to do. */
  private async alreadyLive(): Promise<boolean> {
    const results = await overBatches(this.hosts, this.cfg.batchSize, (b) =>
      inspectHosts.executeWithOptions({ ...HOST_STEP, summary: `inspect ${b.length} hosts` }, [
        { transport: this.transport, hosts: b },
      ]),
    );
    const ok = results.flatMap(({ result }) => result.ok);
    return (
      ok.length === this.hosts.length && ok.every((r) => r.result.current === this.input.revision)
    );
  }

  /** Copies the release to every host; fails the deploy before any flip if too many cannot take it. */
  private async stage() {
    this.setPhase('staging');
    this.staged = true;
    const results = await overBatches(this.hosts, this.cfg.batchSize, (b) =>
      stageHosts.executeWithOptions(
        { ...STAGING, summary: `stage ${this.input.revision} on ${b.length} hosts` },
        [
          {
            transport: this.transport,
            hosts: b,
            revision: this.input.revision,
            source: this.input.source,
            policy: {
              createRoot: this.cfg.createRoot,
              adopt: this.cfg.adopt,
              unsafeSymlinks: this.cfg.unsafeSymlinks,
            },
          },
        ],
      ),
    );
    const failed = results.flatMap(({ result }) => this.fleet.staged(result));
    if (failed.length > this.cfg.maxUnavailable) {
      throw new Stop(
        'failed',
        `staging failed on ${failed.length} host(s), more than maxUnavailable=${this.cfg.maxUnavailable}: ${failed.map((f) => `${f.error} [${f.code}]`).join('; ')}`,
      );
    }
    this.plan = planRollout({
      hosts: this.fleet.targets(),
      canarySize: this.cfg.canary.size,
      spreadBy: this.cfg.canary.spreadBy,
      waves: this.cfg.waves,
      holdbackSize: this.cfg.holdback,
      seed: workflowInfo().workflowId,
    });
  }

  /** Baseline readings run alongside staging: nothing is switched yet. */
  private startBaseline() {
    const readings: number[] = [];
    const every = this.cfg.durations.lookEvery;
    const rounds = Math.max(1, Math.round(this.cfg.durations.baseline / every));
    const scope = new CancellationScope();
    const done = scope.run(() =>
      onCadence(
        this.timerControls,
        Array.from({ length: rounds }, (_, i) => (i + 1) * every),
        () => 'baseline reading',
        async () => void readings.push(await this.readings.take('baseline', this.hosts)),
        'never',
      ),
    );
    return { readings, done, scope };
  }

  private baselineReadings: number[] = [];

  private async finishBaseline(baseline: { readings: number[]; done: Promise<void> }) {
    this.setPhase('baseline');
    await baseline.done;
    this.baselineReadings = baseline.readings;
    await this.gate();
  }

  private async switchCanaries() {
    this.setPhase('canary');
    await this.switchHosts(this.plan!.canaries, 'canary');
  }

  /**
   * Holds the soak (pausable, promotable), sampling as it goes and judging
   * every reading: an early look can only stop the soak on a regression, the
   * look at its end decides.
   */
  private async soakAndJudge(kind: GateKind, treated: Host[], look: number) {
    const after: number[] = [];
    const { soak } = this.cfg.durations;
    const every = soakEvery(this.cfg.durations);
    const readings = soakReadings(this.cfg.durations);
    const sequential = patched(SEQUENTIAL_LOOKS_PATCH);
    const switchedNames = new Set(treated.map((h) => h.name));
    const control = () => this.fleet.targets().filter((h) => !switchedNames.has(h.name));
    await onCadence(
      this.timerControls,
      Array.from({ length: readings }, (_, i) => Math.min((i + 1) * every, soak)),
      () => `${kind} soak ${Math.round(soak / 1000)}s`,
      async (k) => {
        after.push(await this.readings.take(kind, this.fleet.targets()));
        if (sequential && k > 0 && k < readings && !this.promoted)
          await this.judge(kind, look, { phase: kind, reading: k }, after, treated, control());
      },
      'before-hold',
    );
    if (this.consumePromotion()) return;
    this.setPhase('judging');
    await this.judge(kind, look, { phase: kind }, after, treated, control());
  }

  private async switchWaves() {
    const waves = this.plan!.waves;
    for (let i = 0; i < waves.length; i++) {
      await this.gate();
      this.setPhase('switching');
      await this.switchHosts(waves[i]!, `wave ${i + 1}/${waves.length}`);
      if (i < waves.length - 1) await this.soakAndJudge('wave', [...this.fleet.switched], i + 2);
    }
  }

  /** Keeps judging the switched fleet against the held-back controls. */
  private async watch() {
    await this.gate();
    this.setPhase('watching');
    const holdback = this.plan!.holdback;
    const every = this.cfg.durations.lookEvery;
    const { watchLooks } = lookCounts(this.plan!, this.cfg.durations);
    if (watchLooks === 0) {
      await holdFor(
        this.timerControls,
        this.cfg.durations.watch,
        'watch (no hosts held back to compare)',
      );
      this.consumePromotion();
      return;
    }
    const after: number[] = [];
    const recent = this.cfg.durations.soak;
    const recentReadings = recentWindowReadings(this.cfg.durations);
    await onCadence(
      this.timerControls,
      Array.from({ length: watchLooks }, (_, i) => (i + 1) * every),
      (k) => `watch look ${k}/${watchLooks}`,
      async (k) => {
        after.push(await this.readings.take('watch', this.fleet.targets()));
        if (k === 0) return;
        const window =
          patched(SEQUENTIAL_LOOKS_PATCH) && after.length > recentReadings + 1
            ? { readings: after.slice(-recentReadings - 1), label: `last ${recent / 1000}s` }
            : undefined;
        await this.judge(
          'watch',
          k,
          { phase: 'watch', window },
          after,
          this.fleet.switched,
          holdback,
        );
      },
      'after-hold',
    );
    this.consumePromotion();
  }

  /**
   * Switches the held-back hosts, then checks every host in one round trip
   * (which also accepts the release and applies retention): a host whose
   * current does not point at the new release broke during the deploy. It
   * counts against maxUnavailable with the hosts that could not be staged.
   */
  private async finish() {
    await this.gate();
    this.setPhase('finishing');
    await this.switchHosts(this.plan!.holdback, 'holdback');
    if (!patched(HOST_CHECKS_PATCH)) {
      await this.tidy();
      return;
    }
    const checked = await this.tidy({
      revision: this.input.revision,
      as: 'accept',
      reason: 'went live',
    });
    const broken: string[] = [];
    for (const h of this.fleet.targets()) {
      const why = whyBroken(checked.get(h.name), this.input.revision);
      if (why === null) continue;
      this.fleet.state.set(h.name, 'broken');
      broken.push(`${h.name} ${why}`);
    }
    this.fleet.broken.push(...broken);
    const unavailable = this.hosts.length - this.fleet.targets().length;
    if (broken.length + unavailable > this.cfg.maxUnavailable)
      throw new Stop(
        'rolled_back',
        `${broken.length} host(s) broke during the deploy (with ${unavailable} unavailable, more than maxUnavailable=${this.cfg.maxUnavailable}): ${broken.join('; ')}`,
      );
  }

  /**
   * One round trip per host at the end of every deploy that staged: what
   * current points at, the release's accepted or rejected mark, retention.
   */
  private async tidy(mark?: { revision: string; as: 'reject' | 'accept'; reason: string }) {
    const hosts = this.hosts.filter((h) => this.fleet.state.get(h.name) !== 'unavailable');
    const protect = Object.fromEntries(
      hosts.map((h) => [h.name, [this.input.revision, this.fleet.previous.get(h.name) ?? null]]),
    );
    const results = await overBatches(hosts, this.cfg.batchSize, (b) =>
      pruneHosts.executeWithOptions(
        {
          ...HOST_STEP,
          summary: `check ${b.length} hosts, keep ${this.cfg.retention.keep} releases`,
        },
        [
          {
            transport: this.transport,
            hosts: b,
            keep: this.cfg.retention.keep,
            protect,
            mark,
          },
        ],
      ),
    );
    const out = new Map<string, TidyResult | { error: string }>();
    for (const { result: r } of results) {
      for (const { host, result } of r.ok) out.set(host, result);
      for (const f of r.failed) out.set(f.host, { error: `${f.error} [${f.code}]` });
    }
    return out;
  }

  // --- steps ---------------------------------------------------------------------

  /** Flips hosts to the new release; any host that fails stops the rollout. */
  private async switchHosts(hosts: Host[], label: string) {
    if (hosts.length === 0) return;
    for (const h of hosts) this.fleet.state.set(h.name, 'switching');
    this.details();
    const results = await overBatches(hosts, this.cfg.batchSize, (b) =>
      flipHosts.executeWithOptions(
        { ...HOST_STEP, summary: `switch ${label}: ${b.length} hosts` },
        [
          {
            transport: this.transport,
            targets: b.map((host) => ({ host, revision: this.input.revision })),
          },
        ],
      ),
    );
    const failed = results.flatMap(({ batch, result }) => this.fleet.switchedBatch(batch, result));
    if (failed.length > 0)
      throw new Stop(
        'rolled_back',
        `switching ${label} failed on ${failed.length} host(s): ${failed.map((f) => `${f.error} [${f.code}]`).join('; ')}`,
      );
  }

  /**
   * One look of the judge. A gate's early look (`reading` before its last)
   * only acts on a regression; a watch look also judges its recent window.
   */
  private async judge(
    kind: VerdictRecord['phase'],
    look: number,
    point: LookAt,
    after: number[],
    treated: Host[],
    control: Host[],
  ) {
    const verdict = await runLook(this.cfg, this.plan!, this.readings.series, {
      kind,
      look,
      point,
      before: this.baselineReadings,
      after,
      treated,
      control,
    });
    const reading = point.phase !== 'watch' ? point.reading : undefined;
    const early = reading !== undefined;
    // An early look that does not find a regression leaves the soak running.
    if (early && verdict.verdict !== 'regression') return;
    const record: VerdictRecord = {
      phase: kind,
      look,
      ...(early ? { reading } : {}),
      at: Date.now(),
      verdict: verdict.verdict,
      reason: verdict.reason,
      metrics: verdict.metrics.map((m) => m.reason),
    };
    this.verdicts.push(record);
    if (verdict.verdict === 'regression')
      throw new Stop(
        'rolled_back',
        `${kind} regression: ${verdict.reason} (${record.metrics.join('; ')})`,
      );
    if (verdict.verdict === 'inconclusive') await this.onInconclusive(record);
  }

  private async onInconclusive(record: VerdictRecord) {
    const policy = this.cfg.onInconclusive;
    if (policy === 'rollback')
      throw new Stop('rolled_back', `inconclusive verdict, policy rollback: ${record.reason}`);
    if (policy === 'proceed') return;
    // Ask a human: resume or promote proceeds, abort rolls back.
    this.paused = true;
    this.pausedReason = `inconclusive ${record.phase} verdict: ${record.reason}`;
    this.details();
    await condition(() => !this.paused || this.promoted);
    this.consumePromotion();
  }

  /** The operator's say over time, for the cadence's timers. */
  private readonly timerControls: Controls = {
    paused: () => this.paused,
    promoted: () => this.promoted,
  };

  /** Waits while paused (between phases). */
  private async gate() {
    if (this.paused) await condition(() => !this.paused);
  }

  private consumePromotion(): boolean {
    const was = this.promoted;
    this.promoted = false;
    return was;
  }

  // --- compensation ----------------------------------------------------------------

  private async unwind(err: unknown): Promise<DeployOutcome> {
    const outcome = stoppedBy(err);
    const why = isCancellation(err) ? this.abortSummary() : describe(err);
    if (this.fleet.switched.length === 0) {
      await this.tidyAfterUnwind();
      return this.end(
        outcome === 'rolled_back' ? 'failed' : outcome,
        `${why}; no host was switched`,
      );
    }
    await CancellationScope.nonCancellable(() => this.rollBackSwitched(why));
    await this.tidyAfterUnwind({ revision: this.input.revision, as: 'reject', reason: why });
    const failed = this.fleet.hostsIn('rollback_failed');
    const note = failed.length > 0 ? `; could NOT roll back ${failed.join(', ')}` : '';
    return this.end(outcome, `${why}; rolled back ${this.fleet.rolledBack.length} host(s)${note}`);
  }

  /**
   * Retention after a deploy that did not go live, and the rejected mark on
   * every host that took the release (rejected releases are never a plain
   * rollback's target). Best effort: a host that cannot be reached now is
   * tidied by the next deploy.
   */
  private async tidyAfterUnwind(mark?: { revision: string; as: 'reject'; reason: string }) {
    if (!this.staged || !patched(HOST_CHECKS_PATCH)) return;
    await CancellationScope.nonCancellable(() => this.tidy(mark)).catch(() => undefined);
  }

  /**
   * Unwinds the compensation stack: every switched host back to its previous
   * release (or, for an adopted host, its old link), marking this deploy's
   * release rejected on it in the same step.
   */
  private async rollBackSwitched(why: string) {
    this.compensating = true;
    this.paused = false;
    const { targets, nothingToReturnTo } = rollbackTargets(
      this.fleet.switched,
      this.fleet.previous,
      this.fleet.adoptedLinks,
      { revision: this.input.revision, reason: why },
    );
    for (const host of nothingToReturnTo) this.fleet.state.set(host, 'rollback_failed');
    const back = await flipBack(targets, {
      transport: this.transport,
      batchSize: this.cfg.batchSize,
      summary: 'roll back',
      attempts: 10,
    });
    this.fleet.rolledBackBatch(back);
  }

  // --- bookkeeping -------------------------------------------------------------------

  private setPhase(phase: Phase) {
    this.phase = phase;
    this.timings[phase] ??= Date.now();
    if (this.withSearchAttributes) upsertSearchAttributes([{ key: DeployPhase, value: phase }]);
    this.details();
  }

  private details() {
    setCurrentDetails(detailsText(this.status()));
  }

  private abortSummary(): string {
    const a = this.abortedBy;
    return a ? `aborted by ${a.operator} during ${a.phase}: ${a.reason}` : 'aborted';
  }

  private end(outcome: Outcome, summary: string): DeployOutcome {
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
      state: this.fleet.state,
      plan: this.plan,
      verdicts: this.verdicts,
      actions: this.actions,
      timings: this.timings,
      outcome: this.outcome,
    });
  }

  // --- operator controls -------------------------------------------------------------

  private record(command: OperatorCommand, req: OperatorRequest) {
    this.actions.push({
      command,
      operator: req.operator,
      reason: req.reason,
      at: Date.now(),
      phase: this.phase,
    });
  }

  private reject(message: string): never {
    throw ApplicationFailure.nonRetryable(message, 'DEPLOY_REJECTED');
  }

  private controls(): ControlState {
    return {
      phase: this.phase,
      paused: this.paused,
      pausedReason: this.pausedReason,
      promoted: this.promoted,
      compensating: this.compensating,
      aborting: this.abortedBy !== null,
    };
  }

  private validate(command: OperatorCommand, req: OperatorRequest) {
    const why = refusal(command, req, this.controls());
    if (why !== undefined) this.reject(why);
  }

  private registerHandlers() {
    setHandler(statusQuery, () => this.status());
    setHandler(hostsQuery, () => this.hosts);
    setHandler(snapshotsQuery, ({ readings, hosts }) => this.readings.snapshots(readings, hosts));
    setHandler(grantedSignal, () => {
      this.granted = true;
    });
    setHandler(supersededSignal, (s) => {
      if (!this.granted) this.superseded = s;
    });
    const handle = (command: OperatorCommand) => ({
      validator: (req: OperatorRequest) => this.validate(command, req),
      handler: (req: OperatorRequest) => {
        this.record(command, req);
        const next = applyCommand(command, req, this.controls());
        this.paused = next.paused;
        this.pausedReason = next.pausedReason;
        this.promoted = next.promoted;
        if (command === 'abort') {
          this.abortedBy = this.actions[this.actions.length - 1]!;
          this.scope.cancel();
        }
        this.details();
        return this.status();
      },
    });
    const pause = handle('pause');
    const resume = handle('resume');
    const abort = handle('abort');
    const promote = handle('promote');
    setHandler(pauseUpdate, pause.handler, { validator: pause.validator });
    setHandler(resumeUpdate, resume.handler, { validator: resume.validator });
    setHandler(abortUpdate, abort.handler, { validator: abort.validator });
    setHandler(promoteUpdate, promote.handler, { validator: promote.validator });
    setHandler(abortSignal, (req) => {
      try {
        abort.validator(req);
        abort.handler(req);
      } catch {
        // Signals cannot be rejected: an invalid abort is ignored (the update says why).
      }
    });
  }
}
