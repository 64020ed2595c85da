// The tiers that start no servers still get one scratch directory per run
// (the `testTmpDir` the Temporal tiers get from global.ts), removed at the
// end, so helpers never leave a directory behind in the machine's /tmp.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

export default async function setup(project: TestProject) {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'phased-test-'));
  project.provide('testTmpDir', tmp);
  return () => rm(tmp, { recursive: true, force: true });
}
