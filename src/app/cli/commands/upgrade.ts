// phased upgrade: move new deploys to a build of the workers, or list the builds.
import os from 'node:os';
import type { Command } from 'commander';
import { PhasedError } from '../../../errors.js';
import {
  checkVersionPart,
  DEFAULT_DEPLOYMENT_NAME,
  describeDeployment,
  makeCurrent,
} from '../../temporal/versioning.js';
import { deploymentNameOf, versionsText } from '../versions.js';
import { installRuntime } from '../../worker.js';
import { withClient, print } from '../common.js';

export function registerUpgrade(program: Command): void {
  program
    .command('upgrade')
    .description(
      "Move new deploys and rollbacks to a build of phased's workers (running ones finish on the build they started on); without a build id, show the builds and which have drained.",
    )
    .argument('[build-id]', 'the build to make current (a phased worker of it must be polling)')
    .option(
      '--deployment-name <name>',
      `the installation's Temporal Worker Deployment (default: $PHASED_DEPLOYMENT_NAME or ${DEFAULT_DEPLOYMENT_NAME})`,
    )
    .option('--json', 'machine-readable output')
    .action(
      async (buildId: string | undefined, opts: { deploymentName?: string; json?: boolean }) => {
        const deploymentName = deploymentNameOf(opts, process.env);
        await withClient(async (pc) => {
          if (buildId !== undefined)
            await makeCurrent(
              pc.client,
              { deploymentName, buildId: checkVersionPart('build id', buildId) },
              `phased upgrade (${os.userInfo().username})`,
              // Its workers poll already: a few seconds cover a poll not yet registered.
              5_000,
            );
          const known = await describeDeployment(pc.client, deploymentName);
          if (!known)
            throw new PhasedError({
              code: 'WORKER_VERSION',
              problem: `no worker of worker deployment ${deploymentName} has polled this namespace`,
              fix: 'start phased worker (it joins the deployment phased, or the one --deployment-name names)',
            });
          print(
            opts.json,
            { deploymentName, ...known },
            versionsText(deploymentName, known.versions),
          );
        });
      },
    );

  installRuntime();
}
