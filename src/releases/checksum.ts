// A checksum of a release tree: paths, file types, modes and contents, in a
// stable order. Recorded in the completion marker, so a half-staged or
// different tree under the same revision is never taken for the real one.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { PhasedError } from '../errors.js';

export interface TreeSummary {
  checksum: string;
  files: number;
  bytes: number;
}

export async function treeChecksum(root: string): Promise<TreeSummary> {
  const hash = createHash('sha256');
  let files = 0;
  let bytes = 0;
  async function walk(rel: string): Promise<void> {
    const entries = (await readdir(path.join(root, rel))).sort();
    for (const name of entries) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, relPath);
      const st = await lstat(abs);
      if (st.isDirectory()) {
        hash.update(`d ${relPath} ${(st.mode & 0o7777).toString(8)}\n`);
        await walk(relPath);
      } else if (st.isSymbolicLink()) {
        hash.update(`l ${relPath} ${await readlink(abs)}\n`);
      } else if (st.isFile()) {
        hash.update(`f ${relPath} ${(st.mode & 0o7777).toString(8)} ${st.size}\n`);
        for await (const chunk of createReadStream(abs)) hash.update(chunk as Buffer);
        files++;
        bytes += st.size;
      }
    }
  }
  await walk('');
  return { checksum: hash.digest('hex').slice(0, 32), files, bytes };
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
export function cachedTreeChecksum(): (dir: string) => Promise<TreeSummary> {
  const cache = new Map<string, { print: string; summary: TreeSummary }>();
  return async (dir) => {
    let print: string;
    try {
      const st = await lstat(dir);
      if (!st.isDirectory()) throw new Error('not a directory');
      print = await fingerprint(dir);
    } catch (cause) {
      throw new PhasedError({
        code: 'SOURCE_MISSING',
        problem: `the release source ${dir} is not a readable directory on the worker`,
        fix: 'build the release first and pass --source with its directory (as the worker sees it)',
        cause,
      });
    }
    const hit = cache.get(dir);
    if (hit?.print === print) return hit.summary;
    const summary = await treeChecksum(dir);
    cache.set(dir, { print, summary });
    return summary;
  };
}
