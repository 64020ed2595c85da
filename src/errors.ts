// One error class for every boundary of phased. `code` is stable (scripts and
// tests match on it); `fix` tells a person what to do; `retryable` tells
// Temporal's retry policy whether trying again can help.

export type ErrorCode =
  | 'TEMPORAL_BINARY_MISSING'
  | 'TEMPORAL_PORT_IN_USE'
  | 'TEMPORAL_START_FAILED'
  | 'TEMPORAL_UNREACHABLE'
  | 'TEMPORAL_SEARCH_ATTRIBUTES'
  | 'CONFIG_INVALID'
  | 'REVISION_INVALID'
  | 'SOURCE_MISSING'
  | 'SOURCE_INVALID'
  | 'HOST_UNREACHABLE'
  | 'HOST_COMMAND_FAILED'
  | 'COPY_STALLED'
  | 'RELAY_FAILED'
  | 'DISK_FULL'
  | 'RELEASE_INCOMPLETE'
  | 'RELEASE_CONFLICT'
  | 'ROOT_MISSING'
  | 'HOST_NOT_MANAGED'
  | 'PROBE_FAILED'
  | 'NO_WORKER'
  | 'NOTIFY_FAILED'
  | 'DEPLOY_REJECTED'
  | 'DEPLOY_NOT_FOUND'
  | 'SETUP_FAILED'
  | 'HOOK_FAILED'
  | 'HEALTH_CHECK_FAILED'
  | 'PROMETHEUS_MISSING'
  | 'CLUSTER_UNKNOWN'
  | 'CLUSTER_CONFIG_CHANGED'
  | 'CALLER_CONFIG_REFUSED'
  | 'NOT_AUTHORIZED'
  | 'SOURCE_CHANGED'
  | 'SOURCE_OUTSIDE'
  | 'ROOT_CLAIMED'
  | 'READINGS_UNANSWERED'
  | 'WORKER_VERSION';

export interface PhasedErrorOptions {
  code: ErrorCode;
  /** What is wrong, in one sentence. */
  problem: string;
  /** What to do about it, in one sentence. */
  fix: string;
  retryable?: boolean;
  cause?: unknown;
}

export class PhasedError extends Error {
  readonly code: ErrorCode;
  readonly problem: string;
  readonly fix: string;
  readonly retryable: boolean;

  constructor({ code, problem, fix, retryable = false, cause }: PhasedErrorOptions) {
    super(`${problem}\n  fix: ${fix}`, cause === undefined ? undefined : { cause });
    this.name = 'PhasedError';
    this.code = code;
    this.problem = problem;
    this.fix = fix;
    this.retryable = retryable;
  }
}

export function isPhasedError(err: unknown, code?: ErrorCode): err is PhasedError {
  return err instanceof PhasedError && (code === undefined || err.code === code);
}

/**
 * The innermost cause's message: what actually went wrong under a wrapper
 * ("connect ECONNREFUSED 10.0.0.3:9100" under fetch's "fetch failed").
 */
export function rootCause(err: unknown): string {
  let at = err;
  while (at instanceof Error && at.cause instanceof Error) at = at.cause;
  if (at instanceof Error && at.name === 'TimeoutError') return 'timed out';
  return describeCause(at);
}

/** The message of any thrown value, for quoting a cause in one line. */
export function describeCause(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
