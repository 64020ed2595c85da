// The judge reads a look's readings from the deploy workflow by query. A
// deploy whose worker is gone never answers: the query must end at its
// deadline as a retryable failure with its own code, not hold the judge
// activity (and, on the time-skipping server, the whole test's clock) for
// the activity's two-minute timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { readingsFetcher } from '../../src/app/temporal/readings-query.js';
import { isPhasedError } from '../../src/errors.js';
import { sharedClient, uniqueId } from '../helpers/temporal.js';

let client: Client;
let close: () => Promise<void>;
beforeAll(async () => ({ client, close } = await sharedClient()));
afterAll(() => close?.());

describe('the judge query for a look readings', () => {
  it('ends at its deadline, retryable and named, when no worker answers', async () => {
    const workflowId = uniqueId('deploy-unanswered');
    // A deploy on a task queue no worker polls: nothing can answer a query.
    const handle = await client.workflow.start('deploy', {
      taskQueue: uniqueId('nobody-polls'),
      workflowId,
      args: [{}],
    });
    try {
      const began = Date.now();
      const err: unknown = await readingsFetcher(
        client,
        1_500,
      )({
        workflowId,
        readings: [0],
        hosts: ['web-1'],
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPhasedError(err, 'READINGS_UNANSWERED')).toBe(true);
      expect(isPhasedError(err) && err.retryable).toBe(true);
      expect(String(err)).toContain(`deploy ${workflowId} did not answer`);
      // Not before its deadline, and (with room for a loaded machine) not long after.
      expect(Date.now() - began).toBeGreaterThanOrEqual(1_500);
      expect(Date.now() - began).toBeLessThan(30_000);
    } finally {
      await handle.terminate('test finished');
    }
  });
});
