// The worker's log: the SDK's warnings as they are, except one. A deploy that
// ends rolled back, aborted or failed fails its workflow on purpose (so the
// Temporal UI shows it), and the SDK warns "Workflow failed" with a stack for
// each; that is an outcome the CLI, the UI and the webhooks report, not a
// problem of the worker, so it is left out.
import { format } from 'node:util';
import type { LogEntry } from '@temporalio/worker';
import { isOutcomeFailureType } from '../../core/vocabulary.js';

/** workflows/outcome.ts's failure message: "<outcome>: <cluster> <- <revision>: <summary>". */
const OUTCOME_MESSAGE = /^(rolled_back|aborted|failed): \S+ <- \S+: /;

export function isDeployOutcome(entry: Pick<LogEntry, 'message' | 'meta'>): boolean {
  if (entry.message !== 'Workflow failed') return false;
  const error = entry.meta?.error as
    { type?: unknown; message?: unknown; stack?: unknown } | undefined;
  if (isOutcomeFailureType(error?.type)) return true;
  // From the workflow thread the error arrives structured-cloned: its type and
  // class name are gone; its stack still names the class, its message the outcome.
  return (
    typeof error?.stack === 'string' &&
    error.stack.startsWith('ApplicationFailure: ') &&
    typeof error.message === 'string' &&
    OUTCOME_MESSAGE.test(error.message)
  );
}

/** Writes an entry to stderr as the SDK's default logger does, unless it is a deploy's outcome. */
export function writeLogEntry(entry: LogEntry): void {
  if (isDeployOutcome(entry)) return;
  const date = new Date(Number(entry.timestampNanos / 1_000_000n));
  const meta = entry.meta === undefined ? '' : ` ${format(entry.meta)}`;
  process.stderr.write(`${format(date)} [${entry.level}] ${entry.message}${meta}\n`);
}
