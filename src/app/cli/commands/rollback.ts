// phased rollback: every host of a cluster back to its previous (or a named) release.
import type { Command } from 'commander';
import { refusalOf, startRollback, outcomeOf, assertWorkerPolls } from '../../client.js';
import { EXIT_CODES, rollbackBlock } from '../format.js';
import { assertRevision } from '../../../releases/layout.js';
import { operatorName, withClient, print } from '../common.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description(
      'Switch the cluster back to the previous (or a named retained) release on every host.',
    )
    .argument('<cluster>', 'cluster name')
    .option('--to <rev>', "retained revision to return to (default: each host's previous release)")
    .option('--reason <text>', 'why', 'manual rollback')
    .option('--operator <name>', 'who (default: $PHASED_OPERATOR or $USER)')
    .option('--json', 'machine-readable output')
    .action(
      async (
        cluster: string,
        opts: { to?: string; reason: string; operator?: string; json?: boolean },
      ) => {
        if (opts.to) assertRevision(opts.to);
        const operator = operatorName(opts.operator);
        await withClient(async (pc) => {
          await assertWorkerPolls(pc, 'the rollback was not started (it would wait for one)');
          const handle = await startRollback(pc, {
            cluster,
            to: opts.to,
            operator,
            reason: opts.reason,
          });
          const outcome = await outcomeOf(handle).catch((err: unknown) => {
            throw refusalOf(err) ?? err;
          });
          print(opts.json, { workflowId: handle.workflowId, ...outcome }, rollbackBlock(outcome));
          process.exitCode = EXIT_CODES[outcome.outcome];
        });
      },
    );
}
