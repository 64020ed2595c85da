// A release's manifest: each regular file's path, size, mtime (whole seconds)
// and SHA-256, computed once on the worker from the source and stored beside
// the release's completion marker on every host. Staging compares the new
// release's manifest with its basis's to find the files rsync's quick check
// (size and mtime) would take for unchanged although their content differs:
// only those are compared by content, instead of hashing every file of the
// release on both ends at every deploy (rsync --checksum).
//
// Why a release staged this way matches its source, file by file:
// - a file whose size or mtime differs from the basis's is sent by rsync, which
//   verifies every file it sends against the sender's whole-file checksum;
// - a file the quick check links from the basis has the basis's size and
//   mtime; unless it is on the re-check list, its hash in the basis's manifest
//   equals the source's, and the basis's file has that content because it was
//   verified the same way when the basis was staged and phased never writes
//   into a complete release (releases are immutable);
// - a file on the re-check list is compared by content (rsync --checksum) in
//   a second pass, which replaces a wrong hard link by a verified copy without
//   touching the basis's file (rsync writes a new file and renames it).
// A basis without a manifest (staged by an older phased), or a release that
// copies symlinks leaving the tree, is staged with --checksum as before.

import { createHash } from 'node:crypto';

export interface ManifestEntry {
  /** Path inside the release. */
  p: string;
  /** Size in bytes. */
  s: number;
  /** mtime, whole seconds. */
  m: number;
  /** SHA-256, hex. */
  h: string;
}

/**
 * The manifest as stored on the hosts: one line per file, `"<path as a JSON
 * string>" <size> <mtime> <sha256>`, in byte order (as LC_ALL=C sort orders
 * them), so a host can rebuild a release's manifest from its basis's and a
 * delta, and the worker can check the result by its digest.
 */
export function manifestLines(entries: readonly ManifestEntry[]): string[] {
  return entries.map(manifestLine).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

const manifestLine = (e: ManifestEntry) => `${JSON.stringify(e.p)} ${e.s} ${e.m} ${e.h}`;

export const manifestText = (lines: readonly string[]) => lines.map((l) => `${l}\n`).join('');

export const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');

const LINE = /^("(?:[^"\\]|\\.)*") (\d+) (\d+) ([0-9a-f]{64})$/;

/** A manifest read from a host, or null when there is none or it is not one phased wrote. */
export function parseManifest(text: string): ManifestEntry[] | null {
  if (text === '' || !text.endsWith('\n')) return null;
  const entries: ManifestEntry[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    const m = LINE.exec(line);
    if (!m) return null;
    let p: unknown;
    try {
      p = JSON.parse(m[1]!);
    } catch {
      return null;
    }
    if (typeof p !== 'string') return null;
    entries.push({ p, s: Number(m[2]), m: Number(m[3]), h: m[4]! });
  }
  return entries;
}

/** Bytes of the files in `next` that the basis does not hold alike (path, size, mtime, hash). */
export function bytesNotIn(next: readonly ManifestEntry[], basis: readonly string[]): number {
  const held = new Set(basis);
  return next.reduce((n, e) => n + (held.has(manifestLine(e)) ? 0 : e.s), 0);
}

/** What turns the basis's manifest into the new one: "-line" to drop, "+line" to add. */
export function manifestDelta(next: readonly string[], basis: readonly string[]): string {
  const inNext = new Set(next);
  const inBasis = new Set(basis);
  return (
    basis
      .filter((l) => !inNext.has(l))
      .map((l) => `-${l}\n`)
      .join('') +
    next
      .filter((l) => !inBasis.has(l))
      .map((l) => `+${l}\n`)
      .join('')
  );
}

/**
 * The files of `next` that rsync's quick check would link from `basis`
 * (same path, size and mtime second) although their content differs.
 */
export function quickCheckMisses(
  next: readonly ManifestEntry[],
  basis: readonly ManifestEntry[],
): string[] {
  const old = new Map(basis.map((e) => [e.p, e]));
  return next
    .filter((e) => {
      const b = old.get(e.p);
      return b !== undefined && b.s === e.s && b.m === e.m && b.h !== e.h;
    })
    .map((e) => e.p);
}
