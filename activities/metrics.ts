// Metric activities: sample a batch of hosts, and judge one look. Samples
// stay in the deploy workflow's state; the judge fetches the readings it
// needs with a query, so per-host data crosses the history once.
import {
  alphaForLook,
  isDecidingLook,
  judge,
  judgeWatchLook,
  metricColumns,
  type DataLimits,
  type AlphaBudget,
  type HostSeries,
  type JudgeVerdict,
  type MetricSpec,
  type Snapshot,
} from '../src/judge/index.js';
import { buildProbe, forHost } from '../src/metrics/from-config.js';
import {
  promqlReader,
  type PrometheusSource,
  type PromqlReader,
  type ReadingGrid,
} from '../src/metrics/promql.js';
import { sampleHost } from '../src/metrics/sample.js';
import type { HostTransport } from '../src/transport/types.js';
import type { ClusterRef, Host, LookKind, TransportSpec } from '../src/core/vocabulary.js';
import type { ClusterStore } from '../src/config/store.js';
import { whileBeating } from './batch.js';
import { asActivityFailure, onCluster } from './hosts.js';

/**
 * One reading of a batch, compact because thousands cross the history: one
 * time for the batch (hosts are read concurrently), values per host in the
 * order the hosts were asked for and in series order.
 */
export interface BatchReading {
  t: number;
  v: (number | null)[][];
  /** Counter epochs per host; null when no host reported any. */
  k: ((number | null)[] | null)[] | null;
  /** Why values are missing, per host and series; null when every probe read. */
  e?: ((string | null)[] | null)[] | null;
  errors: string[];
}

/** Six significant digits are plenty for a level (a gauge); integers stay exact. */
export function compactValue(x: number | null): number | null {
  return x === null || Number.isInteger(x) ? x : Number(x.toPrecision(6));
}

/**
 * The columns that hold cumulative counters (a counter and its exposure, a
 * gauge's `per` pair, traffic, histogram buckets): the judge takes
 * differences of them, so they travel exact. A month-old Prometheus `_sum`
 * (1.2e9 seconds) rounded to six digits moves by thousands between readings.
 */
export function exactColumns(metrics: readonly MetricSpec[]): Set<string> {
  const exact = new Set<string>();
  for (const m of metrics)
    if (m.kind !== 'gauge' || m.per !== undefined) for (const c of metricColumns(m)) exact.add(c);
  return exact;
}

export interface SnapshotRequest {
  workflowId: string;
  readings: number[];
  hosts: string[];
}

export interface MetricDeps {
  transport: (spec: TransportSpec) => HostTransport;
  /** The clusters this worker holds: probes, the metrics store and hosts come from here. */
  clusters: ClusterStore;
  /** Readings of hosts from a running deploy (a workflow query). */
  fetchSnapshots: (req: SnapshotRequest) => Promise<Record<string, (Snapshot | null)[]>>;
}

export interface JudgeLookInput {
  workflowId: string;
  series: string[];
  metrics: MetricSpec[];
  /** The deploy's look plan; this look's alpha is its share of the budget. */
  plan: AlphaBudget;
  phase: LookKind;
  /** For a gate: the reading of its soak judged (default: the last, deciding look). */
  reading?: number;
  /** For a watch look: which of the plan's watch looks, 1-based (absent: the budget split evenly). */
  look?: number;
  limits?: Partial<DataLimits>;
  /** Reading indices of the baseline window and of the window being judged. */
  before: number[];
  after: number[];
  /** For a watch look: the window of recent readings (a subset of `after`) judged beside it. */
  recent?: { readings: number[]; label: string };
  canary: string[];
  control: string[];
}

export interface SampleInput {
  workflowId: string;
  /** The cluster and the version of its file the deploy runs with: its probes and metrics store. */
  ref: ClusterRef;
  hosts: string[];
  series: string[];
  timeoutMs: number;
  /** The reading's index and what it is for: recorded in the history for phased report. */
  reading?: number;
  label?: string;
  /** Read the series as of this past moment (ms), from the metrics store's history. */
  at?: number;
}

const QUERY_CHUNK = 250;

