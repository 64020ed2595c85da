// The client side of phased: a Temporal client on phased's namespace, and the
// calls the CLI makes through it.
import { Client } from '@temporalio/client';
import type { TemporalServer } from './devserver.js';
import { connectClient } from './temporal/connect.js';
import type { preflight, PreflightInput, PreflightResult } from '../workflows/preflight.js';

export interface PhasedClient {
  client: Client;
  taskQueue: string;
  close(): Promise<void>;
}

export async function createPhasedClient(server: TemporalServer): Promise<PhasedClient> {
  const connection = await connectClient({
    address: server.address,
    settings: server.settings,
    fromEnv: !server.embedded,
  });
  return {
    client: new Client({ connection, namespace: server.namespace }),
    taskQueue: server.settings.taskQueue,
    close: () => connection.close(),
  };
}

/** Runs the preflight workflow to completion and returns what the worker reported. */
export async function runPreflight(
  { client, taskQueue }: PhasedClient,
  input: PreflightInput,
): Promise<{ workflowId: string; result: PreflightResult }> {
  const workflowId = `preflight-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const handle = await client.workflow.start<typeof preflight>('preflight', {
    taskQueue,
    workflowId,
    args: [input],
    staticSummary: `preflight requested by ${input.requestedBy}`,
  });
  return { workflowId, result: await handle.result() };
}
