// phased config schema: the JSON Schema of a cluster file.
import type { Command } from 'commander';
import { clusterFileJsonSchema } from '../../../config/json-schema.js';

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('About cluster files.')
    .command('schema')
    .description(
      'Print the JSON Schema of a cluster file, for editors (YAML language server) and CI checks.',
    )
    .action(() => {
      console.log(JSON.stringify(clusterFileJsonSchema(), null, 2));
    });
}
