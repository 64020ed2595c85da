// flipHosts is retried by Temporal like any activity: the retry must not
// flip again what an earlier attempt switched, and a host that could not be
// armed with the others is flipped on its own. Real directories as hosts,
// the real scripts through the local transport.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createHostActivities } from '../../activities/hosts.js';
import type { Host } from '../../src/core/vocabulary.js';
import { PhasedError } from '../../src/errors.js';
import { flipRelease } from '../../src/releases/ops.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { HostTransport } from '../../src/transport/types.js';
import { inActivity } from '../helpers/activity.js';
import { hostsOnV1WithV2Staged } from '../helpers/staged-hosts.js';
import { clusterOver } from '../helpers/clusters.js';

/** Three hosts live on v1 with v2 staged. */
const hostsOnV1 = async (t: HostTransport) =>
  (await hostsOnV1WithV2Staged(t, ['web-1', 'web-2', 'web-3'], 'localhost')).hosts;

const switchesTo = (h: Host, rev: string) =>
  readFileSync(path.join(h.root, 'switches.log'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l.split(' ')[1] === `releases/${rev}`).length;

const live = (h: Host) => readFileSync(path.join(h.root, 'current', 'index.html'), 'utf8').trim();

/** The host activities over `t`, with a worker that holds a cluster file of `hosts`. */
function activities(t: HostTransport, hosts: Host[]) {
  const { store, ref } = clusterOver(hosts);
  const a = createHostActivities({
    transport: () => t,
    clusters: store,
    treeChecksum: () => Promise.reject(new Error('flipping needs no checksum')),
    snapshot: () => Promise.reject(new Error('flipping needs no snapshot')),
  });
  return { ...a, ref };
}

describe('flipHosts, retried', () => {
  it('skips the hosts an earlier attempt switched and switches the rest', async () => {
    const t = new LocalTransport();
    const hosts = await hostsOnV1(t);
    // The earlier attempt switched web-1, heartbeat it, and its worker died.
    await flipRelease(t, hosts[0]!, 'v2');
    const env = new MockActivityEnvironment({
      heartbeatDetails: { done: { 'web-1': { previous: 'v1' } } },
    });
    const a = activities(t, hosts);
    const result = await inActivity(env, () =>
      a.flipHosts({
        ref: a.ref,
        targets: hosts.map((host) => ({ host, revision: 'v2' })),
      }),
    );
    expect(result.failed).toEqual([]);
    expect(result.ok).toEqual(hosts.map((h) => ({ host: h.name, result: { previous: 'v1' } })));
    expect(hosts.map(live)).toEqual(['v2', 'v2', 'v2']);
    // web-1 was switched once, by the earlier attempt, not again by the retry.
    expect(hosts.map((h) => switchesTo(h, 'v2'))).toEqual([1, 1, 1]);
  });

  it('flips on its own a host that could not be armed with the others', async () => {
    const local = new LocalTransport();
    const hosts = await hostsOnV1(local);
    let refused = 0;
    // web-2's connection drops as the batch arms; its own flip then goes through.
    const flaky: HostTransport = {
      exec: (h, argv, o) => local.exec(h, argv, o),
      sync: (h, o) => local.sync(h, o),
      start: (h, argv) => {
        if (h.name !== 'web-2' || refused > 0) return local.start(h, argv);
        refused++;
        return Promise.reject(
          new PhasedError({
            code: 'HOST_UNREACHABLE',
            problem: 'web-2: connection reset',
            fix: 'f',
            retryable: true,
          }),
        );
      },
    };
    const a = activities(flaky, hosts);
    const result = await inActivity(new MockActivityEnvironment(), () =>
      a.flipHosts({
        ref: a.ref,
        targets: hosts.map((host) => ({ host, revision: 'v2' })),
      }),
    );
    expect(refused).toBe(1);
    expect(result.failed).toEqual([]);
    expect(result.ok.map((r) => r.host)).toEqual(['web-1', 'web-2', 'web-3']);
    expect(hosts.map(live)).toEqual(['v2', 'v2', 'v2']);
    expect(hosts.map((h) => switchesTo(h, 'v2'))).toEqual([1, 1, 1]);
  });

  it('reports a host whose release is not staged, and switches the others', async () => {
    const t = new LocalTransport();
    const hosts = await hostsOnV1(t);
    const a = activities(t, hosts);
    const result = await inActivity(new MockActivityEnvironment(), () =>
      a.flipHosts({
        ref: a.ref,
        targets: hosts.map((host) => ({ host, revision: host.name === 'web-3' ? 'v9' : 'v2' })),
      }),
    );
    expect(result.ok.map((r) => r.host)).toEqual(['web-1', 'web-2']);
    expect(result.failed).toEqual([
      expect.objectContaining({ host: 'web-3', code: 'RELEASE_INCOMPLETE' }),
    ]);
    expect(hosts.map(live)).toEqual(['v2', 'v2', 'v1']);
  });
});
