// Fan-out staging over real sshd hosts on loopback: a target copies the
// release from a seed's rsync daemon, and the worker's check decides what the
// copy is worth. A corrupted seed is repaired around, a seed that dies
// mid-copy sends its target back to the worker, and in every case the target
// ends with the source's tree, marked complete.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../src/poll.js';
import { treeChecksum, type TreeSummary } from '../../../src/releases/checksum.js';
import { inspectHost, stageRelease } from '../../../src/releases/ops.js';
import { serveRelease, type RelaySource } from '../../../src/releases/relay.js';
import { SshTransport } from '../../../src/transport/ssh.js';
import type { Host } from '../../../src/core/vocabulary.js';
import { portOpen, startSshdFleet, type SshdFleet } from '../../../src/app/demo/sshd-fleet.js';
import { netnsAvailable, startNetnsFleet, type NetnsFleet } from '../../helpers/netns-fleet.js';

let fleet: SshdFleet;
let t: SshTransport;
let sourceDir: string;
let source: string;
let tree: TreeSummary;
const RELEASE_BYTES = 4 * 2 ** 20;

const hostOf = (i: number): Host => {
  const h = fleet.hosts[i]!;
  return { name: h.name, address: h.address, port: h.port, root: h.root };
};

beforeAll(async () => {
  fleet = await startSshdFleet(10, 60);
  t = new SshTransport(fleet.transportOptions(fleet.hosts[0]!));
  sourceDir = mkdtempSync(path.join(os.tmpdir(), 'phased-fan-out-'));
  source = path.join(sourceDir, 'release');
  mkdirSync(path.join(source, 'assets'), { recursive: true });
  // Four 1 MiB bundles and a page: well above the size at which a host copies from its seed.
  for (let i = 0; i < 4; i++)
    writeFileSync(path.join(source, 'assets', `bundle-${i}.js`), randomBytes(2 ** 20));
  writeFileSync(path.join(source, 'index.html'), '<h1>v2</h1>');
  tree = await treeChecksum(source);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await fleet?.stopAll();
  if (sourceDir) rmSync(sourceDir, { recursive: true, force: true });
});

const stage = (host: Host, relay?: RelaySource) =>
  stageRelease(t, host, {
    revision: 'v2',
    source,
    tree,
    ...(relay
      ? { swarm: { lease: () => Promise.resolve({ source: relay, done: () => undefined }) } }
      : {}),
  });

/** The target's release is the source's tree, and marked complete with its checksum. */
async function expectStaged(host: Host) {
  expect((await treeChecksum(path.join(host.root, 'releases', 'v2'))).checksum).toBe(tree.checksum);
  const state = await inspectHost(t, host);
  expect(state.releases.find((r) => r.revision === 'v2')?.checksum).toBe(tree.checksum);
}

