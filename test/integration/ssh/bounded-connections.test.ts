// A worker holds a bounded number of SSH connections, whatever the fleet's
// size: five real sshd hosts through a transport allowed two. Every host is
// inspected and staged (the first copy of a tree over rsync's own OpenSSH
// master, later ones through the pooled connection), concurrently, and the
// transport never had more than two connections open.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshdFleet, type SshdFleet, type SshdHost } from '../../../src/app/demo/sshd-fleet.js';
import { treeChecksum } from '../../../src/releases/checksum.js';
import { flipTogether, stageRelease } from '../../../src/releases/ops.js';
import { SshTransport } from '../../../src/transport/ssh.js';
import type { Host } from '../../../src/core/vocabulary.js';
import { testDir } from '../../helpers/tmp.js';
import type { StageFleetJob } from '../../helpers/stage-fleet-child.js';
import { projectRoot } from '../../../src/paths.js';
import { execFile } from 'node:child_process';

let fleet: SshdFleet;
let t: SshTransport;

beforeAll(async () => {
  fleet = await startSshdFleet(5, 65);
  t = new SshTransport({ ...fleet.transportOptions(fleet.hosts[0]!), maxConnections: 2 });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await fleet?.stopAll();
});

const asHost = (h: SshdHost): Host => ({
  name: h.name,
  address: h.address,
  port: h.port,
  root: h.root,
});

async function release(name: string, content: string): Promise<string> {
  const src = path.join(await testDir(), name);
  mkdirSync(src);
  writeFileSync(path.join(src, 'index.html'), content);
  return src;
}

describe('a transport allowed two connections, on five hosts', () => {
  it('runs a command on every host at once, two connections at most', async () => {
    const out = await Promise.all(fleet.hosts.map((h) => t.exec(asHost(h), ['echo', h.name])));
    expect(out.map((r) => r.stdout.trim())).toEqual(fleet.hosts.map((h) => h.name));
    expect(t.connectionStats().peak).toBe(2);
    expect(t.connectionStats().open).toBeLessThanOrEqual(2);
  });

  it('stages two releases on every host at once, over OpenSSH and then the pool, two at most', async () => {
    for (const rev of ['v1', 'v2']) {
      const src = await release(rev, `<h1>${rev}</h1>`);
      const tree = await treeChecksum(src);
      await Promise.all(
        fleet.hosts.map((h) => stageRelease(t, asHost(h), { revision: rev, source: src, tree })),
      );
      for (const h of fleet.hosts)
        expect(readFileSync(path.join(h.root, 'releases', rev, 'index.html'), 'utf8')).toBe(
          `<h1>${rev}</h1>`,
        );
    }
    const stats = t.connectionStats();
    expect(stats.peak).toBe(2);
    // Five hosts through two connections: most had to wait for or replace another's.
    expect(stats.evicted).toBeGreaterThanOrEqual(3);
    expect(stats.waited).toBeGreaterThan(0);
    // The first copies' OpenSSH masters, which outlive rsync: the idle ones past two were ended.
    expect(stats.rsyncMasters).toBeLessThanOrEqual(2);
  });

  it('switches every host together, armed and fired two at a time (an armed host holds its connection)', async () => {
    // All five armed at once would wait forever for a third connection.
    const outcomes = await flipTogether(
      t,
      fleet.hosts.map((h) => ({ host: asHost(h), revision: 'v2' })),
    );
    expect([...outcomes.values()]).toEqual(fleet.hosts.map(() => ({ previous: null })));
    for (const h of fleet.hosts)
      expect(readFileSync(path.join(h.root, 'current', 'index.html'), 'utf8')).toBe('<h1>v2</h1>');
    expect(t.connectionStats().peak).toBe(2);
  });
});

describe('a worker with fewer file descriptors than the fleet has hosts', () => {
  // 32 hosts, each a socket to its sshd and, for a first copy, an rsync and an
  // OpenSSH master with their pipes: far more than a process allowed 80
  // descriptors can hold at once.
  const HOSTS = 32;
  const LIMIT = 80;
  let big: SshdFleet;

  beforeAll(async () => {
    big = await startSshdFleet(HOSTS, 150);
  }, 120_000);
  afterAll(() => big?.stopAll());

  /** Stages a release on every host at once in a child process under `ulimit -n LIMIT`. */
  async function stageUnderLimit(revision: string, maxConnections: number) {
    const dir = await testDir();
    const source = await release(`${revision}-src`, `<h1>${revision}</h1>`);
    const job: StageFleetJob = {
      options: { ...big.transportOptions(big.hosts[0]!), maxConnections },
      hosts: big.hosts.map((h) => ({ ...asHost(h), root: path.join(h.root, revision) })),
      source,
      revision,
    };
    for (const h of job.hosts) mkdirSync(h.root);
    const jobFile = path.join(dir, 'job.json');
    writeFileSync(jobFile, JSON.stringify(job));
    const child = path.join(projectRoot, 'test/helpers/stage-fleet-child.ts');
    const { stdout, stderr, code } = await new Promise<{
      stdout: string;
      stderr: string;
      code: number | null;
    }>((resolve) =>
      execFile(
        'sh',
        [
          '-c',
          `ulimit -n ${LIMIT} && exec "$0" --import tsx "$1" "$2"`,
          process.execPath,
          child,
          jobFile,
        ],
        { cwd: projectRoot, timeout: 120_000, maxBuffer: 16 * 2 ** 20 },
        (err, stdout, stderr) =>
          resolve({
            stdout,
            stderr,
            code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
          }),
      ),
    );
    expect(code, stderr).toBe(0);
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      staged: string[];
      failed: string[];
      stats: { peak: number; rsyncMasters: number };
    };
  }

  it('stages every host within its limit when connections are bounded, and not without', async () => {
    const bounded = await stageUnderLimit('bounded', 8);
    expect(bounded.failed).toEqual([]);
    expect(bounded.staged).toHaveLength(HOSTS);
    expect(bounded.stats.peak).toBeLessThanOrEqual(8);
    for (const h of big.hosts)
      expect(readFileSync(path.join(h.root, 'bounded/releases/bounded/index.html'), 'utf8')).toBe(
        '<h1>bounded</h1>',
      );
    // The same worker allowed a connection per host runs out of descriptors.
    const unbounded = await stageUnderLimit('unbounded', HOSTS);
    expect(unbounded.failed.length).toBeGreaterThan(0);
    expect(unbounded.failed.join('\n')).toMatch(/EMFILE|too many open files/i);
  });
});
