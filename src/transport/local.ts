// The local transport: a "host" is a directory on this machine. Programs run
// directly (execFile, no shell), so arguments are never re-parsed.
import { execFile, spawn } from 'node:child_process';
import { ProcessChannel, type RemoteProcess } from './process.js';
import { copyDeadlineMs, rsyncArgs, rsyncFailure, syncStats } from './rsync.js';
import type { ExecOptions, ExecResult, HostTransport, SyncOptions, SyncResult } from './types.js';
import type { Host } from '../core/vocabulary.js';

const DEFAULT_TIMEOUT_MS = 30_000;

function run(argv: readonly string[], timeoutMs: number): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new RangeError('exec needs a program to run'));
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number' && !err.killed && err.signal == null) {
        // Could not start at all (ENOENT, EACCES...).
        reject(new Error(`cannot run ${file}: ${err.message}`, { cause: err }));
        return;
      }
      resolve({ stdout, stderr, code: err ? (typeof err.code === 'number' ? err.code : null) : 0 });
    });
  });
}

export class LocalTransport implements HostTransport {
  exec(_host: Host, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return run(argv, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  start(_host: Host, argv: readonly string[]): Promise<RemoteProcess> {
    const [file, ...args] = argv;
    if (!file) return Promise.reject(new RangeError('start needs a program to run'));
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const channel = new ProcessChannel(
      (data) => child.stdin.write(data),
      () => child.stdin.end(),
    );
    child.stdin.on('error', () => {}); // the program may exit before reading
    child.stdout.on('data', (d: Buffer) => channel.onStdout(d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => channel.onStderr(d.toString('utf8')));
    child.on('close', (code) => channel.onExit(code));
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(channel));
      child.once('error', (err) =>
        reject(new Error(`cannot run ${file}: ${err.message}`, { cause: err })),
      );
    });
  }

  async sync(host: Host, options: SyncOptions): Promise<SyncResult> {
    const result = await run(
      ['rsync', ...rsyncArgs(options)],
      options.timeoutMs ?? copyDeadlineMs(0),
    );
    if (result.code !== 0) {
      throw rsyncFailure(host.name, options.dest, result.code, result.stderr, options.stallSeconds);
    }
    return syncStats(result.stdout);
  }
}
