// A host that goes down between inspection and copy fails in rsync's own ssh;
// that is the host being unreachable, not a command that failed on it.
import { describe, expect, it } from 'vitest';
import {
  copyDeadlineMs,
  rsyncArgs,
  rsyncCouldNotConnect,
  rsyncFailure,
} from '../../../src/transport/rsync.js';

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

describe('a slow copy and a stalled one', () => {
  it('gives rsync up when no data moved for two minutes (or the seconds given), as a stall a retry resumes', () => {
    expect(rsyncArgs({ source: '/b', dest: '/d' })).toContain('--timeout=120');
    expect(rsyncArgs({ source: '/b', dest: '/d', stallSeconds: 5 })).toContain('--timeout=5');
    const stalled = rsyncFailure(
      'web-2',
      '/srv/releases/v2',
      30,
      '[sender] io timeout after 5 seconds -- exiting\nrsync error: timeout in data send/receive (code 30) at io.c(197) [sender=3.2.7]',
      5,
    );
    expect(stalled).toMatchObject({ code: 'COPY_STALLED', retryable: true });
    expect(stalled.problem).toMatch(
      /^rsync to web-2:\/srv\/releases\/v2 stalled: no data moved for 5 s \(.*io timeout after 5 seconds/,
    );
    expect(stalled.fix).toMatch(/resumes the partial copy/);
  });

  it('gives a copy the time its bytes need at 1 Mbit/s beyond half an hour, never a fixed deadline a large release outgrows', () => {
    expect(copyDeadlineMs(0)).toBe(30 * 60_000);
    // 2 GiB at 128 KiB/s: 16,384 s more.
    expect(copyDeadlineMs(2 * 2 ** 30)).toBe(30 * 60_000 + 16_384_000);
    // A 10 GiB release on a 5 Mbit/s share of an uplink needs 4.6 hours: inside its deadline.
    const needs = (10 * 2 ** 30 * 8) / 5e6;
    expect(copyDeadlineMs(10 * 2 ** 30)).toBeGreaterThan(needs * 1000);
  });
});
