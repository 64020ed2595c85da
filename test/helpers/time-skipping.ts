// Temporal's time-skipping test server for workflow-logic tests. The SDK
// gives the server it spawns a fixed 5 s to accept connections, then kills
// it: on a loaded machine a start can miss that. The start is a condition
// polled under a deadline like any other: each attempt the SDK gave up on
// (its process already killed) is followed by another, until a deadline that
// leaves room for a busy machine. Any other error ends the start at once.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalBinary } from '../../src/app/temporal/binaries.js';

const STARTUP_TIMEOUT = /did not start within/;

export async function startTimeSkipping(deadlineMs = 45_000): Promise<TestWorkflowEnvironment> {
  const until = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({
        server: {
          executable: { type: 'existing-path', path: temporalBinary('temporal-test-server') },
        },
      });
    } catch (err) {
      const slowStart = STARTUP_TIMEOUT.test(String((err as Error)?.message ?? err));
      if (!slowStart || Date.now() >= until) throw err;
    }
  }
}
