// What the `phased` end-to-end tests share: the environment a CLI run gets,
// a deploy waited on from the command line, and its --json outcome.
import type { LocalFleet } from './local-fleet.js';
import { sharedServer } from './temporal.js';
import { holdCluster } from './clusters.js';

/** Puts the cluster's file where the test's workers read theirs. */
export const writeConfig = (fleet: LocalFleet, doc: Record<string, unknown> = fleet.configDoc) =>
  holdCluster(doc);

export const cliEnv = (taskQueue: string) => ({
  ...process.env,
  TEMPORAL_ADDRESS: sharedServer().address,
  PHASED_TASK_QUEUE: taskQueue,
  PHASED_OPERATOR: 'ci-bot',
});

/** `phased deploy ... --wait` of `rev` (failing `rate` of requests) on a fleet. */
export const waitedDeploy = (fleet: LocalFleet, rev: string, rate = 0) => [
  'deploy',
  '--cluster',
  fleet.config.cluster,
  '--revision',
  rev,
  '--source',
  fleet.release(rev, rate),
  '--wait',
];

export const json = (stdout: string) =>
  JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
