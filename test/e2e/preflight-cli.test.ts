// The README's main command as a user runs it: `phased preflight` starts the
// embedded server and a worker, runs the round trip, and stops everything.
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../src/app/temporal/ports.js';
import { runPhased } from '../helpers/cli.js';
import { testDir } from '../helpers/tmp.js';

async function isolatedEnv(): Promise<NodeJS.ProcessEnv> {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: '',
    PHASED_DATA_DIR: await testDir(),
    PHASED_TEMPORAL_PORT: '0',
    PHASED_TEMPORAL_UI_PORT: '0',
  };
}

const noStackTrace = /^\s+at /m;

describe('phased preflight', () => {
  it('given a fresh data directory, when run, then a worker answers and the UI address is printed', async () => {
    const env = await isolatedEnv();
    const result = await runPhased(['preflight', '--json', '--operator', 'alice'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      requestedBy: 'alice',
      workflowId: expect.stringMatching(/^preflight-/),
      uiUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      worker: { node: process.version },
    });
  });

  it('given TEMPORAL_ADDRESS points nowhere, then it exits 2 with one readable error', async () => {
    const port = await freePort('127.0.0.1');
    const env = { ...(await isolatedEnv()), TEMPORAL_ADDRESS: `127.0.0.1:${port}` };
    const result = await runPhased(['preflight'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^phased: error \\[TEMPORAL_UNREACHABLE\\]: cannot reach the Temporal server at 127\\.0\\.0\\.1:${port} \\(TEMPORAL_ADDRESS\\)`,
      ),
    );
    expect(result.stderr).toContain('fix: ');
    expect(result.stderr).not.toMatch(noStackTrace);
  });

  it('given the Temporal port is taken, then it exits 2 naming the port and the fix', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const env = { ...(await isolatedEnv()), PHASED_TEMPORAL_PORT: String(port) };
    const result = await runPhased(['preflight'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`[TEMPORAL_PORT_IN_USE]`);
    expect(result.stderr).toContain(`127.0.0.1:${port} is already in use`);
    expect(result.stderr).not.toMatch(noStackTrace);
  });

  it('given the Temporal CLI is missing, then it exits 2 and says to run the setup', async () => {
    const env = { ...(await isolatedEnv()), PHASED_HOME: await testDir() };
    const result = await runPhased(['preflight'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[TEMPORAL_BINARY_MISSING]');
    expect(result.stderr).toContain('run phased setup');
    expect(result.stderr).not.toMatch(noStackTrace);
  });
});
