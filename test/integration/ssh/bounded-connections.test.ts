// A worker holds a bounded number of SSH connections, whatever the fleet's
// size: five real sshd hosts through a transport allowed two. Every host is
// inspected and staged (the first copy of a tree over rsync's own OpenSSH
// master, later ones through the pooled connection), concurrently, and the
// transport never had more than two connections open.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshdFleet, type SshdFleet, type SshdHost } from '../../../src/demo/sshd-fleet.js';
import { treeChecksum } from '../../../src/releases/checksum.js';
import { stageRelease } from '../../../src/releases/ops.js';
import { SshTransport } from '../../../src/transport/ssh.js';
import type { Host } from '../../../src/core/vocabulary.js';
import { testDir } from '../../helpers/tmp.js';

let fleet: SshdFleet;
let t: SshTransport;

beforeAll(async () => {
  fleet = await startSshdFleet(5, 60);
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
});