export function createMetricActivities(deps: MetricDeps) {
  /** The worker's own view of the cluster: its hosts, transport, probes and metrics store. */
  const clusterOf = (input: SampleInput) => {
    const { config, t, hosts } = onCluster(deps, input.ref);
    return {
      t,
      hosts: hosts(input.hosts.map((name) => ({ name }))),
      probes: config.probes,
      exact: exactColumns(config.metrics),
      source: config.metricsSource as PrometheusSource | undefined,
    };
  };

  /** One reading of a batch: every host at once, at `at` (a past moment) or now. */
  const sampleBatch = async (
    input: SampleInput,
    { t, hosts, probes, exact }: ReturnType<typeof clusterOf>,
    reader: PromqlReader | undefined,
    at: number | undefined,
  ): Promise<BatchReading> => {
    const time = at ?? Date.now();
    const samples = await Promise.all(
      hosts.map((host: Host) =>
        sampleHost({
          host,
          transport: t,
          probes: probes.map((p) =>
            buildProbe(forHost(p, host.root), reader ? { promql: reader } : {}),
          ),
          series: input.series,
          timeoutMs: input.timeoutMs,
          ...(at !== undefined ? { at } : {}),
          // Log probes read on from where this deploy's previous reading stopped.
          cursor: input.workflowId,
        }),
      ),
    );
    const anyEpoch = samples.some((s) => s.snapshot.k !== undefined);
    const anyFailure = samples.some((s) => s.snapshot.e !== undefined);
    return {
      t: time,
      v: samples.map((s) =>
        s.snapshot.v.map((x, i) => (exact.has(input.series[i]!) ? x : compactValue(x))),
      ),
      k: anyEpoch ? samples.map((s) => s.snapshot.k ?? null) : null,
      e: anyFailure ? samples.map((s) => s.snapshot.e ?? null) : null,
      errors: samples.flatMap((s) => s.errors),
    };
  };

  return {
    async sampleHosts(input: SampleInput): Promise<BatchReading> {
      const time = input.at ?? Date.now();
      const cluster = clusterOf(input);
      const reader = cluster.source && promqlReader(cluster.source, time);
      return whileBeating(() => sampleBatch(input, cluster, reader, input.at));
    },

    /**
     * Readings as of evenly spaced past moments, from a metrics store that
     * keeps history: one range query per query for all of them.
     */
    async sampleHostsHistory(
      input: SampleInput & { grid: ReadingGrid; readings: number[] },
    ): Promise<BatchReading[]> {
      const cluster = clusterOf(input);
      const reader = cluster.source && promqlReader(cluster.source, Date.now(), input.grid);
      return whileBeating(() =>
        Promise.all(
          Array.from({ length: input.grid.count }, (_, k) =>
            sampleBatch(input, cluster, reader, input.grid.startMs + k * input.grid.stepMs),
          ),
        ),
      );
    },

    async judgeLook(input: JudgeLookInput): Promise<JudgeVerdict> {
      const readings = [...input.before, ...input.after];
      const hosts = [...input.canary, ...input.control];
      const snaps: Record<string, (Snapshot | null)[]> = {};
      // Heartbeats while the queries wait, so a look whose task a stopping
      // worker never ran is taken again after the heartbeat timeout rather
      // than the two-minute start-to-close.
      await whileBeating(async () => {
        for (let i = 0; i < hosts.length; i += QUERY_CHUNK) {
          const chunk = hosts.slice(i, i + QUERY_CHUNK);
          Object.assign(
            snaps,
            await asActivityFailure(() =>
              deps.fetchSnapshots({ workflowId: input.workflowId, readings, hosts: chunk }),
            ),
          );
        }
      });
      const nBefore = input.before.length;
      const present = (xs: (Snapshot | null)[]) => xs.filter((s): s is Snapshot => s !== null);
      /** Each host's baseline and the readings of `window` (indices into input.after). */
      const series =
        (window: Set<number> | undefined) =>
        (host: string): HostSeries => {
          const all = snaps[host] ?? [];
          const after = all.slice(nBefore).filter((_, i) => !window || window.has(input.after[i]!));
          return { host, before: present(all.slice(0, nBefore)), after: present(after) };
        };
      const lookInput = (window: Set<number> | undefined, alpha: number) => ({
        series: input.series,
        metrics: input.metrics,
        canary: input.canary.map(series(window)),
        control: input.control.map(series(window)),
        alpha,
        limits: input.limits,
        requireEnoughData: input.phase !== 'watch' && isDecidingLook(input.plan, input.reading),
      });
      if (input.phase !== 'watch')
        return judge(
          lookInput(
            undefined,
            alphaForLook(input.plan, { phase: input.phase, reading: input.reading }),
          ),
        );
      const recent = input.recent;
      return judgeWatchLook(
        lookInput(undefined, alphaForLook(input.plan, { phase: 'watch', look: input.look })),
        recent && {
          input: lookInput(
            new Set(recent.readings),
            alphaForLook(input.plan, { phase: 'watch', window: 'recent', look: input.look }),
          ),
          label: recent.label,
        },
      );
    },
  };
}
