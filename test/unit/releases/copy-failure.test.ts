// A host that goes down between inspection and copy fails in rsync's own ssh;
// that is the host being unreachable, not a command that failed on it.
import { describe, expect, it } from 'vitest';
import { rsyncCouldNotConnect } from '../../../src/releases/ops.js';

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
});
