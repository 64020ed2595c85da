// Which releases retention removes: the oldest beyond `keep`, never the live
// release, the rollback target, or any release a running deploy protects.

export interface ReleaseInfo {
  revision: string;
  /** When it was staged (marker mtime, seconds). */
  stagedAt: number;
}

export function releasesToRemove({
  releases,
  keep,
  protect,
}: {
  releases: readonly ReleaseInfo[];
  keep: number;
  protect: readonly (string | null)[];
}): string[] {
  const kept = new Set(protect.filter((r): r is string => r !== null));
  const newestFirst = [...releases].sort(
    (a, b) => b.stagedAt - a.stagedAt || b.revision.localeCompare(a.revision),
  );
  for (const r of newestFirst) {
    if (kept.size >= keep) break;
    kept.add(r.revision);
  }
  return newestFirst.filter((r) => !kept.has(r.revision)).map((r) => r.revision);
}
