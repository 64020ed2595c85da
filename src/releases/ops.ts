// Release operations on one host, over any transport: inspect, stage, flip,
// remove. Idempotent: staging a staged release and flipping to the live one
// are no-ops. Errors name the host and say what to do.
import { PhasedError, describeCause, isPhasedError, type ErrorCode } from '../errors.js';
import type { RemoteProcess } from '../transport/process.js';
import { failureReasons } from '../transport/reasons.js';
import type { ExecResult, Host, HostTransport } from '../transport/types.js';
import type { TreeSummary } from './checksum.js';
import { assertRevision, releaseDir } from './layout.js';
import { ARMED_FLIP, FLIP, INSPECT, MARK_COMPLETE, PREPARE, REMOVE, script } from './scripts.js';
import type { ReleaseInfo } from './retention.js';

export interface HostReleases {
  current: string | null;
  releases: (ReleaseInfo & { checksum: string })[];
}

function hostError(
  host: Host,
  code: ErrorCode,
  problem: string,
  fix: string,
  retryable: boolean,
  cause?: unknown,
) {
  return new PhasedError({ code, problem: `${host.name}: ${problem}`, fix, retryable, cause });
}

// Retrying cannot fix these: someone has to change the host.
const PERMISSION = /permission denied|read-only file system|operation not permitted/i;
const permissionFix = (host: Host) => `give the deploy user write access to ${host.root}`;

/** The error for a transport that could not run a script at all. */
function notRun(host: Host, name: string, cause: unknown): PhasedError {
  if (isPhasedError(cause)) return cause; // the transport's own error already names the host
  return hostError(
    host,
    'HOST_UNREACHABLE',
    `cannot run ${name}: ${describeCause(cause)}`,
    'check that the host is up and reachable; phased retries with backoff',
    true,
    cause,
  );
}

/** The error for a script that ran and exited non-zero, quoting its stderr. */
function scriptFailure(host: Host, name: string, result: ExecResult): PhasedError {
  const stderr = failureReasons(result.stderr, 300);
  if (result.code === 3)
    return hostError(
      host,
      'RELEASE_INCOMPLETE',
      stderr,
      'stage the release again before switching to it',
      false,
    );
  const permission = PERMISSION.test(stderr);
  return hostError(
    host,
    'HOST_COMMAND_FAILED',
    `${name} ${result.code === null ? 'timed out' : `exited ${result.code}`}: ${stderr}`,
    permission ? permissionFix(host) : 'read the message above; phased retries transient failures',
    !permission && result.code === null,
  );
}

/** Runs a script on the host; a non-zero exit becomes a PhasedError quoting stderr. */
async function runScript(
  t: HostTransport,
  host: Host,
  body: string,
  name: string,
  params: string[],
  timeoutMs = 60_000,
): Promise<string> {
  let result;
  try {
    result = await t.exec(host, script(body, name, ...params), { timeoutMs });
  } catch (cause) {
    throw notRun(host, name, cause);
  }
  if (result.code === 0) return result.stdout;
  throw scriptFailure(host, name, result);
}

export async function inspectHost(t: HostTransport, host: Host): Promise<HostReleases> {
  return parseInspect(await runScript(t, host, INSPECT, 'inspect', [host.root]));
}

function parseInspect(out: string): HostReleases & { freeKiB: number } {
  let current: string | null = null;
  let freeKiB = NaN;
  const releases: HostReleases['releases'] = [];
  for (const line of out.split('\n')) {
    const [kind, rev, stagedAt, checksum] = line.trim().split(' ');
    if (kind === 'current') current = rev ? rev : null;
    if (kind === 'free') freeKiB = Number(rev);
    if (kind === 'release' && rev)
      releases.push({ revision: rev, stagedAt: Number(stagedAt), checksum: checksum ?? '' });
  }
  return { current, releases, freeKiB };
}

export interface StageOptions {
  revision: string;
  source: string;
  tree: TreeSummary;
  timeoutMs?: number;
}

export interface StageResult {
  /** True when the release was already staged with the same checksum. */
  alreadyStaged: boolean;
  bytesSent: number | undefined;
  basis: string | null;
  /** The live release before this deploy (the rollback target). */
  current: string | null;
}

