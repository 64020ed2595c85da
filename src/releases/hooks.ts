// Lifecycle hooks and health checks on a host. A hook is the cluster file's
// own command, run in a shell on the host from the release's directory; what
// phased knows of the release reaches it only as environment variables
// (values are argv entries of env(1), never spliced into the command text).
// A command health check runs the same way.
import { PhasedError } from '../errors.js';
import type { HookName, HookRun, HookSpec, Host } from '../core/vocabulary.js';
import type { ExecResult, HostTransport } from '../transport/types.js';
import { assertRevision, releaseDir } from './layout.js';
import { notRun } from './ops.js';
import { redactSecrets } from '../secrets/redact.js';

/** What a hook is told about the release it runs for. */
export interface HookContext {
  /** The release the host now runs (or is staging, or keeps while pruning). */
  revision: string;
  /** The release it replaced, when there was one. */
  previous?: string | null;
  /** For beforePrune: the releases about to be removed. */
  removing?: readonly string[];
  /** The cluster file's hookEnv: the only variables beside PHASED_* (and PATH). */
  env?: Readonly<Record<string, string>>;
}

/** PATH for hooks whose cluster file sets none: the system's usual directories, not the worker's. */
export const HOOK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Last lines of a hook's output kept in the activity result: enough to see why, bounded. */
const OUTPUT_LINES = 20;
const OUTPUT_CHARS = 2_000;

export function tail(stdout: string, stderr: string): string {
  // Redacted before it is cut, so no secret is kept half.
  const text = redactSecrets([stdout.trimEnd(), stderr.trimEnd()].filter(Boolean).join('\n'));
  const lines = text.split('\n').slice(-OUTPUT_LINES).join('\n');
  return lines.length > OUTPUT_CHARS ? `…${lines.slice(-OUTPUT_CHARS)}` : lines;
}

/** Exit statuses of timeout(1): the command ran out of time (124), or needed SIGKILL (137). */
const TIMED_OUT = [124, 137];

/** Grace after a command's own deadline before the transport gives up on the host. */
const TRANSPORT_GRACE_MS = 5_000;

/**
 * argv that runs `command` in a shell on the host, in the release directory,
 * with the release in its environment, under timeout(1): at its deadline the
 * command's whole process group is stopped on the host, children included
 * (a transport's own deadline would only drop its connection).
 */
export function hookArgv(
  host: Host,
  name: string,
  command: string,
  ctx: HookContext,
  timeoutMs: number,
): string[] {
  assertRevision(ctx.revision);
  if (ctx.previous) assertRevision(ctx.previous);
  ctx.removing?.forEach(assertRevision);
  const release = releaseDir(host.root, ctx.revision);
  const declared = Object.entries({ PATH: HOOK_PATH, ...ctx.env }).map(([k, v]) => `${k}=${v}`);
  return [
    // -i: nothing of the worker's (or the login's) environment, only what is declared.
    'env',
    '-i',
    ...declared,
    `PHASED_HOOK=${name}`,
    `PHASED_HOST=${host.name}`,
    `PHASED_ADDRESS=${host.address}`,
    `PHASED_ROOT=${host.root}`,
    `PHASED_REVISION=${ctx.revision}`,
    `PHASED_RELEASE_PATH=${release}`,
    `PHASED_PREVIOUS_REVISION=${ctx.previous ?? ''}`,
    `PHASED_REMOVING=${(ctx.removing ?? []).join(' ')}`,
    'timeout',
    '-k',
    '2',
    `${timeoutMs / 1000}s`,
    'sh',
    '-c',
    // $1 is the command: run by a shell of its own, from the release's directory.
    'cd "$PHASED_RELEASE_PATH" || exit 97; unset OLDPWD; exec sh -c "$1"',
    'phased-hook',
    command,
  ];
}

/** Runs `command` on the host as hookArgv sets it up; only a host it cannot reach throws. */
async function runOnHost(
  t: HostTransport,
  host: Host,
  name: string,
  command: string,
  ctx: HookContext,
  timeoutMs: number,
): Promise<ExecResult & { timedOut: boolean }> {
  let r: ExecResult;
  try {
    r = await t.exec(host, hookArgv(host, name, command, ctx, timeoutMs), {
      timeoutMs: timeoutMs + TRANSPORT_GRACE_MS,
    });
  } catch (cause) {
    throw notRun(host, name === 'health' ? 'health check' : `hook ${name}`, cause);
  }
  return { ...r, timedOut: r.code === null || TIMED_OUT.includes(r.code) };
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
  const r = await runOnHost(t, host, name, spec.run, ctx, spec.timeoutMs);
  const run: HookRun = {
    hook: name,
    code: r.code,
    ms: Date.now() - started,
    output: tail(r.stdout, r.stderr),
  };
  if (r.code === 0) return run;
  const how = r.timedOut
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
  const r = await runOnHost(t, host, 'health', command, ctx, timeoutMs);
  const out = tail(r.stdout, r.stderr).split('\n').slice(-2).join(' / ');
  if (r.code === 0) return { ok: true, said: 'exit 0' };
  return {
    ok: false,
    said: `${r.timedOut ? `no answer within ${timeoutMs / 1000}s` : `exit ${r.code}`}${out ? `: ${out}` : ''}`,
  };
}
