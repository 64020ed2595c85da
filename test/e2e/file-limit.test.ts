// A worker allowed fewer file descriptors than its fleet has hosts still
// deploys to every host: `phased worker`, limited to 72 open files once it
// has loaded its modules (prlimit), with at most 4 SSH connections deploys
// a release to 75 hosts, each its own address on one of 5 real sshd
// processes (so each its own connection and its own first copy over
// rsync's OpenSSH), and ends done with every host on it. Loading the
// worker's modules opens dozens of files at once: under `ulimit -n 72` from
// its start it failed with EMFILE once on a busy machine, before any deploy.
// Before flips were armed in groups of the transport's connections, this
// deploy waited forever: every connection held an armed host waiting for
// the rest of its batch.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSshdFleet, type SshdFleet } from '../../src/app/demo/sshd-fleet.js';
import { runPhased, startPhased } from '../helpers/cli.js';
import { holdCluster, testClustersDir } from '../helpers/clusters.js';
import { sharedServer, uniqueId } from '../helpers/temporal.js';
import { testDir } from '../helpers/tmp.js';

const SSHDS = 5;
// sshd listens on at most 16 addresses (MAX_LISTEN_SOCKS): its own and 15 aliases.
const PER_SSHD = 15;
const LIMIT = 72;
const CONNECTIONS = 4;

let sshd: SshdFleet;

beforeAll(async () => {
  sshd = await startSshdFleet(SSHDS, 240, { aliases: PER_SSHD });
}, 60_000);

afterAll(() => sshd?.stopAll());

/**
 * Lowers a running process's open-file limit (soft and hard), as `ulimit -n`
 * would have from its start: once the worker has loaded its modules, whose
 * loading opens many files at once and is no part of a deploy.
 */
function limitOpenFiles(pid: number, limit: number) {
  execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${limit}:${limit}`]);
  expect(readFileSync(`/proc/${pid}/limits`, 'utf8')).toMatch(
    new RegExp(`Max open files\\s+${limit}\\s+${limit}\\s`),
  );
  return readdirSync(`/proc/${pid}/fd`).length;
}

// Alone this deploy takes about 80 s; a fresh-clone suite on a busy 2-CPU
// machine once took 170 s (staging 75 hosts through 4 connections is most of
// it), so the deadlines leave room for about five times the quiet figure.
const DEPLOY_DEADLINE_MS = 420_000;

describe(
  `a worker allowed ${LIMIT} file descriptors`,
  { timeout: DEPLOY_DEADLINE_MS + 120_000 },
  () => {
    it(`deploys to ${SSHDS * PER_SSHD} hosts over SSH, ${CONNECTIONS} connections at a time, and every host goes live`, async () => {
      const cluster = uniqueId('wide');
      const hosts = sshd.hosts.flatMap((s, i) =>
        s.aliases.map((address, k) => {
          const name = `web-${i * PER_SSHD + k + 1}`;
          const root = path.join(s.root, cluster, name);
          mkdirSync(root, { recursive: true });
          return { name, address, port: s.port, root, tags: { zone: `z${i}` } };
        }),
      );
      holdCluster({
        cluster,
        transport: 'ssh',
        ssh: { identityFile: sshd.clientKey, knownHostsFile: sshd.knownHosts },
        hosts,
        canary: { size: 5 },
        holdback: 3,
        durations: { baseline: '1s', soak: '2s', watch: '2s', lookEvery: '1s' },
        probes: [],
        metrics: [],
      });
      const source = path.join(await testDir(), 'v1');
      mkdirSync(source);
      writeFileSync(path.join(source, 'index.html'), '<h1>v1</h1>');

      const env = {
        ...process.env,
        TEMPORAL_ADDRESS: sharedServer().address,
        PHASED_TASK_QUEUE: uniqueId('tq'),
        PHASED_OPERATOR: 'ci-bot',
        PHASED_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
        PHASED_CONFIG_DIR: testClustersDir(),
        PHASED_MAX_SSH_CONNECTIONS: String(CONNECTIONS),
      };
      const worker = startPhased(['worker'], env);
      try {
        await worker.waitFor('phased: worker on task queue', 60_000);
        // Most of the limit is already taken: the deploy has what is left.
        const open = limitOpenFiles(worker.pid, LIMIT);
        expect(open).toBeLessThan(LIMIT);
        expect(LIMIT - open).toBeLessThan(hosts.length / 2);
        const deploy = await runPhased(
          [
            'deploy',
            '--cluster',
            cluster,
            '--revision',
            'v1',
            '--source',
            source,
            '--wait',
            '--json',
          ],
          env,
          DEPLOY_DEADLINE_MS,
        );
        if (deploy.code !== 0)
          console.error(
            `[file-limit] deploy: ${deploy.stdout.slice(-1500)} ${deploy.stderr.slice(-1500)}; worker: ${worker.stderr().slice(-3000)}`,
          );
        expect(deploy.stderr).toBe('');
        expect(deploy.code, deploy.stdout).toBe(0);
        expect(deploy.stdout).toContain(`v1 is live on ${hosts.length} hosts`);
        for (const h of hosts)
          expect(readFileSync(path.join(h.root, 'current', 'index.html'), 'utf8')).toBe(
            '<h1>v1</h1>',
          );
      } finally {
        worker.signal('SIGTERM');
        const stopped = await worker.exited;
        // Nothing in the worker ran out of descriptors, not even once.
        expect(stopped.stderr).not.toMatch(/EMFILE|too many open files/i);
      }
    });
  },
);
