// How integration tests drive deploys: the CLI's own client (src/app/client.ts)
// against a worker on its own task queue, both closed afterwards. One
// deployToEnd for every test that only needs an outcome.
import {
  createPhasedClient,
  startDeploy,
  startRollback,
  type PhasedClient,
  outcomeOf,
} from '../../src/app/client.js';
import { existingServer } from '../../src/app/devserver.js';
import type { DeployOutcome } from '../../workflows/model.js';
import type { RollbackOutcome } from '../../workflows/rollback.js';
import type { LocalFleet } from './local-fleet.js';
import { holdCluster } from './clusters.js';
import { sharedServer, withWorker } from './temporal.js';

/** The CLI's client on the run's server, sending work to `taskQueue`. */
export function phasedClient(taskQueue: string): Promise<PhasedClient> {
  return createPhasedClient(
    existingServer({
      ...process.env,
      TEMPORAL_ADDRESS: sharedServer().address,
      PHASED_TASK_QUEUE: taskQueue,
    }),
  );
}

export interface Deployer {
  pc: PhasedClient;
  /**
   * Starts a deploy of `revision`, whose requests fail at `errorRate` on the
   * fleet's hosts; `config` (a cluster file's document) replaces the file the
   * worker holds first, as an operator's change would.
   */
  start(
    fleet: LocalFleet,
    revision: string,
    errorRate: number,
    config?: Record<string, unknown>,
  ): ReturnType<typeof startDeploy>;
  /** The same, waiting for the outcome. */
  deploy(
    fleet: LocalFleet,
    revision: string,
    errorRate: number,
    config?: Record<string, unknown>,
  ): Promise<DeployOutcome>;
  /** A manual rollback by an operator, to its outcome. */
  rollback(
    fleet: LocalFleet,
    req?: { to?: string; operator?: string; reason?: string },
  ): Promise<RollbackOutcome>;
}

function deployer(pc: PhasedClient): Deployer {
  const start: Deployer['start'] = (fleet, revision, errorRate, config = fleet.configDoc) => {
    holdCluster(config);
    return startDeploy(pc, {
      cluster: String(config.cluster),
      revision,
      source: fleet.release(revision, errorRate),
      operator: 'ci',
    });
  };
  return {
    pc,
    start,
    deploy: async (...args) => outcomeOf(await start(...args)),
    rollback: async (fleet, { to, operator = 'erin', reason = 'test' } = {}) =>
      outcomeOf(await startRollback(pc, { cluster: fleet.config.cluster, to, operator, reason })),
  };
}

/**
 * Runs `fn` with a fresh worker and a client on its task queue (one queue
 * for the whole story: a cluster's queue workflow lives on it).
 */
export function withDeployer<T>(fn: (d: Deployer) => Promise<T>): Promise<T> {
  return withWorker({}, async (taskQueue) => {
    const pc = await phasedClient(taskQueue);
    try {
      return await fn(deployer(pc));
    } finally {
      await pc.close();
    }
  });
}

/** Deploys `revision` (failing `errorRate` of requests) on a fresh worker and waits for the outcome. */
export function deployToEnd(
  fleet: LocalFleet,
  revision: string,
  errorRate: number,
  config?: Record<string, unknown>,
): Promise<DeployOutcome> {
  return withDeployer((d) => d.deploy(fleet, revision, errorRate, config));
}
