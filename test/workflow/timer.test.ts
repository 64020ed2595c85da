// Durable timers on Temporal's time-skipping test server: a 5-minute hold
// (the kind of timer a canary soak uses) completes without waiting 5 minutes.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { Activities } from '../../activities/index.js';
import type { preflight } from '../../workflows/preflight.js';
import { startTimeSkipping } from '../helpers/time-skipping.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTimeSkipping();
});

afterAll(async () => {
  await env?.teardown();
});

const fakeActivities: Pick<Activities, 'describeWorker'> = {
  describeWorker: () =>
    Promise.resolve({ hostname: 'fake-host', pid: 1, node: 'v0', identity: 'fake-worker' }),
};

describe('preflight on the time-skipping test server', () => {
  it('skips a 5-minute timer: server time advances 5 minutes while wall time does not', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'timer-test',
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: fakeActivities,
    });
    const fiveMinutes = 5 * 60_000;
    const serverStart = await env.currentTimeMs();
    const wallStart = performance.now();
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof preflight>('preflight', {
        taskQueue: 'timer-test',
        workflowId: 'timer-test',
        args: [{ requestedBy: 'test', holdMs: fiveMinutes }],
      }),
    );
    const wallMs = performance.now() - wallStart;
    const serverMs = (await env.currentTimeMs()) - serverStart;

    expect(result.worker.identity).toBe('fake-worker');
    expect(result.heldMs).toBe(fiveMinutes);
    expect(serverMs).toBeGreaterThanOrEqual(fiveMinutes);
    // The point is that the hold was skipped, not how fast this machine is:
    // compare with the hold itself rather than a tight wall-clock budget.
    expect(wallMs).toBeLessThan(fiveMinutes / 10);
    console.info(`5-minute timer: ${wallMs.toFixed(0)} ms of wall time`);
  });
});
