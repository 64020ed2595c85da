// phased preflight: a round-trip workflow that proves server and worker are wired.
import type { Command } from 'commander';
import { createPhasedClient, runPreflight } from '../../client.js';
import { startOrConnect } from '../../devserver.js';
import { clustersDir, startPhasedWorker, workerClusters } from '../../worker.js';
import { operatorName, untilInterrupted, describeServer } from '../common.js';

export function registerPreflight(program: Command): void {
  program
    .command('preflight')
    .description(
      'Start (or reach) Temporal and a worker, and run a round-trip workflow that proves they are wired.',
    )
    .option('--operator <name>', 'who is asking (default: $PHASED_OPERATOR or $USER)')
    .option('--keep', 'keep the server and worker running until Ctrl-C')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { operator?: string; keep?: boolean; json?: boolean }) => {
      const server = await startOrConnect();
      try {
        if (!opts.json) console.log(`phased: ${describeServer(server)}`);
        const worker = await startPhasedWorker(server, {
          clusters: workerClusters(clustersDir()),
        });
        try {
          const client = await createPhasedClient(server);
          try {
            const { workflowId, result } = await runPreflight(client, {
              requestedBy: operatorName(opts.operator),
            });
            if (opts.json) {
              console.log(JSON.stringify({ workflowId, uiUrl: server.uiUrl ?? null, ...result }));
            } else {
              console.log(
                `phased: preflight ${workflowId} ran on worker ${result.worker.identity} (node ${result.worker.node})`,
              );
              if (server.uiUrl)
                console.log(
                  `phased: inspect it at ${server.uiUrl}/namespaces/${server.namespace}/workflows/${workflowId}`,
                );
            }
          } finally {
            await client.close();
          }
          if (opts.keep) {
            console.log('phased: server and worker are up; Ctrl-C stops them');
            await untilInterrupted();
          }
        } finally {
          await worker.stop();
        }
      } finally {
        await server.stop();
      }
    });
}
