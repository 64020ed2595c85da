// The SSH transport against real OpenSSH servers on loopback: quoting, the
// release operations over ssh2 and rsync, and the failures an operator meets.
import {
  existsSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeChecksum } from '../../../src/releases/checksum.js';
import { flipRelease, flipTogether, inspectHost, stageRelease } from '../../../src/releases/ops.js';
import { SshTransport, type SshOptions } from '../../../src/transport/ssh.js';
import type { Host } from '../../../src/core/vocabulary.js';
import { startSshdFleet, type SshdFleet, type SshdHost } from '../../../src/app/demo/sshd-fleet.js';
import { phasedError } from '../../helpers/errors.js';
import { testDir } from '../../helpers/tmp.js';

let fleet: SshdFleet;
const transports: SshTransport[] = [];

beforeAll(async () => {
  fleet = await startSshdFleet(3);
}, 60_000);

afterAll(async () => {
  for (const t of transports) await t.close();
  await fleet?.stopAll();
});

function transport(h: SshdHost, overrides: Partial<SshOptions> = {}) {
  const t = new SshTransport({ ...fleet.transportOptions(h), ...overrides });
  transports.push(t);
  return t;
}

const asHost = (h: SshdHost): Host => ({ name: h.name, address: h.address, root: h.root });

describe('SSH transport on real sshd hosts', () => {
  it('passes every argument through the remote shell unchanged', async () => {
    const h = fleet.hosts[0]!;
    const hostile = [
      'x;touch /tmp/phased-pwned',
      '$(id)',
      'a\'b"c',
      '`whoami`',
      '-o ProxyCommand=x',
      '*',
      '',
    ];
    const r = await transport(h).exec(asHost(h), ['printf', '%s\\n', ...hostile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(hostile.map((a) => `${a}\n`).join(''));
    expect(existsSync('/tmp/phased-pwned')).toBe(false);
  });

  it.each([
    ['address', { address: '-oProxyCommand=touch /tmp/phased-pwned' }, {}],
    ['address', { address: 'host;touch /tmp/phased-pwned' }, {}],
    ['user', {}, { user: '-oProxyCommand=touch /tmp/phased-pwned' }],
    ['user', {}, { user: '$(touch /tmp/phased-pwned)' }],
  ])(
    'refuses a hostile %s before ssh or rsync sees it',
    async (_what, hostPatch: Partial<Host>, optionPatch: Partial<SshOptions>) => {
      const h = fleet.hosts[0]!;
      const t = transport(h, optionPatch);
      const host = { ...asHost(h), ...hostPatch };
      const src = path.join(await testDir(), 'build');
      mkdirSync(src);
      writeFileSync(path.join(src, 'index.html'), 'x');
      for (const attempt of [
        t.exec(host, ['true']),
        t.sync(host, { source: src, dest: path.join(h.root, 'hostile') }),
      ]) {
        const err = await phasedError(attempt);
        expect(err.code).toBe('CONFIG_INVALID');
        expect(err.problem).toMatch(/is not a (host name or IP address|safe user name)$/);
      }
      expect(existsSync('/tmp/phased-pwned')).toBe(false);
      expect(existsSync(path.join(h.root, 'hostile'))).toBe(false);
    },
  );

  it.each(['x;touch /tmp/phased-pwned', '$(touch /tmp/phased-pwned)', '../../etc', '-rf'])(
    'refuses the revision %j over SSH: nothing runs, nothing outside the deploy root changes',
    async (revision) => {
      const h = fleet.hosts[1]!;
      const t = transport(h);
      const src = path.join(await testDir(), 'build');
      mkdirSync(src);
      writeFileSync(path.join(src, 'index.html'), 'x');
      const before = readdirSync(path.dirname(h.root)).sort();
      const tree = await treeChecksum(src);
      for (const attempt of [
        stageRelease(t, asHost(h), { revision, source: src, tree }),
        flipRelease(t, asHost(h), revision),
      ]) {
        expect((await phasedError(attempt)).code).toBe('REVISION_INVALID');
      }
      expect(existsSync('/tmp/phased-pwned')).toBe(false);
      expect(readdirSync(path.dirname(h.root)).sort()).toEqual(before);
    },
  );

  it('flips all hosts together over SSH: armed first, then fired', async () => {
    const src = path.join(await testDir(), 'build');
    mkdirSync(src);
    writeFileSync(path.join(src, 'index.html'), 'together');
    const tree = await treeChecksum(src);
    // One transport for the fleet, as a worker has: the port comes from each host.
    const t = transport(fleet.hosts[0]!);
    const hosts = fleet.hosts.map((h) => ({
      ...asHost(h),
      port: h.port,
      root: path.join(h.root, 'together'),
    }));
    for (const h of hosts)
      await stageRelease(t, h, { revision: 'r9', source: src, tree, createRoot: true });
    const outcomes = await flipTogether(
      t,
      hosts.map((host) => ({ host, revision: 'r9' })),
    );
    for (const h of hosts) {
      expect(outcomes.get(h.name)).toEqual({ previous: null });
      expect(readFileSync(path.join(h.root, 'current/index.html'), 'utf8')).toBe('together');
    }
  });

  it('stages with rsync over OpenSSH and flips atomically on every host', async () => {
    const src = path.join(await testDir(), 'build');
    mkdirSync(src);
    writeFileSync(path.join(src, 'index.html'), 'over ssh');
    const tree = await treeChecksum(src);
    for (const h of fleet.hosts) {
      const t = transport(h);
      const staged = await stageRelease(t, asHost(h), { revision: 'r1', source: src, tree });
      expect(staged).toMatchObject({ alreadyStaged: false, current: null });
      expect(await flipRelease(t, asHost(h), 'r1')).toBeNull();
      expect(readlinkSync(path.join(h.root, 'current'))).toBe('releases/r1');
      expect(readFileSync(path.join(h.root, 'current/index.html'), 'utf8')).toBe('over ssh');
      expect(
        (await stageRelease(t, asHost(h), { revision: 'r1', source: src, tree })).alreadyStaged,
      ).toBe(true);
      expect((await inspectHost(t, asHost(h))).current).toBe('r1');
    }
  });

  it('stages a first copy and a delta from a worker whose TMPDIR is 120 characters long', async () => {
    // A long TMPDIR (a CI runner's, a systemd unit's) leaves no room for a
    // socket path: the transport keeps its sockets somewhere short instead.
    let long = await testDir();
    while (long.length < 120) long = path.join(long, 'a-rather-long-directory-name');
    mkdirSync(long, { recursive: true });
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = long;
    let t: SshTransport;
    try {
      t = transport(fleet.hosts[2]!);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    const h = { ...asHost(fleet.hosts[2]!), root: path.join(fleet.hosts[2]!.root, 'long-tmp') };
    mkdirSync(h.root);
    const src = path.join(await testDir(), 'build');
    mkdirSync(src);
    for (const rev of ['t1', 't2']) {
      writeFileSync(path.join(src, 'index.html'), `long tmp ${rev}`);
      const staged = await stageRelease(t, h, {
        revision: rev,
        source: src,
        tree: await treeChecksum(src),
      });
      expect(staged.alreadyStaged).toBe(false);
      await flipRelease(t, h, rev);
      expect(readFileSync(path.join(h.root, 'current/index.html'), 'utf8')).toBe(`long tmp ${rev}`);
    }
  });

  it('refuses a host whose key changed, saying so', async () => {
    const h = fleet.hosts[1]!;
    const other = fleet.hosts[2]!;
    const file = path.join(await testDir(), 'known_hosts');
    writeFileSync(file, `[${h.address}]:${h.port} ${other.hostKeyPub}\n`);
    const err = await phasedError(transport(h, { knownHostsFile: file }).exec(asHost(h), ['true']));
    expect(err.problem).toContain(`the host key of [${h.address}]:${h.port} CHANGED`);
    expect(err.fix).toContain('verify the new key out of band');
  });

  it('refuses an unknown host key unless told to accept it, with a warning', async () => {
    const h = fleet.hosts[1]!;
    const file = path.join(await testDir(), 'known_hosts');
    writeFileSync(file, '');
    const err = await phasedError(transport(h, { knownHostsFile: file }).exec(asHost(h), ['true']));
    expect(err.problem).toContain('is not in');
    expect(err.fix).toContain('ssh-keyscan');
    const warnings: string[] = [];
    const r = await transport(h, {
      knownHostsFile: file,
      acceptUnknownHostKeys: true,
      warn: (m) => warnings.push(m),
    }).exec(asHost(h), ['echo', 'ok']);
    expect(r.stdout).toBe('ok\n');
    expect(warnings).toEqual([
      `phased: warning: accepting the unknown host key of [${h.address}]:${h.port} (ssh.acceptUnknownHostKeys is on)`,
    ]);
  });

  it('a host that goes down drops the connection a pool holds: the next command finds it unreachable', async () => {
    const h = fleet.hosts[1]!;
    const t = transport(h);
    expect((await t.exec(asHost(h), ['echo', 'up'])).stdout).toBe('up\n');
    await h.stop();
    try {
      const err = await phasedError(t.exec(asHost(h), ['true']));
      expect(err.code).toBe('HOST_UNREACHABLE');
    } finally {
      await h.start();
    }
    expect((await t.exec(asHost(h), ['echo', 'back'])).stdout).toBe('back\n');
  });

  it('reports a host whose sshd is down as unreachable and retryable', async () => {
    const h = fleet.hosts[2]!;
    await h.stop();
    try {
      const err = await phasedError(transport(h).exec(asHost(h), ['true']));
      expect(err.code).toBe('HOST_UNREACHABLE');
      expect(err.retryable).toBe(true);
      expect(err.problem).toContain(`cannot reach`);
      expect(err.problem).toContain(`${h.address}:${h.port} over SSH`);
    } finally {
      await h.start();
    }
  });
});
