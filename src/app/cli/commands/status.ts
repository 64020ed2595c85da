// phased status: the running deploy of a cluster, what waits, and drift when nothing runs.
import type { Command } from 'commander';
import {
  checkFleet,
  workflowRunning,
  clusterQueueState,
  deployStatus,
  runningDeploys,
  noWorker,
  visibleDeploy,
  workerPolls,
} from '../../client.js';
import { EXIT_CODES, historyTable, outcomeBlock, statusBlock } from '../format.js';
import { driftLines } from '../../../core/drift.js';
import { type deploy } from '../../../../workflows/deploy.js';
import { operatorName, withClient, errorText, print } from '../common.js';
import { follow } from '../follow.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'Show the running deploy of a cluster (and what waits); without a cluster, every running deploy.',
    )
    .argument('[cluster]', 'cluster name')
    .option('--workflow <id>', 'a specific deploy')
    .option(
      '--watch',
      'follow the deploy until it ends (through Temporal outages), then exit with its outcome',
    )
    .option(
      '--no-hosts',
      "with no deploy running, skip reading each host's release (drift from the recorded live release)",
    )
    .option('--json', 'machine-readable output')
    .action(
      async (
        cluster: string | undefined,
        opts: { workflow?: string; watch?: boolean; json?: boolean; hosts?: boolean },
      ) => {
        await withClient(async (pc) => {
          if (!cluster && !opts.workflow) {
            const rows = await runningDeploys(pc);
            print(opts.json, rows, rows.length ? historyTable(rows) : 'no deploy is running');
            return;
          }
          // A running deploy answers through a worker; without one, say so and
          // show what Temporal's visibility store holds (its search attributes).
          if (!(await workerPolls(pc))) {
            if (opts.watch) throw noWorker(pc, 'no deploy can be followed');
            const err = noWorker(pc, 'no running deploy can answer its status');
            console.error(
              errorText(err, 'warning', "; showing what Temporal's visibility store holds"),
            );
            const rows = opts.workflow
              ? [await visibleDeploy(pc, opts.workflow)].filter((r) => r !== undefined)
              : await runningDeploys(pc, 100, cluster);
            const none = opts.workflow
              ? `no deploy ${opts.workflow} in Temporal`
              : `no deploy is running on cluster ${cluster}`;
            print(
              opts.json,
              {
                cluster: cluster ?? null,
                workflowId: rows[0]?.workflowId ?? null,
                status: null,
                waiting: [],
                visibility: rows,
              },
              rows.length ? historyTable(rows) : none,
            );
            return;
          }
          const queue = cluster ? await clusterQueueState(pc, cluster) : null;
          // A holder terminated from the Temporal UI holds the queue until the
          // queue notices: it is not running, whatever the queue says.
          const holder = queue?.holder ?? null;
          const holderRuns = holder ? await workflowRunning(pc, holder.workflowId) : false;
          const id =
            opts.workflow ??
            (holderRuns && holder?.kind === 'deploy' ? holder.workflowId : undefined);
          if (opts.watch && id) {
            const handle = pc.client.workflow.getHandle<typeof deploy>(id);
            const outcome = await follow(handle, opts.json, cluster ?? '<cluster>');
            print(opts.json, { workflowId: id, ...outcome }, outcomeBlock(outcome));
            process.exitCode = EXIT_CODES[outcome.outcome];
            return;
          }
          const status = id ? await deployStatus(pc, id) : null;
          const waiting = queue?.waiting ?? [];
          // With nothing running on the cluster, its hosts should all be on the
          // release its history says is live: say so, or name the drift.
          const fleet =
            cluster && !opts.workflow && !holderRuns && opts.hosts !== false
              ? await checkFleet(pc, cluster, operatorName(undefined))
              : undefined;
          const text = [
            status && id ? statusBlock(id, status) : `no deploy is running on cluster ${cluster}`,
            ...waiting.map((w) => `  waiting: ${w.kind} ${w.revision} (${w.workflowId})`),
            ...(fleet && cluster ? driftLines(cluster, fleet) : []),
          ].join('\n');
          print(
            opts.json,
            {
              cluster: cluster ?? status?.cluster ?? null,
              workflowId: id ?? null,
              status,
              waiting,
              ...(fleet ? { fleet: { ...fleet, drift: fleet.off.length > 0 } } : {}),
            },
            text,
          );
        });
      },
    );
}
