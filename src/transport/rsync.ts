// The rsync command line phased uses, shared by every transport: archive
// mode, delete what the source no longer has, keep partial files so that an
// interrupted transfer resumes, and hard-link unchanged files from the basis.
// "Unchanged" must mean the same content. rsync's default quick check (size
// and mtime) takes a changed file for the basis's when both match, which
// happens with reproducible builds (fixed mtimes) and with small files rebuilt
// within the same second: staging by manifest (src/releases/manifest.ts) runs
// the quick check and then compares exactly those files by content, in a
// second pass over a file list; without a manifest, --checksum compares every
// file by content.
import { PhasedError } from '../errors.js';
import { failureReasons } from './reasons.js';

const SSH_UNREACHABLE =
  /ssh: (connect to host .*: (connection refused|connection timed out|no route to host|network is unreachable)|could not resolve hostname)/i;

/**
 * Seconds a copy may move no data at all before rsync gives up on it
 * (rsync --timeout): a link that stalled, told apart from a slow one, which
 * keeps moving bytes however long its copy takes.
 */
export const DEFAULT_STALL_SECONDS = 120;

/** The slowest rate a copy to one host may keep up: 1 Mbit/s. */
export const MIN_COPY_BYTES_PER_SECOND = 128 * 1024;

/**
 * How long one copy of `bytes` may take before it is killed: half an hour
 * for the file lists, checksums and links any copy needs, plus the bytes at
 * MIN_COPY_BYTES_PER_SECOND (a 2 GiB release: about 4.9 hours). A copy that
 * is merely slow is never cut at a fixed time its release has outgrown.
 */
export function copyDeadlineMs(bytes: number): number {
  return 30 * 60_000 + Math.ceil(Math.max(0, bytes) / MIN_COPY_BYTES_PER_SECOND) * 1000;
}

/** True when rsync failed because its ssh could not connect (the host is down or unreachable). */
export const rsyncCouldNotConnect = (message: string) => SSH_UNREACHABLE.test(message);

export function rsyncArgs({
  source,
  dest,
  linkDest,
  remoteShell,
  copyUnsafeLinks,
  checksum = true,
  filesFrom,
  stallSeconds = DEFAULT_STALL_SECONDS,
}: {
  /** How the transport carries the copy: not rsync's business. */
  wholeTree?: boolean;
  source: string;
  /** "host:/path" for remote copies, a local path otherwise. */
  dest: string;
  linkDest?: string;
  remoteShell?: string;
  copyUnsafeLinks?: boolean;
  /** Compare files by content, not by size and mtime (the default: safe without a manifest). */
  checksum?: boolean;
  /** Only these files (a list on the worker, NUL-separated): nothing is deleted or linked. */
  filesFrom?: string;
  stallSeconds?: number;
}): string[] {
  const args = ['-a', '--partial', '--stats', `--timeout=${stallSeconds}`];
  if (checksum) args.push('--checksum');
  if (filesFrom) args.push(`--files-from=${filesFrom}`, '--from0');
  else args.push('--delete', '--no-inc-recursive');
  if (copyUnsafeLinks) args.push('--copy-unsafe-links');
  if (linkDest && !filesFrom) args.push(`--link-dest=${linkDest}`);
  if (remoteShell) args.push('-e', remoteShell);
  // Trailing slash: copy the contents of source into dest. "--" ends options.
  args.push(
    '--',
    source.endsWith('/') ? source : `${source}/`,
    dest.endsWith('/') ? dest : `${dest}/`,
  );
  return args;
}

/** Bytes sent, from rsync --stats output ("Total bytes sent: 1,234"). */
export function parseBytesSent(stats: string): number | undefined {
  const m = /Total bytes sent: ([\d,.]+)/.exec(stats);
  return m ? Number(m[1]!.replace(/[,.]/g, '')) : undefined;
}

/** Regular files rsync sent, from --stats ("Number of regular files transferred: 3"). */
export function parseFilesSent(stats: string): number | undefined {
  const m = /Number of regular files transferred: ([\d,.]+)/.exec(stats);
  return m ? Number(m[1]!.replace(/[,.]/g, '')) : undefined;
}

/** What a copy's --stats say it sent. */
export const syncStats = (stats: string) => ({
  bytesSent: parseBytesSent(stats),
  filesSent: parseFilesSent(stats),
});

/** How rsync ended: its exit code, null when its deadline killed it, or why it never started. */
export type RsyncExit = number | null | `could not start rsync: ${string}`;

/**
 * The error for a failed rsync: what it was copying, how it ended, and
 * rsync's own reasons; coded by what retrying can do about it (a host that
 * cannot be reached may come back, a full disk will not empty itself).
 */
export function rsyncFailure(
  hostName: string,
  dest: string,
  exit: RsyncExit,
  stderr: string,
  stallSeconds = DEFAULT_STALL_SECONDS,
): PhasedError {
  if (typeof exit === 'string')
    return new PhasedError({
      code: 'HOST_COMMAND_FAILED',
      problem: `rsync to ${hostName}:${dest}: the worker ${exit}`,
      fix: 'the worker is out of processes or file descriptors: lower PHASED_MAX_SSH_CONNECTIONS or raise its ulimit -n; phased retries',
      retryable: true,
    });
  const reasons = failureReasons(stderr);
  // 30: rsync's --timeout, nothing moved either way for that long.
  if (exit === 30)
    return new PhasedError({
      code: 'COPY_STALLED',
      problem: `rsync to ${hostName}:${dest} stalled: no data moved for ${stallSeconds} s${reasons ? ` (${reasons})` : ''}`,
      fix: 'the link to the host (or the host itself) stopped answering mid-copy; phased retries, and the retry resumes the partial copy',
      retryable: true,
    });
  const problem = `rsync to ${hostName}:${dest} ${exit === null ? 'timed out' : `exited ${exit}`}${reasons ? `: ${reasons}` : ''}`;
  if (rsyncCouldNotConnect(problem))
    return new PhasedError({
      code: 'HOST_UNREACHABLE',
      problem,
      fix: 'check that the host is up and reachable over SSH; phased retries with backoff',
      retryable: true,
    });
  if (/no space left/i.test(problem))
    return new PhasedError({
      code: 'DISK_FULL',
      problem,
      fix: 'free space on the host (or keep fewer releases) and deploy again',
    });
  return new PhasedError({
    code: 'HOST_COMMAND_FAILED',
    problem,
    fix: "read rsync's reasons above; a retry resumes the partial copy",
    retryable: exit !== 1, // 1 is rsync's syntax or usage error: trying again cannot help
  });
}
