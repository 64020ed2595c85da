// Every path of the host layout in one place:
//   <root>/releases/<revision>/        a release tree
//   <root>/releases/.<revision>.phased completion marker: "<revision> <checksum>"
//   <root>/current -> releases/<revision>
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
      problem: `revision ${JSON.stringify(revision)} is not a safe name`,
      fix: `name revisions like a commit id or tag: ${SEGMENT_RULE}`,
    });
  }
}
