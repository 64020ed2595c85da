// A deploy's readings: every host sampled in batches at each tick of a
// phase's cadence, kept in the workflow's state (the judge fetches the ones
// it needs with the snapshots query, so per-host data crosses the history
// once).
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { TransportSpec } from '../src/core/vocabulary.js';
import type { Activities } from '../activities/index.js';
import type { ClusterConfig } from '../src/config/schema.js';
import type { Snapshot } from '../src/judge/types.js';
import { overBatches } from './fan-out.js';
import type { Host } from '../src/core/vocabulary.js';
import { SAMPLING } from './timeouts.js';

const { sampleHosts } = proxyActivities<Activities>(SAMPLING);

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
    private readonly transport: TransportSpec,
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
        [
          {
            workflowId: workflowInfo().workflowId,
            transport: this.transport,
            hosts: b.map((h) => h.name),
            // For the report, which rebuilds readings from the history.
            reading: index,
            label,
            ...(at !== undefined ? { at } : {}),
            ...(this.cfg.metricsSource ? { metricsSource: this.cfg.metricsSource } : {}),
            probes: this.cfg.probes,
            series: this.series,
            timeoutMs: this.cfg.durations.probeTimeout,
          },
        ],
      ),
    );
    for (const { batch, result: r } of results)
      batch.forEach((host, i) => {
        const snapshot: Snapshot = { t: r.t, v: r.v[i]! };
        const k = r.k?.[i];
        const e = r.e?.[i];
        if (k) snapshot.k = k;
        if (e) snapshot.e = e;
        reading.set(host.name, snapshot);
      });
    return index;
  }

  /** What the snapshots query answers: each host's snapshot at each reading asked for. */
  snapshots(readings: number[], hosts: string[]): Record<string, (Snapshot | null)[]> {
    const out: Record<string, (Snapshot | null)[]> = {};
    for (const h of hosts) out[h] = readings.map((i) => this.taken[i]?.get(h) ?? null);
    return out;
  }
}
