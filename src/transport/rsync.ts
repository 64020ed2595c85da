// The rsync command line phased uses, shared by every transport: archive
// mode, delete what the source no longer has, keep partial files so that an
// interrupted transfer resumes, and hard-link unchanged files from the basis.
// --checksum: "unchanged" must mean the same content. rsync's default quick
// check (size and mtime) takes a changed file for the basis's when both match,
// which happens with reproducible builds (fixed mtimes) and with small files
// rebuilt within the same second.
import { failureReasons } from './reasons.js';

export function rsyncArgs({
  source,
  dest,
  linkDest,
  remoteShell,
  copyUnsafeLinks,
}: {
  source: string;
  /** "host:/path" for remote copies, a local path otherwise. */
  dest: string;
  linkDest?: string;
  remoteShell?: string;
  copyUnsafeLinks?: boolean;
}): string[] {
  const args = ['-a', '--checksum', '--delete', '--partial', '--stats', '--no-inc-recursive'];
  if (copyUnsafeLinks) args.push('--copy-unsafe-links');
  if (linkDest) args.push(`--link-dest=${linkDest}`);
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

/** The error for a failed rsync: what it was copying, how it ended, and rsync's own reasons. */
export function rsyncFailure(
  hostName: string,
  dest: string,
  code: number | null,
  stderr: string,
): Error {
  return new Error(
    `rsync to ${hostName}:${dest} ${code === null ? 'timed out' : `exited ${code}`}: ${failureReasons(stderr)}`,
  );
}
