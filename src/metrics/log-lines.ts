// Counts the lines of a log file that match patterns. A deploy's readings
// are cumulative counts of what was appended since its first reading, kept
// with a cursor on the host (offset and inode), so each reading reads only the
// new bytes however large the log; the counter's epoch changes when the log is
// rotated (new inode) or truncated (shorter than the offset), so the judge's
// counter logic treats it as a restart from zero instead of a negative or
// missed increment. A one-off reading (no cursor) counts the whole file, with
// its inode as the epoch.
import { createHash } from 'node:crypto';
import { LAYOUT } from '../releases/layout.js';
import { commandProbe } from './command.js';
import { ProbeError, type Probe, type ProbeReading } from './types.js';

export interface LogLinesOptions {
  /** Series name, e.g. "log_errors". */
  series: string;
  /** Absolute path of the log on the host. */
  path: string;
  /** Extended regular expression (grep -E). */
  pattern: string;
}

export function parseInodeCount(series: string, stdout: string) {
  const [inode, count] = stdout.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(inode) || !Number.isFinite(count))
    throw new Error(`expected "inode count", got: ${stdout.trim().slice(0, 80)}`);
  return { values: { [series]: count! }, epochs: { [series]: inode! } };
}

export interface LogCountsOptions {
  /** Absolute path of the log on the host. */
  path: string;
  /** One series per pattern (grep -E extended regular expressions), counted over the same bytes. */
  counts: { series: string; pattern: string }[];
}

// Without a cursor (a one-off reading): every pattern counts the very same
// bytes of the whole log (its size is read once and grep reads only that
// prefix), so counts that are divided by each other (errors per request) stay
// consistent while the log grows. Patterns are positional parameters handed
// to grep -E, never pasted into the script.
const COUNTS_SCRIPT = `set -e
f=$1; shift
inode=$(stat -L -c %i -- "$f"); size=$(stat -L -c %s -- "$f")
out=$inode
for p in "$@"; do
  n=$(head -c "$size" -- "$f" | grep -c -E -e "$p") || [ $? -eq 1 ]
  out="$out \${n:-0}"
done
echo "$out"`;

// With a cursor (a deploy's readings): only the bytes appended since the
// previous reading are read. The cursor file on the host holds "inode offset
// generation count...". The first reading starts at the end of the log with
// every count 0; a new inode (rotation) or a log shorter than the offset
// (truncation) starts a new generation from the start of the new content,
// and the generation is the counters' epoch, so the judge sees a restart.
// Only complete lines are consumed: a line still being written waits for the
// next reading. tail -c +N seeks, so the cost is the new bytes, whatever the
// log's size. Cursors untouched for a day (finished deploys) are removed.
// The cursors' directory is made without -p: a probe never recreates a
// deploy root someone deleted (it fails, and the host stops answering).
const INCREMENTAL_SCRIPT = `set -e
f=$1; cursor=$2; shift 2
dir=\${cursor%/*}
inode=$(stat -L -c %i -- "$f"); size=$(stat -L -c %s -- "$f")
[ -d "$dir" ] || mkdir -- "$dir"
find "$dir" -type f -mmin +1440 -delete 2>/dev/null || :
c_inode=; c_off=; c_gen=0; c_counts=
if [ -r "$cursor" ]; then read -r c_inode c_off c_gen c_counts < "$cursor" || :; fi
zeros=; for p in "$@"; do zeros="$zeros 0"; done
if [ -z "$c_inode" ]; then off=$size; gen=1; counts=$zeros
elif [ "$c_inode" = "$inode" ] && [ "$c_off" -le "$size" ]; then off=$c_off; gen=$c_gen; counts=" $c_counts"
else off=0; gen=$((c_gen + 1)); counts=$zeros
fi
new=$((size - off))
if [ "$new" -gt 0 ] && [ "$(tail -c +$((off + new)) -- "$f" | head -c 1 | od -An -tx1 | tr -d ' \n')" != 0a ]; then
  partial=$(tail -c +$((off + 1)) -- "$f" | head -c "$new" | LC_ALL=C sed -n '$p' | wc -c)
  new=$((new - partial))
fi
out=; i=1
for p in "$@"; do
  i=$((i + 1))
  c=$(echo "$counts" | cut -d' ' -f$i)
  n=0
  if [ "$new" -gt 0 ]; then n=$(tail -c +$((off + 1)) -- "$f" | head -c "$new" | grep -c -E -e "$p") || [ $? -eq 1 ]; fi
  out="$out $((c + \${n:-0}))"
done
echo "$inode $((off + new)) $gen$out" > "$cursor.tmp"
mv -f -- "$cursor.tmp" "$cursor"
echo "$gen$out"`;

export function parseInodeCounts(series: readonly string[], stdout: string) {
  const [inode, ...counts] = stdout.trim().split(/\s+/).map(Number);
  if (
    !Number.isFinite(inode) ||
    counts.length !== series.length ||
    counts.some((c) => !Number.isFinite(c))
  )
    throw new Error(
      `expected "epoch count..." for ${series.length} patterns, got: ${stdout.trim().slice(0, 80)}`,
    );
  return {
    values: Object.fromEntries(series.map((s, i) => [s, counts[i]!])),
    epochs: Object.fromEntries(series.map((s) => [s, inode!])),
  };
}

/** Where a deploy's cursor for one log probe lives on the host: under its deploy root. */
export function cursorPath(
  root: string,
  cursor: string,
  path: string,
  patterns: readonly string[],
) {
  const key = createHash('sha256')
    .update(JSON.stringify([cursor, path, patterns]))
    .digest('hex')
    .slice(0, 24);
  return `${root}/${LAYOUT.probeCursors}/${key}`;
}

/** Counts lines matching each pattern over the same bytes (consistent ratios). */
export function logCountsProbe({ path, counts }: LogCountsOptions): Probe {
  const series = counts.map((c) => c.series);
  const patterns = counts.map((c) => c.pattern);
  const name = `log-counts(${series.join(',')})`;
  const parse = (stdout: string) => parseInodeCounts(series, stdout);
  const whole = commandProbe({
    name,
    argv: ['sh', '-c', COUNTS_SCRIPT, 'phased-log-counts', path, ...patterns],
    series,
    parse,
  });
  return {
    series,
    read(ctx) {
      if (ctx.cursor === undefined) return whole.read(ctx);
      const argv = [
        'sh',
        '-c',
        INCREMENTAL_SCRIPT,
        'phased-log-counts',
        path,
        cursorPath(ctx.host.root, ctx.cursor, path, patterns),
        ...patterns,
      ];
      return commandProbe({ name, argv, series, parse }).read(ctx);
    },
  };
}

/** Counts the lines of a log that match one pattern. */
export function logLinesProbe({ series, path, pattern }: LogLinesOptions): Probe {
  const probe = logCountsProbe({ path, counts: [{ series, pattern }] });
  return { series: probe.series, read: (ctx) => renamed(probe.read(ctx), series) };
}

/** A log-lines probe's errors name it as such. */
async function renamed(reading: Promise<ProbeReading>, series: string): Promise<ProbeReading> {
  try {
    return await reading;
  } catch (err) {
    if (err instanceof ProbeError)
      throw new ProbeError(
        err.host,
        `log-lines(${series})`,
        err.reason.replace(/^probe [^:]+: /, ''),
        {
          cause: err.cause,
        },
      );
    throw err;
  }
}
