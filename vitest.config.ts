// Test tiers are vitest projects, kept apart by directory:
//   unit         pure logic, no servers
//   workflow     real workflow code on Temporal's servers, activities faked
//   integration  real activities, real dev server, real worker
//   e2e          the `phased` command as a user runs it
// One global setup per run bundles the workflows once and starts one dev
// server on dynamic ports (test/setup/global.ts). Temporal's native bridge
// needs the forks pool, not worker threads. Two test files run at once: most
// of the integration and end-to-end time is spent waiting on soaks, watches
// and server restarts, not on the CPU.
import { defineConfig } from 'vitest/config';

const tier = (name: string, timeoutMs: number) => ({
  extends: true as const,
  test: { name, include: [`test/${name}/**/*.test.ts`], testTimeout: timeoutMs },
});

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/quiet-sdk.ts'],
    hookTimeout: 60_000,
    projects: [
      tier('unit', 10_000),
      tier('workflow', 60_000),
      tier('integration', 120_000),
      tier('e2e', 180_000),
    ],
  },
});
