// A private directory for Unix sockets (OpenSSH's control masters, the rsync
// relay), short enough for them: a socket path holds at most 107 bytes, and
// OpenSSH's control path is the directory plus 58 more (a 40-character hash
// and the 17-character suffix of its temporary name). A long TMPDIR (a CI
// runner's, a systemd unit's private one) would leave no room, so it is used
// only while it is short enough, else /tmp, else /dev/shm.
import { accessSync, constants, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PhasedError } from '../errors.js';

/** Longest base directory that leaves room for `phased-ssh-XXXXXX/` and OpenSSH's control socket. */
export const MAX_SOCKET_BASE = 107 - '/phased-ssh-XXXXXX/'.length - 58;

const usable = (dir: string) => {
  try {
    if (!statSync(dir).isDirectory()) return false;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Makes the transport's own 0700 directory for sockets (mkdtemp creates it 0700). */
export function socketDir(prefix = 'phased-ssh-'): string {
  const candidates = [os.tmpdir(), '/tmp', '/dev/shm'];
  const base = candidates.find((d) => d.length <= MAX_SOCKET_BASE && usable(d));
  if (!base)
    throw new PhasedError({
      code: 'SETUP_FAILED',
      problem: `no directory for SSH control sockets: TMPDIR (${os.tmpdir()}) is longer than ${MAX_SOCKET_BASE} characters and neither /tmp nor /dev/shm is writable`,
      fix: `give the worker a TMPDIR of at most ${MAX_SOCKET_BASE} characters, or a writable /tmp`,
    });
  return mkdtempSync(path.join(base, prefix));
}
