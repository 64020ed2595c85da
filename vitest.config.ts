// Test tiers are vitest projects, kept apart by directory:
//   unit         pure logic, no servers
//   activities   activities in a mocked activity context (heartbeats, retries), real files
//   workflow     real workflow code on Temporal's servers, activities faked
//   integration  real activities, real dev server, real worker
//   e2e          the `phased` command as a user runs it
// The tiers that need Temporal share one global setup that bundles the
// workflows once and starts one dev server on dynamic ports
// (test/setup/global.ts); the others get only a scratch directory
// (test/setup/scratch.ts). Temporal's native bridge
// needs the forks pool, not worker threads. Three test files run at once, on
// two CPUs too: most of the integration and end-to-end time is spent
// waiting on soaks, watches and server restarts, not on the CPU (on a 2-CPU
// machine vitest took 588 s with two, 452 s with three, 587 s with three
// beside a busy CPU; scripts/repeat-tests.sh checks that the
// suite still holds beside a busy CPU).
import { defineConfig } from 'vitest/config';

const tier = (name: string, timeoutMs: number, { temporal = true } = {}) => ({
  extends: true as const,
  test: {
    name,
    include: [`test/${name}/**/*.test.ts`],
    testTimeout: timeoutMs,
    globalSetup: temporal ? ['test/setup/global.ts'] : ['test/setup/scratch.ts'],
    // The SDK's runtime (quieted) is loaded only where the SDK runs.
    setupFiles: temporal ? ['test/setup/quiet-sdk.ts'] : [],
  },
});

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 3,
    hookTimeout: 60_000,
    projects: [
      tier('unit', 10_000, { temporal: false }),
      tier('activities', 30_000, { temporal: false }),
      tier('workflow', 60_000),
      tier('integration', 120_000),
      tier('e2e', 180_000),
    ],
  },
});
