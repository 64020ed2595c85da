// phased server: the embedded Temporal dev server until Ctrl-C.
import type { Command } from 'commander';
import { startOrConnect } from '../../devserver.js';
import { untilInterrupted, describeServer } from '../common.js';

export function registerServer(program: Command): void {
  program
    .command('server')
    .description(
      'Run the embedded Temporal dev server (SQLite under $PHASED_HOME/data) until Ctrl-C.',
    )
    .action(async () => {
      const server = await startOrConnect();
      // Listening before saying so: a Ctrl-C right after the line stops it cleanly.
      const interrupted = untilInterrupted();
      console.log(`phased: ${describeServer(server)}; Ctrl-C stops it`);
      await interrupted;
      await server.stop();
    });
}
