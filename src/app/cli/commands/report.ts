// phased report: a deploy's canary report, rebuilt from its Temporal history.
import type { Command } from 'commander';
import { writeReport } from '../../report/index.js';
import { withClient, print } from '../common.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      "Write a deploy's canary report: one HTML page with charts of canary against control, every look's verdict and numbers, hosts, switches, phases and operator actions, rebuilt from its Temporal history (no worker needed).",
    )
    .argument('<deploy>', "a deploy's workflow id, or a cluster name for its newest deploy")
    .option('--out <file>', 'where to write it (default: phased-report-<workflow id>.html here)')
    .option('--json', 'machine-readable output')
    .action(async (target: string, opts: { out?: string; json?: boolean }) => {
      await withClient(async (pc) => {
        const { file, record } = await writeReport(pc, target, opts.out);
        const ended = record.outcome ? record.outcome.outcome : 'running';
        print(
          opts.json,
          { workflowId: record.workflowId, outcome: record.outcome?.outcome ?? null, file },
          `phased: report of ${record.workflowId} (${ended}) written to ${file}`,
        );
      });
    });
}
