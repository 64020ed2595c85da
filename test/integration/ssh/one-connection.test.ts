// What carries a staging over SSH, read from real sshd logs: once a host has
// a release, one connection carries every step of a deploy (the inspection,
// rsync's copy through the relay, the manifest and the marker), and later
// deploys log in no more. A whole tree, and every copy without the relay, goes
// over rsync's own OpenSSH connection, AES-GCM first on a CPU with AES
// instructions (half the CPU per byte of OpenSSH's default ChaCha20-Poly1305
// here), and a host refusing GCM is still reached.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshdFleet, type SshdFleet, type SshdHost } from '../../../src/app/demo/sshd-fleet.js';
import { treeChecksum } from '../../../src/releases/checksum.js';
import { stageRelease } from '../../../src/releases/ops.js';
import { AES_FIRST, SshTransport, type SshOptions } from '../../../src/transport/ssh.js';
import type { Host } from '../../../src/core/vocabulary.js';
import { phasedError } from '../../helpers/errors.js';
import { testDir } from '../../helpers/tmp.js';

let fleet: SshdFleet;
const transports: SshTransport[] = [];

beforeAll(async () => {
  // Hosts 1 and 2 offer sshd's default ciphers, host 3 only ChaCha20-Poly1305;
  // each logs its logins and key exchanges (DEBUG1).
  fleet = await startSshdFleet(3, 60, {
    config: (i) => [
      'LogLevel DEBUG1',
      ...(i === 2 ? ['Ciphers chacha20-poly1305@openssh.com'] : []),
    ],
  });
}, 60_000);

afterAll(async () => {
  for (const t of transports) await t.close();
  await fleet?.stopAll();
});

function transport(overrides: Partial<SshOptions> = {}) {
  const t = new SshTransport({ ...fleet.transportOptions(fleet.hosts[0]!), ...overrides });
  transports.push(t);
  return t;
}

const asHost = (h: SshdHost, root = h.root): Host => ({
  name: h.name,
  address: h.address,
  port: h.port,
  root,
});

const logins = (h: SshdHost) => h.log().match(/Accepted publickey for /g)?.length ?? 0;

/** The cipher of the first connection made by `client` ("OpenSSH" or "ssh2js"), from the host's log. */
function cipherOf(h: SshdHost, client: string): string | undefined {
  const log = h.log();
  const from = log.indexOf(`remote software version ${client}`);
  return from < 0 ? undefined : /kex: client->server cipher: (\S+)/.exec(log.slice(from))?.[1];
}

async function release(name: string, content: string): Promise<string> {
  const src = path.join(await testDir(), name);
  mkdirSync(src);
  writeFileSync(path.join(src, 'index.html'), content);
  return src;
}

describe('what carries a staging over SSH', () => {
  it('after its first copy, a host has one connection carrying every step, deploy after deploy', async () => {
    const t = transport();
    expect(t.rsyncOver).toBe('pool'); // Perl is there: rsync goes through the relay
    const h = fleet.hosts[0]!;
    const host = asHost(h, path.join(h.root, 'pooled'));
    mkdirSync(host.root);
    const stage = async (rev: string) => {
      const src = await release(rev, `<h1>${rev}</h1>`);
      const staged = await stageRelease(t, host, {
        revision: rev,
        source: src,
        tree: await treeChecksum(src),
      });
      expect(staged.bytesSent).toBeGreaterThan(0);
      expect(readFileSync(path.join(host.root, 'releases', rev, 'index.html'), 'utf8')).toBe(
        `<h1>${rev}</h1>`,
      );
      return staged;
    };
    // The first copy has no basis: the whole tree goes over rsync's own OpenSSH connection.
    expect(await stage('v1')).toMatchObject({ basis: null });
    expect(logins(h)).toBe(2); // the pool's, and rsync's for the whole tree
    // Every later staging (inspection, copy, manifest, marker) rides the pool: no login.
    expect(await stage('v2')).toMatchObject({ basis: 'v1' });
    expect((await stage('v3')).basis).not.toBeNull(); // v1 or v2: markers of the same second tie
    expect(logins(h)).toBe(2);
    for (const client of ['ssh2js', 'OpenSSH'])
      expect(cipherOf(h, client)).toBe(
        AES_FIRST ? 'aes128-gcm@openssh.com' : 'chacha20-poly1305@openssh.com',
      );
  });

  it('carries a large change through the relay intact', async () => {
    const t = transport();
    const h = fleet.hosts[0]!;
    const host = asHost(h, path.join(h.root, 'large'));
    mkdirSync(host.root);
    const v1 = await release('large-v1', 'v1');
    await stageRelease(t, host, { revision: 'v1', source: v1, tree: await treeChecksum(v1) });
    // 24 MiB of new, incompressible files on top of a basis: through the pool, both ways busy.
    const v2 = await release('large-v2', 'v2');
    for (let i = 0; i < 24; i++)
      writeFileSync(path.join(v2, `blob-${i}.bin`), randomBytes(2 ** 20));
    const tree = await treeChecksum(v2);
    const before = logins(h);
    const staged = await stageRelease(t, host, { revision: 'v2', source: v2, tree });
    expect(staged).toMatchObject({ basis: 'v1' });
    expect(staged.bytesSent).toBeGreaterThan(24 * 2 ** 20);
    expect(logins(h)).toBe(before); // the pool's connection, no new login
    expect((await treeChecksum(path.join(host.root, 'releases/v2'))).checksum).toBe(tree.checksum);
  });

  it("says what the host's rsync said when the copy fails there", async () => {
    const t = transport();
    const h = fleet.hosts[0]!;
    const src = await release('x', 'x');
    const err = await phasedError(
      t.sync(asHost(h), { source: src, dest: '/proc/phased-no-such-dir/releases/v1' }),
    );
    expect(err).toMatchObject({ code: 'HOST_COMMAND_FAILED' });
    expect(err.problem).toMatch(/mkdir "\/proc\/phased-no-such-dir\/releases\/v1" failed/);
  });

  it('without the relay, rsync logs in once per host, AES-GCM first, and a host refusing GCM is still staged', async () => {
    const t = transport({ rsyncOver: 'openssh' });
    expect(t.rsyncOver).toBe('openssh');
    const [withGcm, chachaOnly] = [fleet.hosts[1]!, fleet.hosts[2]!];
    const src = await release('build', 'ciphers');
    for (const h of [withGcm, chachaOnly]) {
      const dest = path.join(h.root, 'releases/v1');
      mkdirSync(path.dirname(dest), { recursive: true });
      await t.sync(asHost(h), { source: src, dest });
      await t.sync(asHost(h), { source: src, dest }); // through the same OpenSSH master
      expect(readFileSync(path.join(dest, 'index.html'), 'utf8')).toBe('ciphers');
      expect(logins(h)).toBe(2); // ssh2's pool (host key check) and rsync's master
    }
    expect(cipherOf(withGcm, 'OpenSSH')).toBe(
      AES_FIRST ? 'aes128-gcm@openssh.com' : 'chacha20-poly1305@openssh.com',
    );
    expect(cipherOf(chachaOnly, 'OpenSSH')).toBe('chacha20-poly1305@openssh.com');
  });
});
