// How a deploy or rollback ends in Temporal: a success completes with its
// outcome; a rollback, an abort or a failure fails the workflow with a typed,
// non-retryable failure that carries the same outcome (the CLI reads it back
// with outcomeOf in src/app/client.ts). The Temporal UI then lists such runs as
// Failed and shows the summary and the verdicts as the failure's message.
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { OUTCOME_FAILURE_TYPES, type Outcome } from '../src/core/vocabulary.js';

/** Runs recorded before unsuccessful outcomes failed their workflow replay as completions. */
export const OUTCOME_FAILURE_PATCH = 'unsuccessful-outcomes-fail-the-workflow';

/**
 * Returns a successful result; throws the failure that carries any other.
 * `title` names what ended ("web <- v42"), `details` add lines under it.
 */
export function endWith<T extends { outcome: Outcome; summary: string }>(
  result: T,
  title: string,
  details: readonly string[] = [],
): T {
  if (result.outcome === 'done' || result.outcome === 'superseded') return result;
  if (!patched(OUTCOME_FAILURE_PATCH)) return result;
  throw ApplicationFailure.create({
    type: OUTCOME_FAILURE_TYPES[result.outcome],
    message: [`${result.outcome}: ${title}: ${result.summary}`, ...details].join('\n'),
    nonRetryable: true,
    details: [result],
  });
}
