// What goes live is what was hashed: staging copies the release source once
// into a private snapshot on the worker and ships and hashes that, so a build
// still being written, or a second CI job rewriting the directory, cannot
// put different trees on different hosts under one checksum. A source that
// changes while its snapshot is taken is refused (SOURCE_CHANGED); the
// workflow also compares every host's checksum, across batches and workers.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PhasedError } from '../errors.js';
import { treeStamps } from './checksum.js';

const run = promisify(execFile);

/** Snapshots kept at once by one worker (each a copy of a release); the oldest goes first. */
const KEEP = 4;

export interface SnapshotOptions {
  /** Ship what symlinks leaving the tree point at (the snapshot holds the files themselves). */
  copyUnsafeLinks?: boolean;
  /** Batches of one deploy on this worker share one snapshot. */
  key: string;
}

export type TakeSnapshot = (source: string, options: SnapshotOptions) => Promise<string>;

/**
 * Snapshots under `dir/<pid>`, this worker's own: removed when it stops,
 * and those of workers that are gone are removed when one starts.
 */
export function sourceSnapshots(dir: string): { take: TakeSnapshot; removeAll(): void } {
  const mine = path.join(dir, String(process.pid));
  removeAbandoned(dir);
  const taken = new Map<string, Promise<string>>();
  const take: TakeSnapshot = (source, options) => {
    const key = `${options.key}\0${source}\0${options.copyUnsafeLinks ? 1 : 0}`;
    let hit = taken.get(key);
    if (!hit) {
      hit = snapshot(mine, source, options.copyUnsafeLinks ?? false);
      hit.catch(() => taken.delete(key));
      taken.set(key, hit);
      while (taken.size > KEEP) {
        const [oldest, dirP] = taken.entries().next().value!;
        taken.delete(oldest);
        void dirP.then((d) => rm(d, { recursive: true, force: true })).catch(() => undefined);
      }
    }
    return hit;
  };
  return {
    take,
    removeAll: () => {
      taken.clear();
      rmSync(mine, { recursive: true, force: true });
    },
  };
}

async function snapshot(dir: string, source: string, copyUnsafeLinks: boolean): Promise<string> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const to = await mkdtemp(path.join(dir, 'snap-'));
  try {
    const before = await treeStamps(source);
    await run(
      'rsync',
      [
        '-a',
        ...(copyUnsafeLinks ? ['--copy-unsafe-links'] : []),
        '--',
        `${source.replace(/\/+$/, '')}/`,
        `${to}/`,
      ],
      { maxBuffer: 16 * 2 ** 20 },
    );
    const changed = differences(before, await treeStamps(source));
    if (changed.length > 0)
      throw new PhasedError({
        code: 'SOURCE_CHANGED',
        problem: `the release source ${source} changed while phased copied it (${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ` and ${changed.length - 5} more` : ''}): a build still being written, or another job writing the same directory`,
        fix: 'deploy a finished build from a directory nothing writes to any more (one directory per commit), then deploy again',
      });
    return to;
  } catch (err) {
    await rm(to, { recursive: true, force: true });
    if (err instanceof PhasedError) throw err;
    throw new PhasedError({
      code: 'SOURCE_INVALID',
      problem: `cannot snapshot the release source ${source} on the worker: ${(err as Error).message.split('\n')[0]}`,
      fix: "check that the source is readable and that the worker's state directory has room for a copy of the release",
      cause: err,
    });
  }
}

/** Paths added, removed or rewritten between two stamp maps. */
function differences(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [p, s] of a) if (b.get(p) !== s) out.push(p);
  for (const p of b.keys()) if (!a.has(p)) out.push(p);
  return out;
}

/** Snapshot directories of worker processes that no longer run. */
function removeAbandoned(dir: string) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
