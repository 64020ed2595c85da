// phased plan: what a deploy of a cluster would do, from its file alone (no Temporal).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { digestOfText, shortDigest } from '../../../config/store.js';
import { loadClusterConfig } from '../../../config/load.js';
import { assertDecidable, formatPlan, scheduleLooks } from '../../../config/look-schedule.js';
import { PhasedError } from '../../../errors.js';
import { print } from '../common.js';

function configPath(cluster: string, flag: string | undefined): string {
  return flag ?? path.join(process.env.PHASED_CONFIG_DIR ?? 'clusters', `${cluster}.yaml`);
}

/** A cluster's file, loaded and planned: refused when its looks could never decide. */
function loadConfig(file: string, cluster: string) {
  const config = loadClusterConfig(file);
  assertDecidable(config, file);
  if (config.cluster !== cluster)
    throw new PhasedError({
      code: 'CONFIG_INVALID',
      problem: `${file} describes cluster ${config.cluster}, not ${cluster}`,
      fix: `pass --config with the file of cluster ${cluster}`,
    });
  return config;
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
      const config = loadConfig(file, opts.cluster);
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