describe('fan-out staging over SSH', () => {
  it('a target copies from its seed: the worker sends almost none of the release and checks every file', async () => {
    const [seed, target] = [hostOf(0), hostOf(1)];
    await stage(seed);
    const serving = await serveRelease(t, seed, 'v2', { maxConnections: 4 });
    try {
      const r = await stage(target, serving.source);
      expect(r.relay).toEqual({ seed: seed.name, pulled: true, repaired: 0 });
      // File lists and checksums only: under a tenth of the release crossed from the worker.
      expect(r.bytesSent).toBeLessThan(RELEASE_BYTES / 10);
      await expectStaged(target);
    } finally {
      await serving.stop();
    }
    // The daemon is gone once it stops: its port refuses connections.
    const port = Number(/:(\d+)\/release\/$/.exec(serving.source.url)![1]);
    expect(await portOpen(seed.address, port)).toBe(false);
    expect(readdirSync(seed.root).filter((n) => n.startsWith('.phased-relay'))).toEqual([]);
  });

  it('a seed whose tree was altered (same size and mtime) is caught by the check, and the worker repairs the target', async () => {
    const [seed, target] = [hostOf(2), hostOf(3)];
    await stage(seed);
    const bundle = path.join(seed.root, 'releases', 'v2', 'assets', 'bundle-2.js');
    const { atime, mtime, size } = statSync(bundle);
    writeFileSync(bundle, randomBytes(size));
    utimesSync(bundle, atime, mtime);
    const serving = await serveRelease(t, seed, 'v2', { maxConnections: 4 });
    try {
      const r = await stage(target, serving.source);
      expect(r.relay).toEqual({ seed: seed.name, pulled: true, repaired: 1 });
      await expectStaged(target);
      const repaired = path.join(target.root, 'releases', 'v2', 'assets', 'bundle-2.js');
      const original = readFileSync(path.join(source, 'assets', 'bundle-2.js'));
      expect(readFileSync(repaired).equals(original)).toBe(true);
    } finally {
      await serving.stop();
    }
  });

  it("a delta through a seed links from the host's last release only files whose content is unchanged (a rebuilt file may keep its size and mtime)", async () => {
    const [seed, target] = [hostOf(0), hostOf(1)];
    const v3 = path.join(sourceDir, 'v3');
    cpSync(source, v3, { recursive: true, preserveTimestamps: true });
    // Same size, same mtime, other bytes: what the quick check would take for unchanged.
    const bundle = path.join(v3, 'assets', 'bundle-1.js');
    const { atime, mtime, size } = statSync(bundle);
    writeFileSync(bundle, randomBytes(size));
    utimesSync(bundle, atime, mtime);
    writeFileSync(path.join(v3, 'assets', 'bundle-3.js'), randomBytes(2 ** 20));
    const v3tree = await treeChecksum(v3);
    // Both hold v2 (staged, or already there from the first test): the basis of the delta.
    await Promise.all([stage(seed), stage(target)]);
    await stageRelease(t, seed, { revision: 'v3', source: v3, tree: v3tree });
    const serving = await serveRelease(t, seed, 'v3', { maxConnections: 4 });
    try {
      const r = await stageRelease(t, target, {
        revision: 'v3',
        source: v3,
        tree: v3tree,
        swarm: { lease: () => Promise.resolve({ source: serving.source, done: () => undefined }) },
      });
      // The seed's copy was right: the worker's check had nothing to send.
      expect(r.relay).toEqual({ seed: seed.name, pulled: true, repaired: 0 });
      expect(r.basis).toBe('v2');
    } finally {
      await serving.stop();
    }
    const staged = path.join(target.root, 'releases', 'v3');
    expect((await treeChecksum(staged)).checksum).toBe(v3tree.checksum);
    // Unchanged bundles are hard links to v2's files; the rebuilt one is not.
    expect(statSync(path.join(staged, 'assets', 'bundle-0.js')).nlink).toBeGreaterThan(1);
    expect(statSync(path.join(staged, 'assets', 'bundle-1.js')).nlink).toBe(1);
  });

  it('a seed that dies mid-copy sends its target back to the worker, which finishes the copy', async () => {
    const [seed, target] = [hostOf(4), hostOf(5)];
    await stage(seed);
    // 256 KiB/s: the 4 MiB copy takes about 16 s, time to stop the seed while it runs.
    const serving = await serveRelease(t, seed, 'v2', { maxConnections: 4, bwLimitKiB: 256 });
    const staging = stage(target, serving.source);
    const dest = path.join(target.root, 'releases', 'v2');
    await eventually(async () => Promise.resolve(bytesUnder(dest) > 256 * 1024), {
      what: 'the target to have pulled part of the release',
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    await fleet.hosts[4]!.stop();
    try {
      const r = await staging;
      expect(r.relay?.seed).toBe(seed.name);
      expect(r.relay?.pulled).toBe(false);
      expect(r.relay?.error).toMatch(/pulling from seed ssh-5/);
      await expectStaged(target);
    } finally {
      await serving.stop().catch(() => undefined);
      await fleet.hosts[4]!.start();
    }
  });
});

describe('following a server that is still filling', () => {
  /** Serves host i's releases/v2, which holds only bundle-0 and a file rsync is still writing. */
  async function partlyFilled(i: number) {
    const server = hostOf(i);
    const tree = path.join(server.root, 'releases', 'v2');
    mkdirSync(path.join(tree, 'assets'), { recursive: true });
    cpSync(path.join(source, 'assets', 'bundle-0.js'), path.join(tree, 'assets', 'bundle-0.js'), {
      preserveTimestamps: true,
    });
    // rsync's name for a file in flight: .<name>.XXXXXX
    writeFileSync(path.join(tree, 'assets', '.bundle-1.js.Xy12Ab'), randomBytes(1000));
    const serving = await serveRelease(t, server, 'v2', { maxConnections: 2 });
    let settle!: (ok: boolean) => void;
    const filled = new Promise<boolean>((resolve) => (settle = resolve));
    return { server, tree, serving, filled, settle };
  }

  /** Starts staging the target from the server; resolves once the target holds bundle-0 alone. */
  async function follow(target: Host, from: Awaited<ReturnType<typeof partlyFilled>>) {
    const staging = stageRelease(t, target, {
      revision: 'v2',
      source,
      tree,
      swarm: {
        lease: () =>
          Promise.resolve({ source: from.serving.source, filled: from.filled, done: () => {} }),
      },
    });
    staging.catch(() => undefined);
    const assets = path.join(target.root, 'releases', 'v2', 'assets');
    // rsync renames a file into place once whole: there means complete.
    await eventually(() => Promise.resolve(existsSync(path.join(assets, 'bundle-0.js'))), {
      what: 'the target to have taken the file the server holds',
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    // What the server is still writing was not taken.
    expect(readdirSync(assets)).toEqual(['bundle-0.js']);
    // Wrapped: an async function returning the promise itself would wait for it.
    return { staging };
  }

  it('a target takes each file once whole while the server fills, then a last pass once it holds them all', async () => {
    const from = await partlyFilled(6);
    const target = hostOf(7);
    try {
      const { staging } = await follow(target, from);
      rmSync(path.join(from.tree, 'assets', '.bundle-1.js.Xy12Ab'));
      // The rest lands (bundle-0 is not written again: a pass may be reading it).
      cpSync(source, from.tree, { recursive: true, preserveTimestamps: true, force: false });
      from.settle(true);
      const r = await staging;
      expect(r.relay).toEqual({ seed: from.server.name, pulled: true, repaired: 0 });
      expect(r.bytesSent).toBeLessThan(RELEASE_BYTES / 10);
      await expectStaged(target);
    } finally {
      await from.serving.stop();
    }
  });

  it('a target whose server fails before it holds every file keeps what it took, and the worker sends the rest', async () => {
    const from = await partlyFilled(8);
    const target = hostOf(9);
    try {
      const { staging } = await follow(target, from);
      from.settle(false);
      const r = await staging;
      expect(r.relay).toMatchObject({ seed: from.server.name, pulled: false });
      expect(r.relay?.error).toMatch(/seed ssh-9 failed before it held the whole release/);
      await expectStaged(target);
      // Three of the four bundles, not the one taken from the server.
      expect(r.bytesSent).toBeGreaterThan(3 * 2 ** 20);
      expect(r.bytesSent).toBeLessThan(RELEASE_BYTES);
    } finally {
      await from.serving.stop();
    }
  });
});

function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile()) n += statSync(path.join(e.parentPath, e.name)).size;
  return n;
}

// Namespaces need root: a run without it skips this part and says so.
describe.skipIf(!netnsAvailable())('fan-out staging between hosts in network namespaces', () => {
  let hosts: NetnsFleet;
  let nt: SshTransport;

  beforeAll(async () => {
    hosts = await startNetnsFleet(2);
    nt = new SshTransport(hosts.transportOptions(hosts.hosts[0]!));
  }, 60_000);

  afterAll(async () => {
    await nt?.close();
    await hosts?.stopAll();
  });

  it('a host that cannot reach its seed, though the worker reaches both, is staged by the worker', async () => {
    const [seed, target] = hosts.hosts.map((h): Host => ({
      name: h.name,
      address: h.address,
      port: h.port,
      root: h.root,
    }));
    hosts.cut(1, 0);
    await stageRelease(nt, seed!, { revision: 'v2', source, tree });
    const serving = await serveRelease(nt, seed!, 'v2', { maxConnections: 4 });
    try {
      const r = await stageRelease(nt, target!, {
        revision: 'v2',
        source,
        tree,
        swarm: { lease: () => Promise.resolve({ source: serving.source, done: () => undefined }) },
      });
      expect(r.relay?.pulled).toBe(false);
      expect(r.relay?.error).toMatch(/pulling from seed ssh-1 exited \d+/);
      // The worker sent the release itself.
      expect(r.bytesSent).toBeGreaterThan(RELEASE_BYTES);
      expect((await treeChecksum(path.join(target!.root, 'releases', 'v2'))).checksum).toBe(
        tree.checksum,
      );
    } finally {
      await serving.stop();
    }
  });
});
