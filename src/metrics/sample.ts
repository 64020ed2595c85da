// Takes one snapshot of a host: every probe, concurrently, into the fixed
// series order. A probe that fails leaves its series null and says why.
import type { Snapshot } from '../judge/types.js';
import type { HostTransport } from '../transport/types.js';
import type { Host } from '../core/vocabulary.js';
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
}

export async function sampleHost({
  host,
  transport,
  probes,
  series,
  timeoutMs = 10_000,
  now = Date.now,
}: SampleHostOptions): Promise<HostSample> {
  const t = now();
  const v: (number | null)[] = series.map(() => null);
  const k: (number | null)[] = series.map(() => null);
  const errors: string[] = [];
  const readings = await Promise.allSettled(
    probes.map((p) => p.read({ host, transport, timeoutMs })),
  );
  readings.forEach((r) => {
    if (r.status === 'rejected') {
      errors.push(
        r.reason instanceof ProbeError
          ? r.reason.message
          : `probe on ${host.name}: ${String(r.reason)}`,
      );
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
  const snapshot: Snapshot = k.some((e) => e !== null) ? { t, v, k } : { t, v };
  return { snapshot, errors };
}
