// phased history: a cluster's recent deploys and rollbacks.
import type { Command } from 'commander';
import { Option } from 'commander';
import { clusterHistory } from '../../client.js';
import { historyTable } from '../format.js';
import { withClient, print, positiveInt } from '../common.js';

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description('Recent deploys and rollbacks of a cluster, newest first.')
    .argument('<cluster>', 'cluster name')
    .addOption(new Option('--limit <n>', 'how many').default(20).argParser(positiveInt))
    .option('--json', 'machine-readable output')
    .action(async (cluster: string, opts: { limit: number; json?: boolean }) => {
      await withClient(async (pc) => {
        const rows = await clusterHistory(pc, cluster, opts.limit);
        print(opts.json, rows, historyTable(rows));
      });
    });
}
