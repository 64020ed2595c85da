// Takes one snapshot of a host: every probe, concurrently, into the fixed
// series order. A probe that fails leaves its series null and says why.
import type { Snapshot } from '../judge/types.js';
import type { HostTransport } from '../transport/types.js';
import type { Host } from '../core/vocabulary.js';
import { batchedExec } from './batched-exec.js';
import { ProbeError, type Probe } from './types.js';

export interface HostSample {
  snapshot: Snapshot;
  /** One line per failed probe. */
  errors: string[];
}

export interface SampleHostOptions {
  host: Host;
  transport: HostTransport;
  probes: readonly Probe[];
  /** Snapshot column order (the judge input's `series`). */
  series: readonly string[];
  timeoutMs?: number;
  now?: () => number;
  /** Read as of this past moment (ms): the snapshot's time, and what history-keeping probes query. */
  at?: number;
  /** Whose readings these are: log probes read on from where this cursor's previous reading stopped. */
  cursor?: string;
}

export async function sampleHost({
  host,
  transport,
  probes,
  series,
  timeoutMs = 10_000,
  now = Date.now,
  at,
  cursor,
}: SampleHostOptions): Promise<HostSample> {
  const t = at ?? now();
  const v: (number | null)[] = series.map(() => null);
  const k: (number | null)[] = series.map(() => null);
  const e: (string | null)[] = series.map(() => null);
  const errors: string[] = [];
  // The probes' commands reach the host together: one round trip per reading.
  const oneTrip = batchedExec(transport, host);
  const readings = await Promise.allSettled(
    probes.map((p) =>
      p.read({
        host,
        transport: oneTrip,
        timeoutMs,
        ...(at !== undefined ? { at } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      }),
    ),
  );
  readings.forEach((r, p) => {
    if (r.status === 'rejected') {
      const err: unknown = r.reason;
      errors.push(
        err instanceof ProbeError ? err.problem : `probe on ${host.name}: ${String(err)}`,
      );
      const why = err instanceof ProbeError ? err.reason : `probe failed: ${String(err)}`;
      for (const name of probes[p]!.series) {
        const i = series.indexOf(name);
        if (i >= 0) e[i] = why;
      }
      return;
    }
    for (const [name, value] of Object.entries(r.value.values)) {
      const i = series.indexOf(name);
      if (i >= 0) v[i] = value;
    }
    for (const [name, epoch] of Object.entries(r.value.epochs ?? {})) {
      const i = series.indexOf(name);
      if (i >= 0) k[i] = epoch;
    }
  });
  const snapshot: Snapshot = { t, v };
  if (k.some((x) => x !== null)) snapshot.k = k;
  if (e.some((x) => x !== null)) snapshot.e = e;
  return { snapshot, errors };
}
