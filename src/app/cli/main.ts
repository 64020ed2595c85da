#!/usr/bin/env node
// The `phased` command. Commander parses (help and errors for free); each
// command is a module of commands/ over the client, worker and server modules.
import { Command, CommanderError } from 'commander';
import { EXIT_ERROR } from './format.js';
import { describeCause, PhasedError } from '../../errors.js';
import { isUnreachable } from './outage.js';
import { errorText, version } from './common.js';
import { installRuntime } from '../worker.js';
import { registerConfig } from './commands/config.js';
import { registerDemo } from './commands/demo.js';
import { registerDeploy } from './commands/deploy.js';
import { registerHistory } from './commands/history.js';
import { registerOperate } from './commands/operate.js';
import { registerPlan } from './commands/plan.js';
import { registerPreflight } from './commands/preflight.js';
import { registerReport } from './commands/report.js';
import { registerRollback } from './commands/rollback.js';
import { registerServer } from './commands/server.js';
import { registerSetup } from './commands/setup.js';
import { registerStatus } from './commands/status.js';
import { registerUpgrade } from './commands/upgrade.js';
import { registerWorker } from './commands/worker.js';

const program = new Command('phased')
  .description('Continuous deployment for fleets of web servers, on Temporal.')
  .version(version, '-V, --version', 'print the version of phased')
  // Read where colours are decided (src/app/cli/style.ts); declared so commander accepts it.
  .option('--no-color', 'no colours, even on a terminal (also: NO_COLOR=1)')
  // Usage errors throw instead of exiting 1, so they exit 2 like any bad input.
  .exitOverride()
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Exit codes: 0 live/done, 2 bad input, usage error or refused command, 3 rolled back, 4 aborted, 5 failed, 6 superseded.
Connection: TEMPORAL_ADDRESS (default: the local server of "phased server"), TEMPORAL_NAMESPACE, PHASED_TASK_QUEUE.`,
  );

// In the order `phased --help` lists them.
for (const register of [
  registerDeploy,
  registerPlan,
  registerStatus,
  registerOperate,
  registerRollback,
  registerConfig,
  registerHistory,
  registerReport,
  registerDemo,
  registerPreflight,
  registerSetup,
  registerServer,
  registerWorker,
  registerUpgrade,
])
  register(program);

installRuntime();
try {
  await program.parseAsync();
} catch (err) {
  // A server that goes away between connecting and a call is an error to
  // read, not an SDK stack (following a running deploy rides it out instead).
  const shown = isUnreachable(err)
    ? new PhasedError({
        code: 'TEMPORAL_UNREACHABLE',
        problem: `Temporal stopped answering: ${describeCause(err)}`,
        fix: 'check that the Temporal server is up (phased server, or TEMPORAL_ADDRESS) and run the command again',
      })
    : err;
  if (err instanceof CommanderError) {
    // Help and --version end with 0; everything else commander refuses is a usage error.
    const fine = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
    process.exitCode = fine.includes(err.code) ? 0 : EXIT_ERROR;
  } else if (shown instanceof PhasedError) {
    console.error(errorText(shown, 'error'));
    process.exitCode = EXIT_ERROR;
  } else {
    throw err;
  }
}
