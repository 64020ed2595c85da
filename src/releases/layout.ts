// Every path of a host's layout, named in one place, for TypeScript and for
// the remote scripts alike:
//   <root>/releases/<revision>/            a release tree
//   <root>/releases/.<revision>.phased     completion marker: "<revision> <checksum>"
//   <root>/releases/.<revision>.rejected   rolled back or aborted (the reason inside)
//   <root>/releases/.<revision>.manifest   its files: path, size, mtime, hash (JSON)
//   <root>/current -> releases/<revision>  the live release
//   <root>/.current.<pid>.tmp              a flip's new link, before its rename
//   <root>/switches.log                    every switch of current
//   <root>/.probe-cursors/<key>            where a deploy's log probe last read a log
//   <root>/.phased-cluster                 the cluster that owns the root (its first deploy claims it)
import { isSafeSegment, SEGMENT_RULE } from '../config/validate-names.js';
import { PhasedError } from '../errors.js';

/** The names under a deploy root (plain words: safe to write into a script). */
export const LAYOUT = {
  releases: 'releases',
  current: 'current',
  switchLog: 'switches.log',
  /** Beside each release: .<revision><suffix>. */
  completeSuffix: '.phased',
  rejectedSuffix: '.rejected',
  /** Beside a complete release: its files' paths, sizes, mtimes and hashes (JSON). */
  manifestSuffix: '.manifest',
  /** A deploy's log probe cursors (offset and inode per log), removed a day after their last use. */
  probeCursors: '.probe-cursors',
  /** The name of the cluster whose root this is: one cluster's retention never touches another's releases. */
  claim: '.phased-cluster',
} as const;

export const releasesDir = (root: string) => `${root}/${LAYOUT.releases}`;
export const releaseDir = (root: string, revision: string) => `${releasesDir(root)}/${revision}`;
/** The link text current holds for a release (relative, so the root can move). */
export const releaseLink = (revision: string) => `${LAYOUT.releases}/${revision}`;
export const currentLink = (root: string) => `${root}/${LAYOUT.current}`;

/**
 * The same layout for the remote scripts, from the deploy root in $1: shell
 * variables every script starts with, so no script spells a path itself.
 * A release's files are "$releases/$rev", "$releases/.$rev$complete",
 * "$releases/.$rev$manifest" and "$releases/.$rev$rejected"; current's link
 * text for it is "$releases_name/$rev".
 */
export const SHELL_LAYOUT = `
root=$1
releases_name=${LAYOUT.releases}
releases="$root/$releases_name"
current="$root/${LAYOUT.current}"
switch_log="$root/${LAYOUT.switchLog}"
temp_link_prefix="$root/.${LAYOUT.current}."
complete=${LAYOUT.completeSuffix}
rejected=${LAYOUT.rejectedSuffix}
manifest=${LAYOUT.manifestSuffix}
claim="$root/${LAYOUT.claim}"
`;

/** Throws a non-retryable error unless `revision` is a safe path segment. */
export function assertRevision(revision: string): void {
  if (!isSafeSegment(revision)) {
    throw new PhasedError({
      code: 'REVISION_INVALID',
      problem: `revision ${shortName(revision)} is not a safe name${revision.length > 128 ? ` (${revision.length} characters)` : ''}`,
      fix: `name revisions like a commit id or tag: ${SEGMENT_RULE}`,
    });
  }
}

/** A name as an error quotes it: JSON-escaped and cut to 64 characters. */
export function shortName(name: string): string {
  return name.length > 64 ? `${JSON.stringify(name.slice(0, 64))}...` : JSON.stringify(name);
}
