// Records the history of a full deploy (fake fleet, time-skipping server) for
// the replay test. Re-record only on purpose, when a workflow change is meant
// to be incompatible with running deploys:
//
//   npx tsx test/workflow/record-history.ts
import { outcomeOf } from '../../src/client.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { projectRoot } from '../../src/paths.js';
import { temporalBinary } from '../../src/temporal/binaries.js';
import { bundleWorkflows, installRuntime } from '../../src/worker.js';
import { deploy } from '../../workflows/deploy.js';
import { FakeFleet, fakeClusterFiles, testConfig } from '../helpers/fake-fleet.js';

installRuntime('ERROR');
const HOSTS = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6'];
const env = await TestWorkflowEnvironment.createTimeSkipping({
  server: { executable: { type: 'existing-path', path: temporalBinary('temporal-test-server') } },
});
try {
  const fleet = new FakeFleet(HOSTS);
  fakeClusterFiles.set('replay', testConfig('replay', HOSTS));
  const taskQueue = 'record-history';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflows(),
    activities: fleet.activities(env.client, taskQueue),
  });
  const history = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(deploy, {
      taskQueue,
      workflowId: 'deploy-replay-v2',
      args: [
        {
          cluster: 'replay',
          revision: 'v2',
          source: '/build',
          operator: 'ci',
          requestedAt: 1,
        },
      ],
    });
    await outcomeOf(handle);
    return handle.fetchHistory();
  });
  const file = path.join(projectRoot, 'test/workflow/histories/deploy-worker-config.json');
  writeFileSync(file, JSON.stringify(history) + '\n');
  console.log(`wrote ${history.events?.length} events to ${file}`);
} finally {
  await env.teardown();
}
