// Runs a function in a mocked activity context, typed by what it returns
// (MockActivityEnvironment.run does not infer it).
import type { MockActivityEnvironment } from '@temporalio/testing';

export const inActivity = <R>(env: MockActivityEnvironment, fn: () => Promise<R>): Promise<R> =>
  env.run<[], R, () => Promise<R>>(fn);