export async function stageRelease(
  t: HostTransport,
  host: Host,
  { revision, source, tree, timeoutMs }: StageOptions,
): Promise<StageResult> {
  assertRevision(revision);
  // One round trip before the copy: what is there and how much room.
  const state = parseInspect(await runScript(t, host, PREPARE, 'prepare', [host.root]));
  const existing = state.releases.find((r) => r.revision === revision);
  if (existing?.checksum === tree.checksum)
    return { alreadyStaged: true, bytesSent: 0, basis: null, current: state.current };
  // A complete release is never written into: it may be live, or the
  // rollback target. (A partial one has no marker and is resumed.)
  if (existing || state.current === revision) {
    const role = state.current === revision ? 'is live here' : 'is staged here';
    throw hostError(
      host,
      'RELEASE_CONFLICT',
      `revision ${revision} ${role} with different content (checksum ${existing?.checksum || 'none'}, source ${tree.checksum})`,
      'revisions are immutable: deploy the new build under a new revision name',
      false,
    );
  }

  const neededKiB = Math.ceil(tree.bytes / 1024) + 1024;
  if (Number.isFinite(state.freeKiB) && state.freeKiB < neededKiB) {
    throw hostError(
      host,
      'DISK_FULL',
      `not enough space under ${host.root}: ${state.freeKiB} KiB free, the release needs up to ${neededKiB} KiB`,
      'free space on the host (or lower retention.keep) and deploy again',
      false,
    );
  }

  const basis =
    [...state.releases]
      .filter((r) => r.revision !== revision)
      .sort((a, b) => b.stagedAt - a.stagedAt)[0]?.revision ?? null;
  let bytesSent: number | undefined;
  try {
    ({ bytesSent } = await t.sync(host, {
      source,
      dest: releaseDir(host.root, revision),
      linkDest: basis ? releaseDir(host.root, basis) : undefined,
      timeoutMs,
    }));
  } catch (cause) {
    const message = describeCause(cause);
    const full = /no space left/i.test(message);
    const denied = PERMISSION.test(message);
    throw hostError(
      host,
      full ? 'DISK_FULL' : 'HOST_COMMAND_FAILED',
      `copying ${revision} failed: ${message}`,
      full
        ? 'free space on the host and deploy again'
        : denied
          ? permissionFix(host)
          : 'phased retries; the next attempt resumes the partial copy',
      !full && !denied,
      cause,
    );
  }
  await runScript(t, host, MARK_COMPLETE, 'mark', [host.root, revision, tree.checksum]);
  return { alreadyStaged: false, bytesSent, basis, current: state.current };
}

/** Points current at `revision` atomically; returns the revision it pointed at before. */
export async function flipRelease(
  t: HostTransport,
  host: Host,
  revision: string,
): Promise<string | null> {
  assertRevision(revision);
  const previous = (await runScript(t, host, FLIP, 'flip', [host.root, revision])).trim();
  return previous === '' ? null : previous;
}

/** How a remote program ended, or code null if it has not within `ms` (a hung host). */
function settled(proc: RemoteProcess, ms: number): Promise<ExecResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<ExecResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ stdout: '', stderr: `(no exit after ${ms} ms)`, code: null }),
      ms,
    );
  });
  return Promise.race([proc.done, deadline]).finally(() => clearTimeout(timer));
}

export interface FlipTarget {
  host: Host;
  revision: string;
}

export type FlipOutcome = { previous: string | null } | { error: PhasedError };

/**
 * Switches many hosts at (nearly) the same moment. Each host first arms: it
 * checks the release, creates the new symlink under a temporary name and
 * waits on stdin; the slow part (a session, a shell) happens then. Once every
 * host has armed or failed, one write per host fires the rename, so the
 * switch itself is spread over milliseconds, not over the sessions. A host
 * that does not arm in time is disarmed (its stdin closes and it exits
 * without switching) and reported, as is one that fails; the others switch.
 */
export async function flipTogether(
  t: HostTransport,
  targets: readonly FlipTarget[],
  armTimeoutMs = 30_000,
): Promise<Map<string, FlipOutcome>> {
  targets.forEach((x) => assertRevision(x.revision));
  const outcomes = new Map<string, FlipOutcome>();
  const armed: { target: FlipTarget; proc: RemoteProcess }[] = [];
  await Promise.all(
    targets.map(async (target) => {
      const { host, revision } = target;
      let proc: RemoteProcess;
      try {
        proc = await t.start(host, script(ARMED_FLIP, 'flip', host.root, revision));
      } catch (cause) {
        outcomes.set(host.name, { error: notRun(host, 'flip', cause) });
        return;
      }
      try {
        await proc.waitForLine('armed', armTimeoutMs);
        armed.push({ target, proc });
      } catch {
        proc.end();
        const result = await settled(proc, 5_000);
        outcomes.set(host.name, {
          error:
            result.code === null || result.code === 4
              ? hostError(
                  host,
                  'HOST_COMMAND_FAILED',
                  `flip did not get ready within ${armTimeoutMs} ms; not switched`,
                  'phased retries; check the host if it keeps happening',
                  true,
                )
              : scriptFailure(host, 'flip', result),
        });
      }
    }),
  );
  for (const { proc } of armed) proc.write('go\n');
  await Promise.all(
    armed.map(async ({ target, proc }) => {
      proc.end();
      const result = await settled(proc, 60_000);
      if (result.code !== 0) {
        outcomes.set(target.host.name, { error: scriptFailure(target.host, 'flip', result) });
        return;
      }
      const previous = result.stdout.split('\n')[1]?.trim() ?? '';
      outcomes.set(target.host.name, { previous: previous === '' ? null : previous });
    }),
  );
  return outcomes;
}

export async function removeReleases(
  t: HostTransport,
  host: Host,
  revisions: readonly string[],
): Promise<void> {
  if (revisions.length === 0) return;
  revisions.forEach(assertRevision);
  await runScript(t, host, REMOVE, 'remove', [host.root, ...revisions]);
}
