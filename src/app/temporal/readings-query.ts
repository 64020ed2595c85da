// The judge activity reads a look's readings from the deploy workflow with a
// query. A query waits for the workflow's worker to answer it; one that is
// never answered (the deploy's worker gone, or a query the server held back
// behind a workflow task) would hold the judge for its whole two-minute
// timeout. A deadline per query turns that into a retryable failure of the
// look: Temporal runs the judge again a second later and the query is asked
// afresh.
import type { Client } from '@temporalio/client';
import { snapshotsQuery } from '../../../workflows/deploy.js';
import type { SnapshotRequest } from '../../../activities/metrics.js';
import type { Snapshot } from '../../judge/types.js';
import { PhasedError } from '../../errors.js';

/** Long enough for a worker to replay a large deploy's history to answer. */
export const READINGS_QUERY_DEADLINE_MS = 20_000;

export function readingsFetcher(
  client: Client,
  deadlineMs = READINGS_QUERY_DEADLINE_MS,
): (req: SnapshotRequest) => Promise<Record<string, (Snapshot | null)[]>> {
  return async ({ workflowId, readings, hosts }) => {
    const deadline = Date.now() + deadlineMs;
    try {
      return await client.withDeadline(deadline, () =>
        client.workflow.getHandle(workflowId).query(snapshotsQuery, { readings, hosts }),
      );
    } catch (err) {
      if (Date.now() < deadline) throw err;
      throw new PhasedError({
        code: 'READINGS_UNANSWERED',
        problem: `deploy ${workflowId} did not answer the judge's query for its readings within ${deadlineMs / 1000} s`,
        fix: 'none needed: Temporal runs the look again; if it repeats, check that the deploy has a running worker (phased worker)',
        retryable: true,
        cause: err,
      });
    }
  };
}
