// Failures on real sshd hosts that staging and flipping must survive without
// ever pointing current at a half-copied tree: a host that dies in the middle
// of an rsync, and a deploy user without write access to the deploy root.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { treeChecksum } from '../../../src/releases/checksum.js';
import { flipRelease, inspectHost, stageRelease } from '../../../src/releases/ops.js';
import { eventually } from '../../../src/poll.js';
import { SshTransport } from '../../../src/transport/ssh.js';
import type { Host } from '../../../src/core/vocabulary.js';
import { startCutProxy, type CutProxy } from '../../helpers/cut-proxy.js';
import { phasedError } from '../../helpers/errors.js';
import {
  ensureLoginUser,
  removeLoginUser,
  startSshdFleet,
  type SshdFleet,
} from '../../../src/app/demo/sshd-fleet.js';
import { testDir } from '../../helpers/tmp.js';

let fleet: SshdFleet;
let proxy: CutProxy;
const transports: SshTransport[] = [];

beforeAll(async () => {
  fleet = await startSshdFleet(2, 50);
  const h = fleet.hosts[0]!;
  proxy = await startCutProxy('127.0.0.59', { address: h.address, port: h.port });
}, 60_000);

afterAll(async () => {
  for (const t of transports) await t.close();
  await proxy?.close();
  await fleet?.stopAll();
});

/** A release of `files` files of 1 MiB of random (incompressible) bytes. */
async function randomRelease(files: number): Promise<string> {
  const dir = path.join(await testDir(), 'build');
  mkdirSync(dir);
  for (let i = 0; i < files; i++)
    writeFileSync(path.join(dir, `chunk-${i}.bin`), randomBytes(2 ** 20));
  writeFileSync(path.join(dir, 'index.html'), `release of ${files} MiB`);
  return dir;
}

/** A host reached through the proxy, in its own root, with v1 live. */
async function hostBehindProxy(name: string, dir: string, options: { stallSeconds?: number } = {}) {
  const sshd = fleet.hosts[0]!;
  // The host is reached through the relay, so its known_hosts entry names the relay.
  const knownHosts = path.join(await testDir(), 'known_hosts');
  writeFileSync(knownHosts, `[${proxy.address}]:${proxy.port} ${sshd.hostKeyPub}\n`);
  const t = new SshTransport({
    ...fleet.transportOptions(sshd),
    knownHostsFile: knownHosts,
    ...options,
  });
  transports.push(t);
  const root = path.join(sshd.root, dir);
  const host: Host = { name, address: proxy.address, port: proxy.port, root };
  mkdirSync(root);
  const v1 = path.join(await testDir(), 'v1');
  mkdirSync(v1);
  writeFileSync(path.join(v1, 'index.html'), 'v1');
  await stageRelease(t, host, { revision: 'v1', source: v1, tree: await treeChecksum(v1) });
  await flipRelease(t, host, 'v1');
  return { t, host, root };
}

describe('a host that dies in the middle of an rsync', () => {
  it('given a 24 MiB copy cut after 16 MiB, then flip refuses the partial tree and the retry resumes it', async () => {
    const { t, host, root } = await hostBehindProxy('web-7', 'mid-rsync');

    const v2 = await randomRelease(24);
    const tree = await treeChecksum(v2);
    proxy.cutAfter(16 * 2 ** 20);
    const cut = await phasedError(stageRelease(t, host, { revision: 'v2', source: v2, tree }));
    await proxy.died();
    expect(cut).toMatchObject({ code: 'HOST_COMMAND_FAILED', retryable: true });
    expect(cut.problem).toMatch(/^web-7: copying v2 failed: rsync to web-7:.* exited \d+/);
    // Part of the tree is on disk, but without its completion marker.
    expect(existsSync(path.join(root, 'releases/v2'))).toBe(true);
    expect(existsSync(path.join(root, 'releases/.v2.phased'))).toBe(false);

    // While the host is down: a retryable per-host error, and nothing moves.
    const down = await phasedError(flipRelease(t, host, 'v2'));
    expect(down).toMatchObject({ code: 'HOST_UNREACHABLE', retryable: true });
    expect(down.problem).toMatch(/^web-7: /);

    proxy.revive();
    const refused = await phasedError(flipRelease(t, host, 'v2'));
    expect(refused).toMatchObject({ code: 'RELEASE_INCOMPLETE', retryable: false });
    expect(readlinkSync(path.join(root, 'current'))).toBe('releases/v1');
    expect((await inspectHost(t, host)).releases.map((r) => r.revision)).toEqual(['v1']);

    // The retry sends what is missing, not the whole tree again.
    const resumed = await stageRelease(t, host, { revision: 'v2', source: v2, tree });
    expect(resumed.alreadyStaged).toBe(false);
    expect(resumed.bytesSent).toBeGreaterThan(0);
    expect(resumed.bytesSent).toBeLessThan(0.75 * tree.bytes);
    expect((await treeChecksum(path.join(root, 'releases/v2'))).checksum).toBe(tree.checksum);
    expect(await flipRelease(t, host, 'v2')).toBe('v1');
    expect(readFileSync(path.join(root, 'current/index.html'), 'utf8')).toBe('release of 24 MiB');
  });
});

