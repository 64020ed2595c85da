// rsync's cipher over SSH: AES-GCM first on a worker whose CPU has AES
// instructions (half the CPU per byte of OpenSSH's default ChaCha20-Poly1305
// here), and a host that accepts only ChaCha20-Poly1305 is still reached.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshdFleet, type SshdFleet, type SshdHost } from '../../../src/demo/sshd-fleet.js';
import { AES_FIRST, SshTransport } from '../../../src/transport/ssh.js';
import { testDir } from '../../helpers/tmp.js';

let fleet: SshdFleet;
let t: SshTransport | undefined;

beforeAll(async () => {
  // Host 1 offers sshd's default ciphers, host 2 only ChaCha20-Poly1305;
  // both log each connection's key exchange (DEBUG1).
  fleet = await startSshdFleet(2, 60, {
    config: (i) => [
      'LogLevel DEBUG1',
      ...(i === 1 ? ['Ciphers chacha20-poly1305@openssh.com'] : []),
    ],
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await fleet?.stopAll();
});

/** The cipher the host's log gives for the first connection OpenSSH's client made (rsync's). */
function rsyncCipher(h: SshdHost): string | undefined {
  const log = h.log();
  const fromOpenSsh = log.indexOf('remote software version OpenSSH');
  return /kex: client->server cipher: (\S+)/.exec(log.slice(fromOpenSsh))?.[1];
}

describe("rsync's cipher", () => {
  it('is AES-GCM when the CPU has AES instructions, and a host refusing it is still staged', async () => {
    const dir = await testDir();
    const src = path.join(dir, 'build');
    mkdirSync(src);
    writeFileSync(path.join(src, 'index.html'), 'ciphers');
    t = new SshTransport(fleet.transportOptions(fleet.hosts[0]!));
    for (const h of fleet.hosts) {
      const dest = path.join(h.root, 'releases/v1');
      mkdirSync(path.dirname(dest), { recursive: true });
      await t.sync(
        { name: h.name, address: h.address, port: h.port, root: h.root },
        { source: src, dest },
      );
      expect(readFileSync(path.join(dest, 'index.html'), 'utf8')).toBe('ciphers');
    }
    expect(rsyncCipher(fleet.hosts[0]!)).toBe(
      AES_FIRST ? 'aes128-gcm@openssh.com' : 'chacha20-poly1305@openssh.com',
    );
    expect(rsyncCipher(fleet.hosts[1]!)).toBe('chacha20-poly1305@openssh.com');
  });
});
