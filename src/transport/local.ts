// The local transport: a "host" is a directory on this machine. Programs run
// directly (execFile, no shell), so arguments are never re-parsed.
import { execFile } from 'node:child_process';
import type { ExecOptions, ExecResult, Host, HostTransport } from './types.js';

const DEFAULT_TIMEOUT_MS = 30_000;

export class LocalTransport implements HostTransport {
  exec(_host: Host, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) return Promise.reject(new RangeError('exec needs a program to run'));
    return new Promise((resolve, reject) => {
      execFile(
        file,
        args,
        { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: 16 * 2 ** 20 },
        (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number' && !err.killed && err.signal == null) {
            // Could not start at all (ENOENT, EACCES...).
            reject(new Error(`cannot run ${file}: ${err.message}`, { cause: err }));
            return;
          }
          resolve({
            stdout,
            stderr,
            code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
          });
        },
      );
    });
  }
}
