// phased plan: what a deploy of a cluster would do, from its file alone (no Temporal).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { digestOfText, shortDigest } from '../../../config/store.js';
import { formatPlan, loadForPlanning, scheduleLooks } from '../../../config/look-schedule.js';
import { print } from '../common.js';

function configPath(cluster: string, flag: string | undefined): string {
  return flag ?? path.join(process.env.PHASED_CONFIG_DIR ?? 'clusters', `${cluster}.yaml`);
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      'Print what a deploy of this cluster would do, without Temporal: canaries, waves, holdback, readings, each look with its alpha, and what every metric needs to decide.',
    )
    .requiredOption('--cluster <name>', 'cluster to plan')
    .option(
      '--config <file>',
      'cluster configuration (default: $PHASED_CONFIG_DIR/<cluster>.yaml or clusters/<cluster>.yaml)',
    )
    .option('--json', 'machine-readable output')
    .action((opts: { cluster: string; config?: string; json?: boolean }) => {
      // A configuration whose looks could never decide is refused by the planning step.
      const file = configPath(opts.cluster, opts.config);
      const config = loadForPlanning(
        file,
        opts.cluster,
        () => `pass --config with the file of cluster ${opts.cluster}`,
      );
      const digest = digestOfText(readFileSync(file));
      const lines = [
        `configuration: ${file} ${shortDigest(digest)} (a deploy records the digest of the worker's copy: compare)`,
        ...(config.access
          ? []
          : [
              'warning: no access list: anyone who can start workflows in the namespace may deploy, roll back and operate this cluster (add access: to the file)',
            ]),
        ...formatPlan(config),
      ];
      print(opts.json, { ...scheduleLooks(config), configDigest: digest, file }, lines.join('\n'));
    });
}
