// Named timeout and retry profiles for activities, so every proxy says which
// kind of work it is rather than repeating numbers.
import type { ActivityOptions } from '@temporalio/workflow';

/** Fast bookkeeping on the worker itself. */
export const QUICK: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
};
