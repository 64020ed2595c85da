// Lifecycle hooks and health checks on a host. A hook is the cluster file's
// own command, run in a shell on the host from the release's directory; what
// phased knows of the release reaches it only as environment variables
// (values are argv entries of env(1), never spliced into the command text).
// A command health check runs the same way.
import { PhasedError, describeCause, isPhasedError } from '../errors.js';
import type { HookName, HookRun, HookSpec, Host } from '../core/vocabulary.js';
import type { ExecResult, HostTransport } from '../transport/types.js';
import { assertRevision, releaseDir } from './layout.js';

/** What a hook is told about the release it runs for. */
export interface HookContext {
  /** The release the host now runs (or is staging, or keeps while pruning). */
  revision: string;
  /** The release it replaced, when there was one. */
  previous?: string | null;
  /** For beforePrune: the releases about to be removed. */
  removing?: readonly string[];
}

/** Last lines of a hook's output kept in the activity result: enough to see why, bounded. */
const OUTPUT_LINES = 20;
const OUTPUT_CHARS = 2_000;

export function tail(stdout: string, stderr: string): string {
  const text = [stdout.trimEnd(), stderr.trimEnd()].filter(Boolean).join('\n');
  const lines = text.split('\n').slice(-OUTPUT_LINES).join('\n');
  return lines.length > OUTPUT_CHARS ? `…${lines.slice(-OUTPUT_CHARS)}` : lines;
}

/** argv that runs `command` in a shell on the host, in the release directory, with the release in its environment. */
export function hookArgv(host: Host, name: string, command: string, ctx: HookContext): string[] {
  assertRevision(ctx.revision);
  if (ctx.previous) assertRevision(ctx.previous);
  ctx.removing?.forEach(assertRevision);
  const release = releaseDir(host.root, ctx.revision);
  return [
    'env',
    `PHASED_HOOK=${name}`,
    `PHASED_HOST=${host.name}`,
    `PHASED_ADDRESS=${host.address}`,
    `PHASED_ROOT=${host.root}`,
    `PHASED_REVISION=${ctx.revision}`,
    `PHASED_RELEASE_PATH=${release}`,
    `PHASED_PREVIOUS_REVISION=${ctx.previous ?? ''}`,
    `PHASED_REMOVING=${(ctx.removing ?? []).join(' ')}`,
    'sh',
    '-c',
    // $1 is the command: run by a shell of its own, from the release's directory.
    'cd "$PHASED_RELEASE_PATH" || exit 97; exec sh -c "$1"',
    'phased-hook',
    command,
  ];
}

async function exec(
  t: HostTransport,
  host: Host,
  argv: string[],
  timeoutMs: number,
  what: string,
): Promise<ExecResult> {
  try {
    return await t.exec(host, argv, { timeoutMs });
  } catch (cause) {
    if (isPhasedError(cause)) throw cause;
    throw new PhasedError({
      code: 'HOST_UNREACHABLE',
      problem: `${host.name}: cannot run ${what}: ${describeCause(cause)}`,
      fix: 'check that the host is up and reachable; phased retries with backoff',
      retryable: true,
      cause,
    });
  }
}

/**
 * Runs a hook; returns how it went, or throws HOOK_FAILED (not retried: the
 * command ran and said no) naming the exit status and the output's last lines.
 */
export async function runHook(
  t: HostTransport,
  host: Host,
  name: HookName,
  spec: HookSpec,
  ctx: HookContext,
): Promise<HookRun> {
  const started = Date.now();
  const r = await exec(
    t,
    host,
    hookArgv(host, name, spec.run, ctx),
    spec.timeoutMs,
    `hook ${name}`,
  );
  const run: HookRun = {
    hook: name,
    code: r.code,
    ms: Date.now() - started,
    output: tail(r.stdout, r.stderr),
  };
  if (r.code === 0) return run;
  const how =
    r.code === null
      ? `did not finish within ${spec.timeoutMs / 1000}s`
      : r.code === 97
        ? `could not enter ${releaseDir(host.root, ctx.revision)}`
        : `exited ${r.code}`;
  throw new PhasedError({
    code: 'HOOK_FAILED',
    problem: `${host.name}: hook ${name} (${JSON.stringify(spec.run.slice(0, 120))}) ${how}${run.output ? `; it wrote:\n${run.output}` : ''}`,
    fix: `run the hook's command on ${host.name} by hand to see why, then fix it (or its timeout) in the cluster file`,
    retryable: false,
  });
}

/** Runs a command health check once: exit 0 is healthy. Returns what it said. */
export async function commandHealthy(
  t: HostTransport,
  host: Host,
  command: string,
  ctx: HookContext,
  timeoutMs: number,
): Promise<{ ok: boolean; said: string }> {
  const r = await exec(t, host, hookArgv(host, 'health', command, ctx), timeoutMs, 'health check');
  const out = tail(r.stdout, r.stderr).split('\n').slice(-2).join(' / ');
  if (r.code === 0) return { ok: true, said: 'exit 0' };
  return {
    ok: false,
    said: `${r.code === null ? `no answer within ${timeoutMs / 1000}s` : `exit ${r.code}`}${out ? `: ${out}` : ''}`,
  };
}
