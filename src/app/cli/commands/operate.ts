// phased pause / resume / abort / promote: an operator's command to the running deploy.
import type { Command } from 'commander';
import { activeDeploy, operate, assertWorkerPolls } from '../../client.js';
import { statusLine } from '../format.js';
import { PhasedError } from '../../../errors.js';
import type { OperatorCommand, PromoteIntent } from '../../../core/vocabulary.js';
import { operatorName, withClient, print } from '../common.js';

/** A promote says which it is: skipping a hold, or answering a pause (never a guess). */
function promoteIntent(
  command: OperatorCommand,
  opts: { skip?: boolean; proceed?: boolean },
): PromoteIntent | undefined {
  if (command !== 'promote') return undefined;
  if (opts.skip === opts.proceed)
    throw new PhasedError({
      code: 'DEPLOY_REJECTED',
      problem: 'promote needs exactly one of --skip and --proceed',
      fix: '--skip skips the rest of the running soak or watch and its verdict; --proceed answers a paused deploy (an inconclusive verdict) and goes on',
    });
  return opts.skip ? 'skip' : 'proceed';
}

export function registerOperate(program: Command): void {
  for (const command of [
    'pause',
    'resume',
    'abort',
    'promote',
  ] as const satisfies readonly OperatorCommand[]) {
    const help = {
      pause: 'Hold the running deploy (timers stop counting) until resumed.',
      resume: 'Continue a paused deploy (after an inconclusive verdict: proceed).',
      abort: 'Stop the deploy and roll back every host it switched.',
      promote:
        'With --skip: skip the rest of the running soak or watch and its verdict. With --proceed: answer a paused deploy (an inconclusive verdict) and go on.',
    }[command];
    const cmd = program
      .command(command)
      .description(help)
      .argument('<cluster>', 'cluster name')
      .requiredOption('--reason <text>', 'why (recorded in the workflow history)')
      .option('--operator <name>', 'who (default: $PHASED_OPERATOR or $USER)')
      .option('--workflow <id>', 'a specific deploy (default: the one running on the cluster)')
      .option('--json', 'machine-readable output');
    if (command === 'promote')
      cmd
        .option('--skip', 'skip the rest of the running soak or watch, and its verdict')
        .option('--proceed', 'answer a paused deploy (an inconclusive verdict): go on');
    cmd.action(
      async (
        cluster: string,
        opts: {
          reason: string;
          operator?: string;
          workflow?: string;
          json?: boolean;
          skip?: boolean;
          proceed?: boolean;
        },
      ) => {
        const intent = promoteIntent(command, opts);
        await withClient(async (pc) => {
          await assertWorkerPolls(pc, `nothing can ${command} a deploy now`);
          const id = opts.workflow ?? (await activeDeploy(pc, cluster));
          const status = await operate(pc, id, command, {
            operator: operatorName(opts.operator),
            reason: opts.reason,
            ...(intent ? { intent } : {}),
          });
          print(
            opts.json,
            { workflowId: id, status },
            `phased: ${command} accepted by ${id}\n  ${statusLine(status)}`,
          );
        });
      },
    );
  }
}
