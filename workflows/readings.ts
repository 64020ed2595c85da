// A deploy's readings: every host sampled in batches at each tick of a
// phase's cadence, kept in the workflow's state (the judge fetches the ones
// it needs with the snapshots query, so per-host data crosses the history
// once).
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ClusterRef } from '../src/core/vocabulary.js';
import type { Activities } from '../activities/index.js';
import type { ReadingGrid } from '../src/metrics/promql.js';
import type { ClusterConfig } from '../src/config/schema.js';
import type { Snapshot } from '../src/judge/types.js';
import { overBatches } from './fan-out.js';
import type { Host } from '../src/core/vocabulary.js';
import { SAMPLING } from './timeouts.js';

const { sampleHosts, sampleHostsHistory } = proxyActivities<Activities>(SAMPLING);

type BatchReading = Awaited<ReturnType<Activities['sampleHosts']>>;

/** Files one batch's reading into a reading's per-host snapshots. */
function keep(reading: Map<string, Snapshot>, batch: Host[], r: BatchReading) {
  batch.forEach((host, i) => {
    const snapshot: Snapshot = { t: r.t, v: r.v[i]! };
    const k = r.k?.[i];
    const e = r.e?.[i];
    if (k) snapshot.k = k;
    if (e) snapshot.e = e;
    reading.set(host.name, snapshot);
  });
}

/** The columns every reading holds, in order: each metric's series, once. */
export function seriesOf(metrics: ClusterConfig['metrics']): string[] {
  const out: string[] = [];
  for (const m of metrics) {
    // The same columns as metricColumns in src/judge/types.ts (workflow code imports only types).
    const columns =
      m.kind === 'quantile'
        ? [...m.buckets.map(String), '+Inf'].map((le) => `${m.series}@le=${le}`)
        : [m.series, m.kind === 'counter' ? m.exposure : m.kind === 'gauge' ? m.per : undefined];
    for (const s of columns) if (s !== undefined && !out.includes(s)) out.push(s);
  }
  return out;
}

export class Readings {
  private readonly taken: Map<string, Snapshot>[] = [];
  readonly series: string[];

  constructor(
    private readonly cfg: Pick<
      ClusterConfig,
      'probes' | 'metrics' | 'batchSize' | 'durations' | 'metricsSource'
    >,
    private readonly ref: ClusterRef,
  ) {
    this.series = seriesOf(cfg.metrics);
  }

  /**
   * Samples hosts in batches; returns the reading's index. `at` (ms): read
   * the series as of that past moment (only promql probes can).
   */
  async take(label: string, hosts: Host[], at?: number): Promise<number> {
    const index = this.taken.length;
    const reading = new Map<string, Snapshot>();
    this.taken.push(reading);
    if (this.cfg.probes.length === 0) return index;
    const results = await overBatches(hosts, this.cfg.batchSize, (b) =>
      sampleHosts.executeWithOptions(
        { ...SAMPLING, summary: `sample ${b.length} hosts (${label} reading ${index})` },
        [{ ...this.request(b, label), reading: index, ...(at !== undefined ? { at } : {}) }],
      ),
    );
    for (const { batch, result } of results) keep(reading, batch, result);
    return index;
  }

  /**
   * Readings as of `count` past moments `stepMs` apart from `startMs`, read
   * together from the metrics store's history (only promql probes can);
   * returns their indices.
   */
  async takeHistory(label: string, hosts: Host[], grid: ReadingGrid): Promise<number[]> {
    const first = this.taken.length;
    const indices = Array.from({ length: grid.count }, (_, k) => first + k);
    const readings = indices.map(() => new Map<string, Snapshot>());
    this.taken.push(...readings);
    if (this.cfg.probes.length === 0) return indices;
    const results = await overBatches(hosts, this.cfg.batchSize, (b) =>
      sampleHostsHistory.executeWithOptions(
        {
          ...SAMPLING,
          summary: `sample ${b.length} hosts (${label} readings ${first}-${first + grid.count - 1}, from history)`,
        },
        [{ ...this.request(b, label), readings: indices, grid }],
      ),
    );
    for (const { batch, result } of results) result.forEach((r, k) => keep(readings[k]!, batch, r));
    return indices;
  }

  /** What every sampling activity is asked, whatever the moment. */
  private request(batch: Host[], label: string) {
    return {
      workflowId: workflowInfo().workflowId,
      ref: this.ref,
      hosts: batch.map((h) => h.name),
      // For the report, which rebuilds readings from the history.
      label,
      series: this.series,
      timeoutMs: this.cfg.durations.probeTimeout,
    };
  }

  /** What the snapshots query answers: each host's snapshot at each reading asked for. */
  snapshots(readings: number[], hosts: string[]): Record<string, (Snapshot | null)[]> {
    const out: Record<string, (Snapshot | null)[]> = {};
    for (const h of hosts) out[h] = readings.map((i) => this.taken[i]?.get(h) ?? null);
    return out;
  }
}
