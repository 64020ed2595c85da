// A checksum of a release tree: paths, file types, modes and contents, in a
// stable order. Recorded in the completion marker, so a half-staged or
// different tree under the same revision is never taken for the real one.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { PhasedError } from '../errors.js';
import type { ManifestEntry } from './manifest.js';

export interface TreeSummary {
  checksum: string;
  files: number;
  bytes: number;
  /** Each regular file's path, size, mtime and hash, for staging by manifest (stays on the worker). */
  manifest?: ManifestEntry[];
}

export interface TreeOptions {
  /** Symlinks that leave the tree are copied as what they point at, so they are allowed. */
  copyUnsafeLinks?: boolean;
}

/** A symlink that rsync would call unsafe: absolute, or climbing above the tree's top. */
export function leavesTree(relPath: string, target: string): boolean {
  if (path.posix.isAbsolute(target)) return true;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(relPath), target));
  return resolved === '..' || resolved.startsWith('../');
}

/** Files read ahead of the hash, at most, and the largest file read whole (bigger ones stream). */
const READ_AHEAD = 32;
const WHOLE_FILE_MAX = 8 * 2 ** 20;

/**
 * Hashes a release tree, after checkSource has accepted it: the tree's
 * checksum (paths, types, modes, contents, in a stable order) and each
 * file's own hash for the manifest. Files are read several at a time ahead
 * of the hash, which takes them in order: reading one file after another
 * spent most of the time waiting on the disk.
 */
export async function treeChecksum(
  root: string,
  { copyUnsafeLinks = false }: TreeOptions = {},
): Promise<TreeSummary> {
  await checkSource(root, { copyUnsafeLinks });
  type Item =
    | { kind: 'd' | 'l'; line: string }
    | { kind: 'f'; line: string; rel: string; abs: string; size: number; mtimeMs: number };
  const items: Item[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = (await readdir(path.join(root, rel))).sort();
    for (const name of entries) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, relPath);
      const st = await lstat(abs);
      if (st.isDirectory()) {
        items.push({ kind: 'd', line: `d ${relPath} ${(st.mode & 0o7777).toString(8)}\n` });
        await walk(relPath);
      } else if (st.isSymbolicLink()) {
        items.push({ kind: 'l', line: `l ${relPath} ${await readlink(abs)}\n` });
      } else if (st.isFile()) {
        items.push({
          kind: 'f',
          line: `f ${relPath} ${(st.mode & 0o7777).toString(8)} ${st.size}\n`,
          rel: relPath,
          abs,
          size: st.size,
          mtimeMs: st.mtimeMs,
        });
      }
    }
  }
  await walk('');
  const files = items.flatMap((x) => (x.kind === 'f' ? [x] : []));
  const ahead = new Map<number, Promise<Buffer>>();
  let next = 0;
  const readAhead = () => {
    while (next < files.length && ahead.size < READ_AHEAD) {
      const f = files[next]!;
      if (f.size <= WHOLE_FILE_MAX) {
        const data = readFile(f.abs);
        data.catch(() => {}); // awaited in its turn; an error before then must not go unhandled
        ahead.set(next, data);
      }
      next++;
      if (f.size > WHOLE_FILE_MAX) break; // streamed in its turn
    }
  };
  const hash = createHash('sha256');
  const manifest: ManifestEntry[] = [];
  let bytes = 0;
  let i = 0;
  for (const item of items) {
    hash.update(item.line);
    if (item.kind !== 'f') continue;
    readAhead();
    const own = createHash('sha256');
    const whole = ahead.get(i);
    if (whole) {
      const data = await whole;
      ahead.delete(i);
      hash.update(data);
      own.update(data);
    } else
      for await (const chunk of createReadStream(item.abs)) {
        hash.update(chunk as Buffer);
        own.update(chunk as Buffer);
      }
    i++;
    manifest.push({
      p: item.rel,
      s: item.size,
      m: Math.floor(item.mtimeMs / 1000),
      h: own.digest('hex'),
    });
    bytes += item.size;
  }
  return { checksum: hash.digest('hex').slice(0, 32), files: files.length, bytes, manifest };
}

