// What phased needs from a way of reaching a host: run a program there with
// arguments (never a shell line), with a deadline. The local transport runs it
// on this machine; the SSH transport runs it on a server.
import type { Host } from '../core/vocabulary.js';
import type { RemoteProcess } from './process.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when killed by a signal or the deadline. */
  code: number | null;
}

export interface ExecOptions {
  timeoutMs?: number;
}

export interface SyncOptions {
  /** Directory on the worker whose contents are copied. */
  source: string;
  /** Absolute directory on the host that receives them. */
  dest: string;
  /** An existing directory on the host whose unchanged files are hard-linked instead of sent. */
  linkDest?: string;
  /** Copy what symlinks pointing outside the source point at (rsync --copy-unsafe-links). */
  copyUnsafeLinks?: boolean;
  /** Compare files by content (default), or by size and mtime (when a manifest covers the rest). */
  checksum?: boolean;
  /** Only the files this list on the worker names (NUL-separated, relative to source). */
  filesFrom?: string;
  /** Most of the tree is to cross (no basis on the host): a transport may favour throughput. */
  wholeTree?: boolean;
  /** Kills the copy however it is doing (default: copyDeadlineMs of nothing, half an hour). */
  timeoutMs?: number;
  /** Seconds without any data moving after which the copy gives up (rsync --timeout). */
  stallSeconds?: number;
}

export interface SyncResult {
  /** Bytes rsync sent (its own count), when known. */
  bytesSent: number | undefined;
  /** Regular files rsync sent (created or replaced), when known. */
  filesSent?: number | undefined;
}

export interface HostTransport {
  /** Connections (so remote processes) it holds at once, when bounded (SSH: maxConnections). */
  readonly maxConnections?: number;
  /** Starts `argv` on the host and returns at once: its stdin stays open for phased to write to. */
  start(host: Host, argv: readonly string[]): Promise<RemoteProcess>;
  /** Runs `argv` on the host. Resolves with the exit code; rejects only when it cannot run at all. */
  exec(host: Host, argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Copies a tree from the worker to the host with rsync (resumable, deltas only). */
  sync(host: Host, options: SyncOptions): Promise<SyncResult>;
}
