// phased's processes under outages, as an operator runs them: a worker
// stopped mid-deploy drains once and exits 0 while another finishes the
// deploy, and `deploy --wait` and `status --watch` follow a deploy through a
// Temporal outage, saying so, instead of dying with an SDK stack.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startDevServer, type TemporalServer } from '../../src/app/devserver.js';
import { eventually } from '../../src/poll.js';
import { isPortFree } from '../../src/app/temporal/ports.js';
import { startPhased, type RunningPhased } from '../helpers/cli.js';
import { createLocalFleet, preinstall, type LocalFleet } from '../helpers/local-fleet.js';
import { sharedServer, uniqueId } from '../helpers/temporal.js';
import { testDir } from '../helpers/tmp.js';
import { holdCluster, testClustersDir } from '../helpers/clusters.js';

/** The cluster's file, where the `phased worker` processes read theirs (PHASED_CONFIG_DIR). */
function writeConfig(fleet: LocalFleet, overrides: Record<string, unknown>) {
  holdCluster({ ...fleet.configDoc, ...overrides });
}

function env(address: string, taskQueue: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    PHASED_TASK_QUEUE: taskQueue,
    PHASED_OPERATOR: 'ci-bot',
    PHASED_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    PHASED_CONFIG_DIR: testClustersDir(),
  };
}

function deployWait(fleet: LocalFleet, e: NodeJS.ProcessEnv): RunningPhased {
  return startPhased(
    [
      'deploy',
      '--cluster',
      fleet.config.cluster,
      '--revision',
      'good-2',
      '--source',
      fleet.release('good-2', 0.01),
      '--wait',
    ],
    e,
  );
}

/** A free port the kernel never hands out for port 0 or outgoing connections. */
async function portBelowEphemeralRange(ip: string): Promise<number> {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
  const below = Math.min(Number(low), 32768);
  for (let port = below - 1 - Math.floor(Math.random() * 2000); port > 10_000; port--)
    if (await isPortFree(ip, port)) return port;
  throw new Error(`no free port below ${below} on ${ip}`);
}

describe('phased under outages', () => {
  it('SIGTERM to one of two workers mid-deploy: it drains once and exits 0, the other finishes the deploy', async () => {
    const fleet = await createLocalFleet(uniqueId('web'));
    await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
    fleet.startTraffic();
    writeConfig(fleet, {
      durations: { baseline: '2s', soak: '6s', watch: '2s', lookEvery: '1s', probeTimeout: '5s' },
    });
    const e = env(sharedServer().address, uniqueId('tq'));
    const a = startPhased(['worker'], e);
    const b = startPhased(['worker'], e);
    await a.waitFor('phased: worker on task queue', 60_000);
    await b.waitFor('phased: worker on task queue', 60_000);
    const deploy = deployWait(fleet, e);
    await deploy.waitFor(': canary [', 60_000);
    a.signal('SIGTERM');
    const stopped = await a.exited;
    expect(stopped.stderr).not.toMatch(/IllegalStateError|Error:/);
    expect(stopped.stdout).toContain('phased: draining the worker');
    expect(stopped.stdout).toContain('phased: worker stopped');
    expect(stopped.code).toBe(0);
    const done = await deploy.exited;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('good-2 is live on 8 hosts');
    expect(Object.values(fleet.currents())).toEqual(fleet.config.hosts.map(() => 'good-2'));
    b.signal('SIGINT');
    expect((await b.exited).code).toBe(0);
  });

  it('deploy --wait follows a deploy through a Temporal outage and notes it, without a stack', async () => {
    const dir = await testDir();
    // The server comes back on the same address. A port below the kernel's
    // ephemeral range means nothing else in the run (which binds port 0 or
    // connects out) can take it while the server is down.
    const ip = '127.0.0.1';
    const options = {
      ip,
      port: await portBelowEphemeralRange(ip),
      uiPort: null,
      dbFile: path.join(dir, 'temporal.sqlite'),
      logFile: path.join(dir, 'server.log'),
      env: { ...process.env, TEMPORAL_ADDRESS: '' },
    };
    let server: TemporalServer | undefined = await startDevServer(options);
    try {
      const fleet = await createLocalFleet(uniqueId('web'));
      await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
      fleet.startTraffic();
      writeConfig(fleet, {
        // A soak long enough for both followers to be on it when the server goes.
        durations: {
          baseline: '2s',
          soak: '15s',
          watch: '2s',
          lookEvery: '1s',
          probeTimeout: '5s',
        },
      });
      const e = env(server.address, uniqueId('tq'));
      const worker = startPhased(['worker'], e);
      await worker.waitFor('phased: worker on task queue', 60_000);
      const deploy = deployWait(fleet, e);
      // The watcher starts as soon as the deploy runs (a CLI takes seconds to
      // start on a loaded machine), and both then wait for the soak.
      await deploy.waitFor(' <- good-2: ', 60_000);
      const watch = startPhased(['status', fleet.config.cluster, '--watch'], e);
      await deploy.waitFor(': canary [', 60_000);
      await watch.waitFor(': canary [', 60_000);

      await server.stop();
      server = undefined;
      // Down for more than 10 s: the client's own retries give up more than once.
      await eventually(
        () => Promise.resolve(/Temporal unreachable for [1-9]\d+ s/.test(deploy.stderr())),
        { what: 'the outage note', timeoutMs: 90_000, intervalMs: 200 },
      );
      server = await startDevServer(options);

      const done = await deploy.exited;
      expect(done.stderr).toMatch(
        /phased: Temporal unreachable for \d+ s, still following deploy-/,
      );
      expect(done.stderr).toMatch(/phased: Temporal is back after \d+ s/);
      expect(done.stderr).not.toMatch(/ServiceError|at .*\.js:\d+/);
      expect(done.code).toBe(0);
      expect(done.stdout).toContain('good-2 is live on 8 hosts');
      const watched = await watch.exited;
      expect(watched.stderr).toMatch(
        /phased: Temporal unreachable for \d+ s, still following deploy-/,
      );
      expect(watched.stderr).not.toMatch(/ServiceError|at .*\.js:\d+/);
      expect(watched.code).toBe(0);
      expect(watched.stdout).toContain('good-2 is live on 8 hosts');
      worker.signal('SIGTERM');
      expect((await worker.exited).code).toBe(0);
    } finally {
      await server?.stop();
    }
  });
});
