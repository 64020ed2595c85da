#!/usr/bin/env node
// The `phased` command. Commander parses; each command is a short function
// over the client, worker and server modules.
import os from 'node:os';
import { Client } from '@temporalio/client';
import { Command } from 'commander';
import { createPhasedClient, runPreflight } from './client.js';
import { existingServer, startOrConnect, type TemporalServer } from './devserver.js';
import { PhasedError } from './errors.js';
import { connectClient, connectWorker, ensureSearchAttributes } from './temporal/connect.js';
import { createPhasedWorker, installRuntime, realActivities } from './worker.js';

function operatorName(flag: string | undefined): string {
  return flag ?? process.env.PHASED_OPERATOR ?? process.env.USER ?? os.userInfo().username;
}

/** Resolves when the process receives Ctrl-C or SIGTERM. */
function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function startWorker(server: TemporalServer) {
  const target = { address: server.address, settings: server.settings, fromEnv: !server.embedded };
  const connection = await connectWorker(target);
  const clientConnection = await connectClient(target);
  const client = new Client({ connection: clientConnection, namespace: server.namespace });
  const taskQueue = server.settings.taskQueue;
  const worker = await createPhasedWorker({
    connection,
    namespace: server.namespace,
    taskQueue,
    activities: realActivities({ client, taskQueue }),
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
    },
  };
}

/** A fresh cluster learns phased's search attributes from its first worker. */
async function registerSearchAttributes(server: TemporalServer) {
  const connection = await connectClient({
    address: server.address,
    settings: server.settings,
    fromEnv: !server.embedded,
  });
  try {
    await ensureSearchAttributes(connection, server.namespace);
  } finally {
    await connection.close();
  }
}

function describeServer(server: TemporalServer): string {
  const where = server.embedded ? 'embedded Temporal dev server' : 'Temporal server';
  const ui = server.uiUrl ? `, UI at ${server.uiUrl}` : '';
  return `${where} at ${server.address} (namespace ${server.namespace}${ui})`;
}

const program = new Command('phased')
  .description('Continuous deployment for fleets of web servers, on Temporal.')
  .showHelpAfterError();

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
      const worker = await startWorker(server);
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

program
  .command('server')
  .description('Run the embedded Temporal dev server (SQLite under .phased/data) until Ctrl-C.')
  .action(async () => {
    const server = await startOrConnect();
    console.log(`phased: ${describeServer(server)}; Ctrl-C stops it`);
    await untilInterrupted();
    await server.stop();
  });

program
  .command('worker')
  .description(
    'Run a phased worker until Ctrl-C, against TEMPORAL_ADDRESS or the server of `phased server`.',
  )
  .action(async () => {
    const server = existingServer();
    await registerSearchAttributes(server);
    const worker = await startWorker(server);
    console.log(
      `phased: worker on task queue ${server.settings.taskQueue}, ${describeServer(server)}`,
    );
    await untilInterrupted();
    await worker.stop();
  });

installRuntime();
try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof PhasedError) {
    console.error(`phased: error [${err.code}]: ${err.problem}\n  fix: ${err.fix}`);
    process.exitCode = 2;
  } else {
    throw err;
  }
}
