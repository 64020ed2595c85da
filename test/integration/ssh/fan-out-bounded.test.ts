// Fan-out staging through a worker allowed two SSH connections, on six real
// sshd hosts: a serving host holds its connection for as long as it serves,
// so were every staged host to serve, the two connections would both be
// serving and no other host could even be inspected (the staging activity
// waited forever). At most half the connections serve; every host is staged,
// and some copy from another.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshdFleet, type SshdFleet } from '../../../src/app/demo/sshd-fleet.js';
import { treeChecksum } from '../../../src/releases/checksum.js';
import { SshTransport } from '../../../src/transport/ssh.js';
import { hostActivitiesOver, inActivity } from '../../helpers/activity.js';
import { clusterOver } from '../../helpers/clusters.js';
import { testDir } from '../../helpers/tmp.js';

let fleet: SshdFleet;
let t: SshTransport;

beforeAll(async () => {
  fleet = await startSshdFleet(6, 66);
  t = new SshTransport({ ...fleet.transportOptions(fleet.hosts[0]!), maxConnections: 2 });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await fleet?.stopAll();
});

describe('fan-out staging through two SSH connections', () => {
  it('stages all six hosts, some from another host, never holding more than two connections', async () => {
    const dir = await testDir();
    const source = path.join(dir, 'v1');
    mkdirSync(source);
    // 3 MiB: past the size at which a host copies from another.
    for (let i = 0; i < 3; i++)
      writeFileSync(path.join(source, `bundle-${i}.js`), randomBytes(2 ** 20));
    const hosts = fleet.hosts.map((h) => ({
      name: h.name,
      address: h.address,
      port: h.port,
      root: h.root,
    }));
    const { store, ref } = clusterOver(hosts, {
      transport: 'ssh',
      ssh: { identityFile: fleet.clientKey, knownHostsFile: fleet.knownHosts },
      staging: { fanOut: { seeds: 1, perSeed: 1 } },
    });
    const a = hostActivitiesOver(t, store, dir);
    const staged = await inActivity(new MockActivityEnvironment(), () =>
      a.stageHosts({ ref, hosts, revision: 'v1', source }),
    );
    expect(staged.failed).toEqual([]);
    expect(staged.ok).toHaveLength(6);
    const relayed = staged.ok.filter((o) => o.result.relay?.pulled);
    expect(relayed.length).toBeGreaterThan(0);
    const { checksum } = await treeChecksum(source);
    for (const h of hosts)
      expect((await treeChecksum(path.join(h.root, 'releases', 'v1'))).checksum).toBe(checksum);
    expect(t.connectionStats().peak).toBeLessThanOrEqual(2);
  });
});
