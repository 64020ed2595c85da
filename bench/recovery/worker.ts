// A phased worker for the recovery benchmark: the real activities, on local
// hosts reached through a transport that adds a fixed delay to every remote
// step, as a slow link would, so that a kill lands inside a step. Prints
// "ready" once it polls. Killed with SIGKILL by the benchmark: nothing of it
// runs cleanup, as with a machine that dies.
//   env: TEMPORAL_ADDRESS, PHASED_TASK_QUEUE, PHASED_WORKFLOW_BUNDLE,
//        RECOVERY_IDENTITY, RECOVERY_DELAY_MS
import { ClusterStore } from '../../src/config/store.js';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { HostTransport } from '../../src/transport/types.js';
import {
  createPhasedWorker,
  installRuntime,
  realActivityDeps,
  realHostDeps,
} from '../../src/app/worker.js';

installRuntime('ERROR');
const address = process.env.TEMPORAL_ADDRESS!;
const taskQueue = process.env.PHASED_TASK_QUEUE!;
const identity = process.env.RECOVERY_IDENTITY!;
const ms = Number(process.env.RECOVERY_DELAY_MS ?? 2000);

const local = new LocalTransport();
const slow: HostTransport = {
  exec: async (h, argv, o) => (await delay(ms), local.exec(h, argv, o)),
  start: async (h, argv) => (await delay(ms), local.start(h, argv)),
  sync: async (h, o) => (await delay(ms), local.sync(h, o)),
};

const connection = await NativeConnection.connect({ address });
const client = new Client({ connection: await Connection.connect({ address }) });
const clusters = new ClusterStore(process.env.PHASED_CONFIG_DIR!);
const deps = realActivityDeps({ client, taskQueue, identity, clusters });
const worker = await createPhasedWorker({
  connection,
  namespace: 'default',
  taskQueue,
  identity,
  workflowBundle: { codePath: process.env.PHASED_WORKFLOW_BUNDLE! },
  activities: createActivities({
    ...deps,
    hosts: { ...realHostDeps(clusters), transport: () => slow },
    metrics: { ...deps.metrics, transport: () => slow },
  }),
});
const running = worker.run();
console.log('ready');
await running;
