// A probe reads some named series from one host. A probe that fails yields a
// missing reading (nulls), never an exception that would crash a deploy.
import type { HostTransport } from '../transport/types.js';
import type { Host } from '../core/vocabulary.js';

export interface ProbeReading {
  values: Record<string, number>;
  /** Counter epochs (log inode, process start): a change means the counter restarted. */
  epochs?: Record<string, number>;
}

export interface ProbeContext {
  host: Host;
  transport: HostTransport;
  timeoutMs: number;
}

export interface Probe {
  /** Series this probe produces, in a fixed order. */
  readonly series: readonly string[];
  /** Reads the host; throws a ProbeError when it cannot. */
  read(ctx: ProbeContext): Promise<ProbeReading>;
}

export class ProbeError extends Error {
  readonly code = 'PROBE_FAILED';
  constructor(
    readonly host: string,
    readonly probe: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`probe ${probe} on ${host}: ${message}`, options);
    this.name = 'ProbeError';
  }
}