/** Processes on this machine (the hosts' sshd run here) whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) found.push(Number(pid));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

describe('a link that stops moving data in the middle of an rsync', () => {
  it('given a copy whose link stalls after 12 MiB, then rsync gives up after the stall seconds, and once the link moves again the retry resumes it', async () => {
    const { t, host, root } = await hostBehindProxy('web-9', 'stalled-link', { stallSeconds: 3 });

    const v2 = await randomRelease(24);
    const tree = await treeChecksum(v2);
    proxy.stallAfter(12 * 2 ** 20);
    const stalled = await phasedError(stageRelease(t, host, { revision: 'v2', source: v2, tree }));
    await proxy.stalled();
    expect(stalled).toMatchObject({ code: 'COPY_STALLED', retryable: true });
    expect(stalled.problem).toMatch(
      /^web-9: copying v2 failed: rsync to web-9:\S+ stalled: no data moved for 3 s/,
    );
    expect(existsSync(path.join(root, 'releases/.v2.phased'))).toBe(false);
    expect(readlinkSync(path.join(root, 'current'))).toBe('releases/v1');

    // The link moves again: what it held reaches the host, whose rsync
    // (kept alive by its keepalives into sshd's buffers) sees the copy end.
    const dest = path.join(root, 'releases/v2');
    proxy.revive();
    await eventually(() => Promise.resolve(processesMentioning(dest).length === 0), {
      timeoutMs: 30_000,
      what: `the host's rsync into ${dest} to end`,
    });
    const resumed = await stageRelease(t, host, { revision: 'v2', source: v2, tree });
    expect(resumed.bytesSent).toBeGreaterThan(0);
    expect(resumed.bytesSent).toBeLessThan(0.75 * tree.bytes);
    expect((await treeChecksum(dest)).checksum).toBe(tree.checksum);
    expect(await flipRelease(t, host, 'v2')).toBe('v1');
  }, 90_000);
});

// As root, the test logs in as a throwaway system user; as anyone else, it
// logs in as itself and takes away its own write access.
const isRoot = process.getuid?.() === 0;
const deployUser = isRoot ? 'phased-noperm' : os.userInfo().username;
let userTransport: SshTransport | undefined;

describe('a deploy user without write access to the deploy root', () => {
  beforeAll(() => {
    if (isRoot) ensureLoginUser(deployUser);
  });

  // The user's connection closes first, then its sessions are waited out,
  // then the user goes (even one a crashed earlier run left behind).
  afterAll(async () => {
    await userTransport?.close();
    if (isRoot) await removeLoginUser(deployUser);
  });

  it('given a root the user cannot write, then staging and flipping fail with a permission fix and current stays', async () => {
    const sshd = fleet.hosts[1]!;
    const t = new SshTransport({ ...fleet.transportOptions(sshd), user: deployUser });
    userTransport = t;
    const root = path.join(sshd.root, 'locked');
    const host: Host = { name: 'web-8', address: sshd.address, port: sshd.port, root };
    // v1 is live and v0 is a complete older release (the flip below tries to go back to it).
    for (const rev of ['v0', 'v1']) {
      mkdirSync(path.join(root, 'releases', rev), { recursive: true });
      writeFileSync(path.join(root, 'releases', rev, 'index.html'), rev);
      writeFileSync(path.join(root, `releases/.${rev}.phased`), `${rev} x\n`);
    }
    execFileSync('ln', ['-s', 'releases/v1', path.join(root, 'current')]);
    // Readable and searchable by everyone, writable by nobody but root.
    chmodSync(root, 0o555);
    chmodSync(path.join(root, 'releases'), 0o555);
    onTestFinished(() => {
      chmodSync(path.join(root, 'releases'), 0o755);
      chmodSync(root, 0o755);
    });

    const src = path.join(await testDir(), 'build');
    mkdirSync(src);
    writeFileSync(path.join(src, 'index.html'), 'v2');
    const tree = await treeChecksum(src);
    const stage = await phasedError(stageRelease(t, host, { revision: 'v2', source: src, tree }));
    expect(stage.problem).toMatch(/^web-8: .*[Pp]ermission denied/);
    expect(stage).toMatchObject({
      code: 'HOST_COMMAND_FAILED',
      retryable: false,
      fix: `give the deploy user write access to ${root}`,
    });
    expect(existsSync(path.join(root, 'releases/v2'))).toBe(false);

    const flip = await phasedError(flipRelease(t, host, 'v0'));
    expect(flip).toMatchObject({ code: 'HOST_COMMAND_FAILED', retryable: false });
    expect(flip.problem).toMatch(/^web-8: flip exited 1: .*[Pp]ermission denied/);
    expect(readlinkSync(path.join(root, 'current'))).toBe('releases/v1');
    expect(statSync(root).mode & 0o777).toBe(0o555);
  });
});
