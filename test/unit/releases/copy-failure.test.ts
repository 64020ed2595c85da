// A host that goes down between inspection and copy fails in rsync's own ssh;
// that is the host being unreachable, not a command that failed on it.
import { describe, expect, it } from 'vitest';
import { rsyncCouldNotConnect, rsyncFailure } from '../../../src/transport/rsync.js';

describe('rsyncCouldNotConnect', () => {
  it("recognises ssh's connection failures in rsync's stderr", () => {
    for (const why of [
      'Connection refused',
      'Connection timed out',
      'No route to host',
      'Network is unreachable',
    ])
      expect(
        rsyncCouldNotConnect(
          `rsync to ssh-5:/srv/releases/good-2 exited 255: ssh: connect to host 127.0.0.24 port 42053: ${why}; rsync: connection unexpectedly closed (0 bytes received so far) [sender]`,
        ),
      ).toBe(true);
    expect(
      rsyncCouldNotConnect(
        'exited 255: ssh: Could not resolve hostname web-9: Name or service not known',
      ),
    ).toBe(true);
  });

  it('leaves other rsync failures alone', () => {
    expect(
      rsyncCouldNotConnect('exited 11: rsync: write failed: No space left on device (28)'),
    ).toBe(false);
    expect(
      rsyncCouldNotConnect('exited 23: rsync: mkdir "/srv/x" failed: Permission denied (13)'),
    ).toBe(false);
  });

  it('codes a failed rsync by what a retry can do about it', () => {
    const unreachable = rsyncFailure(
      'web-2',
      '/srv/releases/v2',
      255,
      'ssh: connect to host 10.0.0.2 port 22: Connection refused\nrsync: connection unexpectedly closed',
    );
    expect(unreachable).toMatchObject({ code: 'HOST_UNREACHABLE', retryable: true });
    expect(unreachable.problem).toBe(
      'rsync to web-2:/srv/releases/v2 exited 255: ssh: connect to host 10.0.0.2 port 22: Connection refused; rsync: connection unexpectedly closed',
    );
    const full = rsyncFailure(
      'web-2',
      '/d',
      11,
      'rsync: write failed: No space left on device (28)',
    );
    expect(full).toMatchObject({ code: 'DISK_FULL', retryable: false });
    expect(rsyncFailure('web-2', '/d', 23, 'rsync: some files vanished')).toMatchObject({
      code: 'HOST_COMMAND_FAILED',
      retryable: true,
    });
    expect(rsyncFailure('web-2', '/d', null, '').problem).toBe('rsync to web-2:/d timed out');
  });
});
