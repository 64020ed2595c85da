// Shared Temporal plumbing for tests: the run's dev server and workflow
// bundle (from the global setup), a worker scoped to one test, unique ids.
import { phasedDataConverter } from '../../src/app/temporal/codec.js';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import type { Activities } from '../../activities/index.js';
import type { WorkerVersion } from '../../src/app/temporal/versioning.js';
import { pollingWorkers } from '../../src/app/client.js';
import { eventually } from '../../src/poll.js';
import { closeTransports, createPhasedWorker, realActivities } from '../../src/app/worker.js';
import { testClusterStore } from './clusters.js';

export function sharedServer() {
  return {
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
    uiUrl: inject('temporalUiUrl'),
  };
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function sharedClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const { address, namespace } = sharedServer();
  const connection = await Connection.connect({ address });
  return {
    client: new Client({ connection, namespace, dataConverter: phasedDataConverter }),
    close: () => connection.close(),
  };
}

/**
 * Runs `fn` while a worker on its own task queue serves the shared server,
 * then shuts the worker down even if `fn` throws.
 */
export async function withWorker<T>(
  options: {
    activities?: Activities;
    /** Changes some of the real activities (ignored with `activities`). */
    wrap?: (real: Activities) => Activities;
    taskQueue?: string;
    identity?: string;
    maxConcurrentActivityTaskExecutions?: number;
    /** Poll as this Worker Deployment Version (unversioned without). */
    version?: WorkerVersion;
  },
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const { address, namespace } = sharedServer();
  const taskQueue = options.taskQueue ?? uniqueId('tq');
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  const client = new Client({
    connection: clientConnection,
    namespace,
    dataConverter: phasedDataConverter,
  });
  const worker = await createPhasedWorker({
    connection,
    namespace,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities:
      options.activities ??
      (options.wrap ?? ((real) => real))(
        realActivities({
          client,
          taskQueue,
          identity: options.identity,
          clusters: testClusterStore(),
        }),
      ),
    identity: options.identity,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
    ...(options.version ? { version: options.version } : {}),
  });
  try {
    // Start `fn` once Temporal sees the worker poll, so a command that checks
    // for a worker (phased deploy, status) never races the first poll.
    return await worker.runUntil(async () => {
      await eventually(async () => (await pollingWorkers({ client, taskQueue })).length > 0, {
        what: `a poller on ${taskQueue}`,
        intervalMs: 50,
      });
      return fn(taskQueue);
    });
  } finally {
    await closeTransports();
    await connection.close();
    await clientConnection.close();
  }
}

export { historyText } from './history-text.js';
