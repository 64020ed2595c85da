// The embedded server's lifecycle on the real `temporal` binary: persistence
// across restarts, and the clear errors for what commonly goes wrong.
import net from 'node:net';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { startDevServer, startOrConnect } from '../../src/app/devserver.js';
import type { PhasedError } from '../../src/errors.js';
import { connectClient } from '../../src/app/temporal/connect.js';
import { freePort } from '../../src/app/temporal/ports.js';
import { phasedError } from '../helpers/errors.js';
import { testDir } from '../helpers/tmp.js';

const noTls = { tls: undefined, apiKey: undefined };
const env = { ...process.env, TEMPORAL_ADDRESS: '' };

async function listen(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host, port: 0 }, resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

async function expectPhasedError(promise: Promise<unknown>, code: string): Promise<PhasedError> {
  const err = await phasedError(promise);
  expect(err.code).toBe(code);
  return err;
}

describe('embedded Temporal dev server', () => {
  it('keeps workflow history in its SQLite file across a restart, and serves the UI', async () => {
    const dir = await testDir();
    const options = {
      port: 0,
      uiPort: 0,
      dbFile: path.join(dir, 'temporal.sqlite'),
      logFile: path.join(dir, 'server.log'),
      env,
    };
    const first = await startDevServer(options);
    let workflowId: string;
    try {
      const ui = await fetch(first.uiUrl!);
      expect(ui.status).toBe(200);
      const connection = await connectClient({ address: first.address, settings: noTls });
      const client = new Client({ connection, namespace: first.namespace });
      workflowId = `persisted-${Date.now()}`;
      // Nobody polls this queue: the workflow stays open and must survive the restart.
      await client.workflow.start('preflight', {
        taskQueue: 'nobody-listens',
        workflowId,
        args: [{ requestedBy: 'test' }],
      });
      await connection.close();
    } finally {
      await first.stop();
    }

    const second = await startDevServer(options);
    try {
      const connection = await connectClient({ address: second.address, settings: noTls });
      const client = new Client({ connection, namespace: second.namespace });
      const description = await client.workflow.getHandle(workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.type).toBe('preflight');
      await client.workflow.getHandle(workflowId).terminate('test cleanup');
      await connection.close();
    } finally {
      await second.stop();
    }
  });

  it('refuses a gRPC port that is already taken, naming the port and the fix', async () => {
    const dir = await testDir();
    const port = await listen('127.0.0.1');
    const err = await expectPhasedError(
      startDevServer({ port, uiPort: null, dbFile: null, logFile: path.join(dir, 'log'), env }),
      'TEMPORAL_PORT_IN_USE',
    );
    expect(err.problem).toContain(`127.0.0.1:${port} is already in use`);
    expect(err.fix).toContain('PHASED_TEMPORAL_PORT');
  });

  it('refuses a UI port that is already taken', async () => {
    const dir = await testDir();
    const uiPort = await listen('127.0.0.1');
    const err = await expectPhasedError(
      startDevServer({ port: 0, uiPort, dbFile: null, logFile: path.join(dir, 'log'), env }),
      'TEMPORAL_PORT_IN_USE',
    );
    expect(err.problem).toContain(`UI port 127.0.0.1:${uiPort}`);
  });

  it('says how to install the Temporal CLI when its binary is missing', async () => {
    const dir = await testDir();
    const err = await expectPhasedError(
      startDevServer({
        port: 0,
        uiPort: null,
        dbFile: null,
        env: { ...env, PHASED_TEMPORAL_CLI: path.join(dir, 'no-such-temporal') },
      }),
      'TEMPORAL_BINARY_MISSING',
    );
    expect(err.problem).toContain('no-such-temporal');
    expect(err.fix).toContain('PHASED_TEMPORAL_CLI');
  });

  it('reports an unreachable TEMPORAL_ADDRESS instead of starting a server', async () => {
    const port = await freePort('127.0.0.1');
    const err = await expectPhasedError(
      startOrConnect({ env: { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${port}` } }),
      'TEMPORAL_UNREACHABLE',
    );
    expect(err.problem).toContain(`127.0.0.1:${port} (TEMPORAL_ADDRESS)`);
    expect(err.fix).toContain('unset TEMPORAL_ADDRESS');
  });

  it('uses TEMPORAL_ADDRESS when set, starting nothing', async () => {
    const address = inject('temporalAddress');
    const server = await startOrConnect({ env: { ...process.env, TEMPORAL_ADDRESS: address } });
    expect(server).toMatchObject({ address, embedded: false, uiUrl: undefined });
    await server.stop();
  });
});