/**
 * Refuses a source tree that must never be shipped (without reading file
 * contents, so the CLI can check before it starts a deploy): an empty tree,
 * devices, sockets and FIFOs, and, unless they are to be copied, symlinks
 * that point outside the tree, like `static/leak -> /etc/shadow`.
 */
export async function checkSource(
  root: string,
  { copyUnsafeLinks = false }: TreeOptions = {},
): Promise<{ bytes: number }> {
  let entries = 0;
  let bytes = 0;
  const unsafe: string[] = [];
  const special: string[] = [];
  async function walk(rel: string): Promise<void> {
    for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(relPath);
      else if (e.isSymbolicLink()) {
        entries++;
        const target = await readlink(path.join(root, relPath));
        if (!copyUnsafeLinks && leavesTree(relPath, target)) unsafe.push(`${relPath} -> ${target}`);
      } else if (e.isFile()) {
        entries++;
        bytes += (await lstat(path.join(root, relPath))).size;
      } else special.push(relPath);
    }
  }
  await walk('');
  const list = (xs: string[]) =>
    xs.slice(0, 5).join(', ') + (xs.length > 5 ? ` (and ${xs.length - 5} more)` : '');
  if (entries === 0)
    throw sourceInvalid(`the release source ${root} is empty`, 'build the release into it first');
  if (special.length > 0)
    throw sourceInvalid(
      `the release source ${root} holds files that are not regular files, directories or symlinks (devices, sockets or FIFOs): ${list(special)}`,
      'remove them from the build output',
    );
  if (unsafe.length > 0)
    throw sourceInvalid(
      `the release source ${root} has symlinks that point outside it: ${list(unsafe)}`,
      'make them relative links inside the release, or set unsafeSymlinks: copy in the cluster file to ship what they point at',
    );
  return { bytes };
}

/**
 * What staging needs before it copies anything: a source that exists and
 * checkSource accepts, and its size (for the hosts' free-space check). Its
 * hashes can come later (treeChecksum), while the hosts copy.
 */
export async function sourceShape(
  dir: string,
  options: TreeOptions = {},
): Promise<{ bytes: number }> {
  try {
    if (!(await lstat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (cause) {
    throw sourceMissing(dir, cause);
  }
  return checkSource(dir, options);
}

const sourceMissing = (dir: string, cause: unknown) =>
  new PhasedError({
    code: 'SOURCE_MISSING',
    problem: `the release source ${dir} is not a readable directory on the worker`,
    fix: 'build the release first and pass --source with its directory (as the worker sees it)',
    cause,
  });

function sourceInvalid(problem: string, fix: string): PhasedError {
  return new PhasedError({ code: 'SOURCE_INVALID', problem, fix });
}

/** Paths, sizes and mtimes of a tree: cheap to compute, changes when the tree does. */
async function fingerprint(root: string): Promise<string> {
  const parts: string[] = [];
  async function walk(rel: string): Promise<void> {
    for (const e of (await readdir(path.join(root, rel), { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      const st = await lstat(path.join(root, relPath));
      parts.push(`${relPath} ${st.size} ${st.mtimeMs} ${st.mode}`);
      if (e.isDirectory()) await walk(relPath);
    }
  }
  await walk('');
  return parts.join('\n');
}

/**
 * treeChecksum with a cache keyed by the tree's fingerprint, so the batches of
 * one deploy hash the source once. Errors name the missing source.
 */
export function cachedTreeChecksum(): (dir: string, options?: TreeOptions) => Promise<TreeSummary> {
  const cache = new Map<string, { print: string; summary: TreeSummary }>();
  return async (dir, options = {}) => {
    let print: string;
    try {
      const st = await lstat(dir);
      if (!st.isDirectory()) throw new Error('not a directory');
      print = await fingerprint(dir);
    } catch (cause) {
      throw sourceMissing(dir, cause);
    }
    const key = `${options.copyUnsafeLinks ? 'copy' : 'refuse'} ${dir}`;
    const hit = cache.get(key);
    if (hit?.print === print) return hit.summary;
    const summary = await treeChecksum(dir, options);
    cache.set(key, { print, summary });
    return summary;
  };
}
