// phased deploy: start a deploy of a revision, and with --wait follow it to its outcome.
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { deployAccepted, startDeploy, assertWorkerPolls } from '../../client.js';
import { EXIT_CODES, EXIT_TIMEOUT, outcomeMarkdown, outcomeBlock } from '../format.js';
import { assertRevision } from '../../../releases/layout.js';
import { operatorName, withClient, print, durationArg } from '../common.js';
import { follow } from '../follow.js';

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('Deploy a revision to a cluster: stage, canary, judge, switch, watch.')
    .requiredOption('--cluster <name>', 'cluster to deploy to')
    .requiredOption('--revision <rev>', 'revision name (e.g. the commit id)')
    .requiredOption('--source <dir>', 'release tree, as the worker sees it')
    .option(
      '--operator <name>',
      "who deploys (default: the client certificate's subject, else $PHASED_OPERATOR or $USER)",
    )
    .option('--reason <text>', 'why (shown in the Temporal UI)')
    .option('--wait', 'follow the deploy and exit with its outcome')
    .addOption(
      new Option(
        '--timeout <duration>',
        `with --wait: stop waiting after this long (e.g. 20m) and exit ${EXIT_TIMEOUT}; the deploy goes on`,
      ).argParser(durationArg),
    )
    .option('--json', 'machine-readable output')
    .action(
      async (opts: {
        cluster: string;
        revision: string;
        source: string;
        operator?: string;
        reason?: string;
        wait?: boolean;
        timeout?: number;
        json?: boolean;
      }) => {
        assertRevision(opts.revision);
        // The source is a directory on the worker's machine: the worker checks
        // it (and the cluster, and who asks) before anything is copied.
        const source = path.resolve(opts.source);
        const operator = operatorName(opts.operator);
        await withClient(async (pc) => {
          await assertWorkerPolls(pc, 'the deploy was not started (it would wait for one)');
          const handle = await startDeploy(pc, {
            cluster: opts.cluster,
            revision: opts.revision,
            source,
            operator,
            reason: opts.reason,
          });
          // Refused (exit 2) when the worker holds no such cluster, the
          // operator may not deploy it, or the source is not a release.
          const accepted = await deployAccepted(handle);
          if (!opts.wait) {
            print(
              opts.json,
              { workflowId: handle.workflowId },
              `phased: started ${handle.workflowId}`,
            );
            return;
          }
          if (!opts.json) console.log(`phased: started ${handle.workflowId}`);
          const outcome = await follow(
            handle,
            opts.json,
            opts.cluster,
            opts.timeout,
            accepted?.config?.durations,
          );
          print(opts.json, { workflowId: handle.workflowId, ...outcome }, outcomeBlock(outcome));
          // On GitHub Actions, the job's summary page shows the outcome and every look.
          const summary = process.env.GITHUB_STEP_SUMMARY;
          if (summary) appendFileSync(summary, outcomeMarkdown(handle.workflowId, outcome));
          process.exitCode = EXIT_CODES[outcome.outcome];
        });
      },
    );
}
