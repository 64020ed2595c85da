// A deploy's unsuccessful outcome is not a worker warning; every other
// "Workflow failed" (a bug, a non-determinism) still is.
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { isDeployOutcome } from '../../../src/app/temporal/worker-log.js';

describe('the worker log', () => {
  it('leaves out the failures that carry a deploy outcome, and only those', () => {
    const failed = (error: unknown) => ({ message: 'Workflow failed', meta: { error } });
    expect(
      isDeployOutcome(
        failed(ApplicationFailure.create({ type: 'DEPLOY_ROLLED_BACK', message: 'x' })),
      ),
    ).toBe(true);
    expect(
      isDeployOutcome(failed(ApplicationFailure.create({ type: 'DEPLOY_ABORTED', message: 'x' }))),
    ).toBe(true);
    expect(
      isDeployOutcome(failed(ApplicationFailure.create({ type: 'SOMETHING_ELSE', message: 'x' }))),
    ).toBe(false);
    expect(isDeployOutcome(failed(new TypeError('bug')))).toBe(false);
    // As the workflow thread hands it over: structured-cloned, without its type.
    const cloned = (message: string, type = 'DEPLOY_ROLLED_BACK') =>
      failed(structuredClone(ApplicationFailure.create({ type, message })));
    expect(isDeployOutcome(cloned('rolled_back: web <- v3: canary regression: http_5xx'))).toBe(
      true,
    );
    expect(isDeployOutcome(cloned('aborted: web <- v3: aborted by erin'))).toBe(true);
    expect(isDeployOutcome(cloned('cannot read properties of undefined', 'TypeError'))).toBe(false);
    expect(isDeployOutcome(failed(structuredClone(new Error('rolled_back: web <- v3: x'))))).toBe(
      false,
    );
    expect(
      isDeployOutcome({ message: 'Activity failed', meta: { error: { type: 'DEPLOY_FAILED' } } }),
    ).toBe(false);
  });
});
