// Every path of the host layout in one place:
//   <root>/releases/<revision>/        a release tree
//   <root>/releases/.<revision>.phased completion marker: "<revision> <checksum>"
//   <root>/releases/.<revision>.rejected  rolled back or aborted (see scripts.ts)
//   <root>/current -> releases/<revision>
//   <root>/switches.log                 every switch of current
import { isSafeSegment, SEGMENT_RULE } from '../config/validate-names.js';
import { PhasedError } from '../errors.js';

export const releasesDir = (root: string) => `${root}/releases`;
export const releaseDir = (root: string, revision: string) => `${root}/releases/${revision}`;
export const markerFile = (root: string, revision: string) =>
  `${root}/releases/.${revision}.phased`;
export const currentLink = (root: string) => `${root}/current`;

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
