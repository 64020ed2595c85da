// One remote round trip per host per reading: the commands a reading's probes
// start at the same moment are sent to the host together, as one shell that
// runs them side by side and frames each one's output and exit status, so a
// host with five command and log probes costs one SSH channel per reading,
// not five. Each command's argv travels as positional parameters; the shell
// refers to them by position only (eval sees "${3}", never a value).
import { randomBytes } from 'node:crypto';
import type { Host } from '../core/vocabulary.js';
import type { ExecOptions, ExecResult, HostTransport } from '../transport/types.js';

const RUNNER = `
nonce=$1; shift
dir=$(mktemp -d 2>/dev/null) || { echo "cannot create a temporary directory" >&2; exit 125; }
trap 'rm -rf -- "$dir"' EXIT
i=0
while [ $# -gt 0 ]; do
  n=$1; shift
  cmd=; j=1
  while [ "$j" -le "$n" ]; do cmd="$cmd \\"\\\${$j}\\""; j=$((j + 1)); done
  (eval "exec $cmd") > "$dir/$i.out" 2> "$dir/$i.err" < /dev/null &
  eval "pid_$i=$!"
  shift "$n"
  i=$((i + 1))
done
k=0
while [ "$k" -lt "$i" ]; do
  eval "wait \\"\\$pid_$k\\""
  rc=$?
  printf '\\n%s %s out %s\\n' "$nonce" "$k" "$rc"
  cat -- "$dir/$k.out"
  printf '\\n%s %s err\\n' "$nonce" "$k"
  cat -- "$dir/$k.err"
  k=$((k + 1))
done
printf '\\n%s end\\n' "$nonce"
`;

/** The argv that runs every command at once and frames their results. */
export function combinedArgv(nonce: string, commands: readonly (readonly string[])[]): string[] {
  return [
    'sh',
    '-c',
    RUNNER,
    'phased-probes',
    nonce,
    ...commands.flatMap((argv) => [String(argv.length), ...argv]),
  ];
}

/** Splits the runner's output into each command's result; null when it is cut short. */
export function splitCombined(nonce: string, count: number, stdout: string): ExecResult[] | null {
  const results: ExecResult[] = [];
  let rest = stdout;
  for (let k = 0; k < count; k++) {
    const head = new RegExp(`^\\n${nonce} ${k} out (\\d+)\\n`).exec(rest);
    if (!head) return null;
    rest = rest.slice(head[0].length);
    const errMark = `\n${nonce} ${k} err\n`;
    const at = rest.indexOf(errMark);
    if (at < 0) return null;
    const out = rest.slice(0, at);
    rest = rest.slice(at + errMark.length);
    const next = rest.indexOf(`\n${nonce} `);
    if (next < 0) return null;
    results.push({ stdout: out, stderr: rest.slice(0, next), code: Number(head[1]) });
    rest = rest.slice(next);
  }
  return rest.startsWith(`\n${nonce} end\n`) ? results : null;
}

interface Pending {
  argv: readonly string[];
  options: ExecOptions | undefined;
  resolve: (r: ExecResult) => void;
  reject: (err: unknown) => void;
}

/**
 * A transport for one reading of one host: exec calls made in the same turn
 * of the event loop go to the host as one command. Everything else passes
 * through.
 */
export function batchedExec(transport: HostTransport, host: Host): HostTransport {
  let queue: Pending[] = [];
  const flush = async () => {
    const batch = queue;
    queue = [];
    if (batch.length === 1) {
      const [only] = batch;
      transport.exec(host, only!.argv, only!.options).then(only!.resolve, only!.reject);
      return;
    }
    const nonce = `phased-${randomBytes(12).toString('hex')}`;
    const timeouts = batch.map((p) => p.options?.timeoutMs).filter((t) => t !== undefined);
    try {
      const r = await transport.exec(
        host,
        combinedArgv(
          nonce,
          batch.map((p) => p.argv),
        ),
        timeouts.length ? { timeoutMs: Math.max(...timeouts) } : undefined,
      );
      const parts = splitCombined(nonce, batch.length, r.stdout);
      batch.forEach((p, i) =>
        p.resolve(
          parts?.[i] ?? {
            // Cut short (the deadline, a dropped connection): every command shares the outcome.
            stdout: '',
            stderr: r.stderr || 'the combined probe command ended early',
            code: r.code === 0 ? null : r.code,
          },
        ),
      );
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  };
  return {
    start: (h, argv) => transport.start(h, argv),
    sync: (h, options) => transport.sync(h, options),
    exec(h, argv, options) {
      if (h !== host) return transport.exec(h, argv, options);
      return new Promise<ExecResult>((resolve, reject) => {
        if (queue.length === 0) setImmediate(() => void flush());
        queue.push({ argv, options, resolve, reject });
      });
    },
  };
}
