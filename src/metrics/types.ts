// A probe reads some named series from one host. A probe that fails yields a
// missing reading (nulls), never an exception that would crash a deploy.
import { PhasedError } from '../errors.js';
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
  /** Read as of this past moment (ms); only a probe of a store that keeps history can. */
  at?: number;
  /**
   * Whose readings these are (a deploy's workflow id): a log probe then reads
   * only what was appended since this cursor's previous reading.
   */
  cursor?: string;
}

export interface Probe {
  /** Series this probe produces, in a fixed order. */
  readonly series: readonly string[];
  /** Reads the host; throws a ProbeError when it cannot. */
  read(ctx: ProbeContext): Promise<ProbeReading>;
}

/**
 * A probe that could not read its host. Retryable: the next reading tries
 * again, and the judge counts the host's data as missing meanwhile, saying
 * why (`reason`, without the host, which the verdict names).
 */
export class ProbeError extends PhasedError {
  readonly reason: string;

  constructor(
    readonly host: string,
    readonly probe: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super({
      code: 'PROBE_FAILED',
      problem: `probe ${probe} on ${host}: ${message}`,
      fix: `check that the ${probe} probe works on ${host} (run its command or fetch its endpoint there)`,
      retryable: true,
      cause: options?.cause,
    });
    this.name = 'ProbeError';
    this.reason = `probe ${probe}: ${message}`;
  }
}
