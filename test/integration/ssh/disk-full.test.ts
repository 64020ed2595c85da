// A host whose deploy root is on a nearly full filesystem (a 4 MiB tmpfs),
// reached over real SSH: staging stops with a clear DISK_FULL error before
// copying, and the live release is untouched.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhasedError } from '../../../src/errors.js';
import { treeChecksum } from '../../../src/releases/checksum.js';
import { flipRelease, stageRelease } from '../../../src/releases/ops.js';
import { SshTransport } from '../../../src/transport/ssh.js';
import { startSshdFleet, type SshdFleet } from '../../../src/app/demo/sshd-fleet.js';
import { testDir } from '../../helpers/tmp.js';

// Mounting needs root; a non-root run skips this file instead of failing it.
const isRoot = process.getuid?.() === 0;

let fleet: SshdFleet;
let mountPoint: string;
/** A filesystem with room for bytes but only 64 inodes: the free-space check passes, the copy fills it. */
let fewInodes: string;
const transports: SshTransport[] = [];

beforeAll(async () => {
  if (!isRoot) return;
  fleet = await startSshdFleet(1, 40);
  mountPoint = path.join(fleet.hosts[0]!.root, 'small');
  mkdirSync(mountPoint);
  // Root mounts a 4 MiB tmpfs (the test setup runs as root, as CI does).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
  fewInodes = path.join(fleet.hosts[0]!.root, 'few-inodes');
  mkdirSync(fewInodes);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,nr_inodes=64', 'tmpfs', fewInodes]);
  // The deploy user of the fleet writes the root, as on a real host.
  execFileSync('chmod', ['777', mountPoint, fewInodes]);
}, 60_000);

afterAll(async () => {
  for (const t of transports) await t.close();
  if (mountPoint) execFileSync('umount', [mountPoint]);
  if (fewInodes) execFileSync('umount', [fewInodes]);
  await fleet?.stopAll();
});

/** The fleet's host with its deploy root at `root`, and a small v1 live there. */
async function liveOnV1(root: string) {
  const h = fleet.hosts[0]!;
  const t = new SshTransport(fleet.transportOptions(h));
  transports.push(t);
  const host = { name: h.name, address: h.address, port: h.port, root };
  const small = path.join(await testDir(), 'small');
  mkdirSync(small);
  writeFileSync(path.join(small, 'index.html'), 'v1');
  await stageRelease(t, host, { revision: 'v1', source: small, tree: await treeChecksum(small) });
  await flipRelease(t, host, 'v1');
  return { t, host };
}

describe.skipIf(!isRoot)('a full disk on one host, over SSH (needs root to mount a tmpfs)', () => {
  it('given a 4 MiB filesystem, when an 8 MiB release is staged, then DISK_FULL names the host and nothing is flipped', async () => {
    const { t, host } = await liveOnV1(mountPoint);

    const big = path.join(await testDir(), 'big');
    mkdirSync(big);
    writeFileSync(path.join(big, 'bundle.js'), 'x'.repeat(8 * 2 ** 20));
    const err: unknown = await stageRelease(t, host, {
      revision: 'v2',
      source: big,
      tree: await treeChecksum(big),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PhasedError);
    expect((err as PhasedError).code).toBe('DISK_FULL');
    expect((err as PhasedError).problem).toMatch(
      /^ssh-1: not enough space under .*small: \d+ KiB free, the release needs up to \d+ KiB$/,
    );
    expect((err as PhasedError).retryable).toBe(false);
    expect(readlinkSync(path.join(mountPoint, 'current'))).toBe('releases/v1');
  });

  it('given a disk that fills while a release is staged, then DISK_FULL, and the partial release is removed to give the space back', async () => {
    const { t, host } = await liveOnV1(fewInodes);
    const inodesUsed = () =>
      Number(
        execFileSync('df', ['--output=iused', fewInodes], { encoding: 'utf8' }).split('\n')[1],
      );
    const before = inodesUsed();

    // 200 small files: a few KiB in all (the free-space check passes), more
    // inodes than the filesystem has: here the copy's last writes (its
    // manifest and marker) are what fail with ENOSPC.
    const many = path.join(await testDir(), 'many');
    mkdirSync(many);
    for (let i = 0; i < 200; i++) writeFileSync(path.join(many, `f${i}.js`), `// ${i}\n`);
    const err: unknown = await stageRelease(t, host, {
      revision: 'v2',
      source: many,
      tree: await treeChecksum(many),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PhasedError);
    expect((err as PhasedError).code).toBe('DISK_FULL');
    expect((err as PhasedError).problem).toContain('No space left on device');
    expect((err as PhasedError).retryable).toBe(false);
    expect(existsSync(path.join(fewInodes, 'releases', 'v2'))).toBe(false);
    expect(inodesUsed()).toBe(before);
    expect(readlinkSync(path.join(fewInodes, 'current'))).toBe('releases/v1');
  });
});
