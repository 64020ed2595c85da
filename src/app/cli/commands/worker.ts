// phased worker: a worker polling as a Worker Deployment Version until Ctrl-C.
import type { Command } from 'commander';
import { existingServer, type TemporalServer } from '../../devserver.js';
import { projectRoot } from '../../../paths.js';
import { DEFAULT_DEPLOYMENT_NAME } from '../../temporal/versioning.js';
import { workerVersionOf, type VersionFlags } from '../versions.js';
import { clustersDir, startPhasedWorker, workerClusters } from '../../worker.js';
import { untilInterrupted, describeServer, version } from '../common.js';
import { connectClient, ensureSearchAttributes } from '../../temporal/connect.js';

/** A fresh cluster learns phased's search attributes from its first worker. */
async function registerSearchAttributes(server: TemporalServer) {
  const connection = await connectClient({
    address: server.address,
    settings: server.settings,
    fromEnv: !server.embedded,
  });
  try {
    await ensureSearchAttributes(connection, server.namespace);
  } finally {
    await connection.close();
  }
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'Run a phased worker until Ctrl-C, against TEMPORAL_ADDRESS or the server of `phased server`.',
    )
    .option(
      '--clusters <dir>',
      'the cluster files this worker holds, one <cluster>.yaml each (default: $PHASED_CONFIG_DIR or ./clusters); deploys name a cluster, the worker reads its file',
    )
    .option(
      '--deployment-name <name>',
      `the installation's Temporal Worker Deployment (default: $PHASED_DEPLOYMENT_NAME or ${DEFAULT_DEPLOYMENT_NAME})`,
    )
    .option(
      '--build-id <id>',
      "this worker's build (default: $PHASED_BUILD_ID, else phased's version and, in a git checkout, its commit)",
    )
    .option(
      '--no-versioning',
      'poll as an unversioned worker (a Temporal server older than 1.29.1, or a task queue without Worker Versioning)',
    )
    .action(async (opts: { clusters?: string } & VersionFlags) => {
      const server = existingServer();
      const clusters = workerClusters(clustersDir(opts.clusters));
      const workerVersion = workerVersionOf(opts, process.env, { version, root: projectRoot });
      await registerSearchAttributes(server);
      // A workflow bundle built ahead (npm run build, a container image) saves the bundling at start.
      const bundle = process.env.PHASED_WORKFLOW_BUNDLE;
      const worker = await startPhasedWorker(server, {
        clusters,
        ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
        ...(workerVersion ? { version: workerVersion } : {}),
      });
      const held = clusters.clusters();
      // The first SIGINT or SIGTERM drains the worker once: running activities
      // finish or are handed on, then it exits 0. A second signal ends it at
      // once. Listening before the line that says the worker is up.
      const interrupted = untilInterrupted();
      const versionNote = !workerVersion
        ? 'unversioned'
        : worker.current === workerVersion.buildId
          ? `build ${workerVersion.buildId} of worker deployment ${workerVersion.deploymentName} (current)`
          : `build ${workerVersion.buildId} of worker deployment ${workerVersion.deploymentName}; current is ${worker.current}: new deploys start there until phased upgrade ${workerVersion.buildId}`;
      console.log(
        `phased: worker on task queue ${server.settings.taskQueue}, ${describeServer(server)}; ${versionNote}; clusters from ${clusters.dir}: ${held.length ? held.join(', ') : 'none yet'}`,
      );
      await interrupted;
      console.log('phased: draining the worker');
      await worker.stop();
      console.log('phased: worker stopped');
    });
}
