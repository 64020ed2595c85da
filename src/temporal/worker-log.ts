// The worker's log: the SDK's warnings as they are, except one. A deploy that
// ends rolled back, aborted or failed fails its workflow on purpose (so the
// Temporal UI shows it), and the SDK warns "Workflow failed" with a stack for
// each; that is an outcome the CLI, the UI and the webhooks report, not a
// problem of the worker, so it is left out.
import { format } from 'node:util';
import type { LogEntry } from '@temporalio/worker';
import { isOutcomeFailureType } from '../core/vocabulary.js';

export function isDeployOutcome(entry: Pick<LogEntry, 'message' | 'meta'>): boolean {
  const error = entry.meta?.error as { type?: unknown } | undefined;
  return entry.message === 'Workflow failed' && isOutcomeFailureType(error?.type);
}

/** Writes an entry to stderr as the SDK's default logger does, unless it is a deploy's outcome. */
export function writeLogEntry(entry: LogEntry): void {
  if (isDeployOutcome(entry)) return;
  const date = new Date(Number(entry.timestampNanos / 1_000_000n));
  const meta = entry.meta === undefined ? '' : ` ${format(entry.meta)}`;
  process.stderr.write(`${format(date)} [${entry.level}] ${entry.message}${meta}\n`);
}
