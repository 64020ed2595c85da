// Counts the lines of a log file that match a pattern. The reading is a
// cumulative count over the current file, with the file's inode as the
// counter's epoch: when the log is rotated (new inode) or truncated (count
// drops), the judge's counter logic treats it as a restart from zero instead
// of a negative or missed increment.
import { commandProbe } from './command.js';
import type { Probe } from './types.js';

export interface LogLinesOptions {
  /** Series name, e.g. "log_errors". */
  series: string;
  /** Absolute path of the log on the host. */
  path: string;
  /** Extended regular expression (grep -E). */
  pattern: string;
}

// The path and pattern travel as positional parameters ($1, $2): they are
// never pasted into the script, so they cannot inject shell syntax.
// grep exits 1 when nothing matches (count 0 is fine) and 2 on errors.
const SCRIPT =
  'set -e; inode=$(stat -L -c %i -- "$1"); n=$(grep -c -E -e "$2" -- "$1") || [ $? -eq 1 ]; echo "$inode ${n:-0}"';

export function parseInodeCount(series: string, stdout: string) {
  const [inode, count] = stdout.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(inode) || !Number.isFinite(count))
    throw new Error(`expected "inode count", got: ${stdout.trim().slice(0, 80)}`);
  return { values: { [series]: count! }, epochs: { [series]: inode! } };
}

export function logLinesProbe({ series, path, pattern }: LogLinesOptions): Probe {
  return commandProbe({
    name: `log-lines(${series})`,
    argv: ['sh', '-c', SCRIPT, 'phased-log-lines', path, pattern],
    series: [series],
    parse: (stdout) => parseInodeCount(series, stdout),
  });
}
