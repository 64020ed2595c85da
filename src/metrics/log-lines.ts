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

export interface LogCountsOptions {
  /** Absolute path of the log on the host. */
  path: string;
  /** One series per pattern (awk extended regular expressions), counted in one pass. */
  counts: { series: string; pattern: string }[];
}

// Every pattern counts the very same bytes (the log's size is read once and
// grep reads only that prefix), so counts that are divided by each other
// (errors per request) stay consistent while the log grows. Patterns are
// positional parameters handed to grep -E, never pasted into the script.
const COUNTS_SCRIPT = `set -e
f=$1; shift
inode=$(stat -L -c %i -- "$f"); size=$(stat -L -c %s -- "$f")
out=$inode
for p in "$@"; do
  n=$(head -c "$size" -- "$f" | grep -c -E -e "$p") || [ $? -eq 1 ]
  out="$out \${n:-0}"
done
echo "$out"`;

export function parseInodeCounts(series: readonly string[], stdout: string) {
  const [inode, ...counts] = stdout.trim().split(/\s+/).map(Number);
  if (
    !Number.isFinite(inode) ||
    counts.length !== series.length ||
    counts.some((c) => !Number.isFinite(c))
  )
    throw new Error(
      `expected "inode count..." for ${series.length} patterns, got: ${stdout.trim().slice(0, 80)}`,
    );
  return {
    values: Object.fromEntries(series.map((s, i) => [s, counts[i]!])),
    epochs: Object.fromEntries(series.map((s) => [s, inode!])),
  };
}

/** Counts lines matching each pattern in one read of the log (consistent ratios). */
export function logCountsProbe({ path, counts }: LogCountsOptions): Probe {
  const series = counts.map((c) => c.series);
  return commandProbe({
    name: `log-counts(${series.join(',')})`,
    argv: ['sh', '-c', COUNTS_SCRIPT, 'phased-log-counts', path, ...counts.map((c) => c.pattern)],
    series,
    parse: (stdout) => parseInodeCounts(series, stdout),
  });
}
