// Release operations on one host, over any transport: inspect, stage, flip,
// remove. Idempotent: staging a staged release and flipping to the live one
// are no-ops. Errors name the host and say what to do.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PhasedError, describeCause, isPhasedError, type ErrorCode } from '../errors.js';
import type { RemoteProcess } from '../transport/process.js';
import { failureReasons } from '../transport/reasons.js';
import { settledWithin } from '../poll.js';
import { copyDeadlineMs } from '../transport/rsync.js';
import type { ExecResult, HostTransport } from '../transport/types.js';
import type { Host } from '../core/vocabulary.js';
import type { TreeSummary } from './checksum.js';
import {
  isRestorableLink,
  parseHostState,
  releaseOfLink,
  unmanagedCurrent,
  type HostState,
} from './host-state.js';
import { assertRevision, currentLink, LAYOUT, releaseDir, releaseLink } from './layout.js';
import {
  ARMED_FLIP,
  FLIP,
  INSPECT,
  MARK_COMPLETE,
  MARK_COMPLETE_WITH_MANIFEST,
  PREPARE,
  READ_MANIFEST,
  REMOVE_PARTIAL,
  TIDY,
  script,
} from './scripts.js';
import { pullFromSeed, type RelaySource } from './relay.js';
import {
  bytesNotIn,
  digestOf,
  manifestDelta,
  manifestLines,
  manifestText,
  parseManifest,
  quickCheckMisses,
} from './manifest.js';

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
export function notRun(host: Host, name: string, cause: unknown): PhasedError {
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

/** One round trip: current, releases, rejections, the switch log; removes stray flip links. */
/**
 * What a host holds; `cluster`: the cluster asking, refused (ROOT_CLAIMED)
 * on a root another cluster owns.
 */
export async function inspectHost(
  t: HostTransport,
  host: Host,
  cluster?: string,
): Promise<HostState> {
  const state = parseHostState(
    await runScript(t, host, INSPECT, 'inspect', [host.root, ...(cluster ? [cluster] : [])]),
    host.root,
  );
  if (cluster) assertOwnRoot(host, state, cluster);
  return state;
}

/** A root another cluster claimed is refused before anything is read or written there. */
function assertOwnRoot(host: Host, state: HostState, cluster: string) {
  if (state.claimedBy === undefined) return;
  throw hostError(
    host,
    'ROOT_CLAIMED',
    `the deploy root ${host.root} belongs to cluster ${state.claimedBy || '(unnamed)'}, not ${cluster}`,
    `give ${host.name} its own root in the cluster file of ${cluster}; if ${state.claimedBy} no longer uses it, remove ${host.root}/${LAYOUT.claim} on the host`,
    false,
  );
}

export interface StageOptions {
  revision: string;
  source: string;
  /** The source's hashes; staging copies while a pending one is computed, and needs it to finish. */
  tree: TreeSummary | Promise<TreeSummary>;
  /** The source's size, for the free-space check before copying (default: the tree's). */
  sourceBytes?: number;
  /** How long each copy may take (default: copyDeadlineMs of the source's size). */
  timeoutMs?: number;
  /** Copy what source symlinks that leave the tree point at (the source was checked for them). */
  copyUnsafeLinks?: boolean;
  /** Create a deploy root that does not exist (otherwise: ROOT_MISSING). */
  createRoot?: boolean;
  /**
   * Take over a host whose current phased does not manage (a symlink
   * outside releases/, or to a missing or unmarked tree): its link is
   * returned as the rollback target. Without it such a host is refused.
   */
  adopt?: boolean;
  /** The cluster deploying: it claims an unclaimed root, and another's is refused (ROOT_CLAIMED). */
  cluster?: string;
  /** The host's part in fan-out staging (unset: the worker copies). */
  swarm?: SwarmMember;
}

/** How a host takes part in fan-out staging. */
export interface SwarmMember {
  /**
   * The host serving this release to copy from, asked for only when the
   * host's copy would send more than RELAY_MIN_BYTES (undefined: none; unset
   * for a seed); the host then pulls from it and the worker checks every file
   * by content. A failed pull falls back to the worker. `follow`: a server
   * still filling will do (a first copy); a delta waits for a complete one,
   * its copy being mostly links and hashing that each pass would repeat.
   */
  lease?: (want: { follow: boolean }) => Promise<RelayLease | undefined>;
  /** The host's release directory is being written: it may serve what it holds so far. */
  copying?(): void;
  /** Every file has landed (not yet checked): hosts following it take their last pass. */
  filled?(): void;
}

/** A serving host lent to one copy: `done` says whether the pull from it worked. */
export interface RelayLease {
  source: RelaySource;
  /** Set while the server is still filling: true once it holds every file, false if it failed. */
  filled?: Promise<boolean>;
  done(pulled: boolean): void;
}

/** Below this, a host's copy from the worker costs less than a seed's copy and its check. */
const RELAY_MIN_BYTES = 1024 * 1024;

/** How a host's copy went through its seed. */
export interface RelayReport {
  seed: string;
  /** False: the pull failed and the worker copied (the error says why). */
  pulled: boolean;
  error?: string;
  /** Files the worker's check found missing or different after the pull, and sent itself. */
  repaired?: number;
}

export interface StageResult {
  /** True when the release was already staged with the same checksum. */
  alreadyStaged: boolean;
  bytesSent: number | undefined;
  basis: string | null;
  /** The live release before this deploy (the rollback target). */
  current: string | null;
  /** For an adopted host: current's link text before this deploy (the rollback target). */
  adoptedLink: string | null;
  /** Files compared by content after the quick check (null: every file was, with --checksum). */
  rechecked?: number | null;
  /** Set when the host copied from a seed (fan-out staging). */
  relay?: RelayReport;
}

export async function stageRelease(
  t: HostTransport,
  host: Host,
  {
    revision,
    source,
    tree: pending,
    sourceBytes,
    timeoutMs,
    createRoot = false,
    adopt = false,
    copyUnsafeLinks = false,
    cluster,
    swarm,
  }: StageOptions,
): Promise<StageResult> {
  assertRevision(revision);
  const hashed = Promise.resolve(pending);
  // One round trip before the copy: what is there and how much room.
  const state = parseHostState(
    await runScript(t, host, PREPARE, 'prepare', [
      host.root,
      createRoot ? '1' : '0',
      adopt ? '1' : '0',
      ...(cluster ? [cluster] : []),
    ]),
    host.root,
  );
  if (cluster) assertOwnRoot(host, state, cluster);
  if (!state.rootExists)
    throw hostError(
      host,
      'ROOT_MISSING',
      `the deploy root ${host.root} does not exist`,
      "check the host's root in the cluster file, or set createRoot: true to let phased create it",
      false,
    );
  const adoptedLink = adoptable(host, state, adopt);
  const existing = state.releases.find((r) => r.revision === revision);
  // Only a revision already here needs the source's checksum before copying.
  const tree = existing || state.current === revision ? await hashed : undefined;
  if (tree && existing?.checksum === tree.checksum)
    return {
      alreadyStaged: true,
      bytesSent: 0,
      basis: null,
      current: state.current,
      adoptedLink,
    };
  // A complete release is never written into: it may be live, or the
  // rollback target. (A partial one has no marker and is resumed.)
  if (existing || state.current === revision) {
    const role = state.current === revision ? 'is live here' : 'is staged here';
    throw hostError(
      host,
      'RELEASE_CONFLICT',
      `revision ${revision} ${role} with different content (checksum ${existing?.checksum || 'none'}, source ${tree?.checksum ?? '?'})`,
      'revisions are immutable: deploy the new build under a new revision name',
      false,
    );
  }

  const bytes = sourceBytes ?? (await hashed).bytes;
  const neededKiB = Math.ceil(bytes / 1024) + 1024;
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
  // rsync's quick check (size and mtime) is enough when the basis's manifest
  // can say which of its files it would wrongly take (compared by content
  // once the source's hashes are in); without one, every file is compared.
  const old =
    !copyUnsafeLinks && basis !== null
      ? await basisManifest(t, host, basis, state.manifests?.[basis])
      : null;
  const dest = releaseDir(host.root, revision);
  // A slow link gets the time its bytes need; a stalled one is cut by rsync's --timeout.
  timeoutMs ??= copyDeadlineMs(bytes);
  const lease =
    swarm?.lease && (await worthRelaying(basis, old, pending, bytes))
      ? await swarm.lease({ follow: basis === null })
      : undefined;
  swarm?.copying?.();
  const relayed = lease
    ? await pullOrFallBack(t, host, revision, basis, lease, timeoutMs)
    : undefined;
  if (lease && relayed) lease.done(relayed.pulled);
  if (relayed?.pulled) swarm?.filled?.();
  // What came from a seed is trusted for nothing: every file is compared by content.
  const quick = !relayed && !copyUnsafeLinks && (basis === null || old !== null);
  let bytesSent: number | undefined;
  let filesSent: number | undefined;
  let lines: string[] | undefined;
  let rechecked: number | null = null;
  try {
    ({ bytesSent, filesSent } = await t.sync(host, {
      source,
      dest,
      linkDest: basis ? releaseDir(host.root, basis) : undefined,
      wholeTree: basis === null && !relayed,
      copyUnsafeLinks,
      checksum: !quick,
      timeoutMs,
    }));
    const manifest = copyUnsafeLinks ? undefined : (await hashed).manifest;
    lines = manifest && manifestLines(manifest);
    if (quick) {
      // No manifest to say which files to trust (a caller's own summary): compare them all.
      const recheck =
        manifest === undefined
          ? null
          : old === null
            ? []
            : quickCheckMisses(manifest, parseManifest(manifestText(old.lines))!);
      const again =
        recheck === null
          ? await t.sync(host, { source, dest, checksum: true, timeoutMs })
          : recheck.length > 0
            ? await withFileList(recheck, (filesFrom) =>
                t.sync(host, { source, dest, checksum: true, filesFrom, timeoutMs }),
              )
            : undefined;
      if (again) bytesSent = (bytesSent ?? 0) + (again.bytesSent ?? 0);
      rechecked = recheck?.length ?? null;
    }
    // Hosts following this one take their last pass now (the quick check's misses are in).
    swarm?.filled?.();
  } catch (cause) {
    const message = describeCause(cause);
    const code = isPhasedError(cause) ? cause.code : 'HOST_COMMAND_FAILED';
    // rsync's own ssh could not connect: the host is down, whichever step saw it first.
    if (code === 'HOST_UNREACHABLE')
      throw hostError(
        host,
        'HOST_UNREACHABLE',
        `cannot reach ${host.address} over SSH: rsync could not connect to copy ${revision}: ${message}`,
        'check that the host is up and reachable; phased retries with backoff',
        true,
        cause,
      );
    const full = code === 'DISK_FULL';
    const denied = PERMISSION.test(message);
    // A copy that cannot succeed gives its space back; a transient one is resumed.
    if (full || denied) await removePartial(t, host, revision);
    throw hostError(
      host,
      full ? 'DISK_FULL' : code === 'COPY_STALLED' ? code : 'HOST_COMMAND_FAILED',
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
  const { checksum } = await hashed;
  try {
    if (lines === undefined)
      await runScript(t, host, MARK_COMPLETE, 'mark', [host.root, revision, checksum]);
    else await markWithManifest(t, host, revision, checksum, lines, old);
  } catch (cause) {
    // The copy fitted, its manifest and marker did not: the same full disk.
    if (!/no space left/i.test(describeCause(cause))) throw cause;
    await removePartial(t, host, revision);
    throw hostError(
      host,
      'DISK_FULL',
      `the disk under ${host.root} filled while ${revision} was staged: ${describeCause(cause)}`,
      'free space on the host and deploy again',
      false,
      cause,
    );
  }
  return {
    alreadyStaged: false,
    bytesSent,
    basis,
    current: state.current,
    adoptedLink,
    rechecked,
    ...(relayed
      ? {
          relay: {
            ...relayed,
            ...(relayed.pulled && filesSent !== undefined ? { repaired: filesSent } : {}),
          },
        }
      : {}),
  };
}

/** A copy from the worker that would send little is left to the worker. */
async function worthRelaying(
  basis: string | null,
  old: BasisManifest | null,
  pending: TreeSummary | Promise<TreeSummary>,
  bytes: number,
): Promise<boolean> {
  if (bytes < RELAY_MIN_BYTES) return false;
  if (basis === null || old === null) return true;
  const { manifest } = await pending;
  return manifest === undefined || bytesNotIn(manifest, old.lines) >= RELAY_MIN_BYTES;
}

/** Pulls from the seed; a failure is reported and the worker's copy does the rest. */
async function pullOrFallBack(
  t: HostTransport,
  host: Host,
  revision: string,
  basis: string | null,
  { source, filled }: RelayLease,
  timeoutMs: number,
): Promise<RelayReport> {
  try {
    await pullFromSeed(t, host, revision, basis, source, {
      ...(filled ? { filled } : {}),
      timeoutMs,
    });
    return { seed: source.seed, pulled: true };
  } catch (err) {
    return { seed: source.seed, pulled: false, error: describeCause(err) };
  }
}

/** Removes a copy that cannot complete (best effort: the error that got us here is what counts). */
async function removePartial(t: HostTransport, host: Host, revision: string) {
  await runScript(t, host, REMOVE_PARTIAL, 'remove-partial', [host.root, revision]).catch(
    () => undefined,
  );
}

/**
 * Manifests this worker has computed or read, by digest: the basis of a
 * deploy is usually the release the previous deploy staged, so its manifest
 * is known here and only its digest needs to cross the network.
 */
const knownManifests = new Map<string, string[]>();
function remember(digest: string, lines: string[]) {
  knownManifests.delete(digest);
  knownManifests.set(digest, lines);
  while (knownManifests.size > 16) knownManifests.delete(knownManifests.keys().next().value!);
}

/** Forgets every manifest, as a freshly started worker would (its staging then reads the basis's). */
export function forgetKnownManifests() {
  knownManifests.clear();
}

interface BasisManifest {
  revision: string;
  lines: string[];
}

/**
 * The basis's manifest (from this worker's memory when its digest, which the
 * staging inspection reports, is known); null: it has none.
 */
async function basisManifest(
  t: HostTransport,
  host: Host,
  basis: string,
  digest: string | undefined,
): Promise<BasisManifest | null> {
  if (digest === undefined) return null;
  const known = knownManifests.get(digest);
  if (known) return { revision: basis, lines: known };
  const text = await runScript(t, host, READ_MANIFEST, 'read-manifest', [host.root, basis]);
  if (parseManifest(text) === null || digestOf(text) !== digest) return null;
  const lines = text.slice(0, -1).split('\n');
  remember(digest, lines);
  return { revision: basis, lines };
}

/** Runs `fn` with a NUL-separated list of `paths` in a temporary file on the worker. */
async function withFileList<T>(paths: string[], fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phased-recheck-'));
  try {
    const file = path.join(dir, 'files');
    await writeFile(file, paths.map((p) => `${p}\0`).join(''));
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the manifest and then the completion marker, in one round trip: the
 * manifest goes on stdin as a delta from the basis's when there is one (a few
 * lines for a small change), and whole when there is none or the host's
 * rebuild of it does not match.
 */
async function markWithManifest(
  t: HostTransport,
  host: Host,
  revision: string,
  checksum: string,
  lines: string[],
  basis: BasisManifest | null,
): Promise<void> {
  const text = manifestText(lines);
  const digest = digestOf(text);
  remember(digest, lines);
  const mark = async (from: string, input: string) => {
    let proc: RemoteProcess;
    try {
      proc = await t.start(
        host,
        script(MARK_COMPLETE_WITH_MANIFEST, 'mark', host.root, revision, checksum, from, digest),
      );
    } catch (cause) {
      throw notRun(host, 'mark', cause);
    }
    proc.write(input);
    proc.end();
    const result = await proc.done;
    if (result.code !== 0) throw scriptFailure(host, 'mark', result);
    return result.stdout.trim() === 'marked';
  };
  if (basis && (await mark(basis.revision, manifestDelta(lines, basis.lines)))) return;
  if (!(await mark('', text)))
    throw hostError(
      host,
      'HOST_COMMAND_FAILED',
      `the manifest of ${revision} written on the host does not match the worker's`,
      "phased retries; check the host's disk if it persists",
      true,
    );
}

/**
 * A host whose current phased does not manage is refused before anything
 * is copied, unless the cluster adopts such hosts; then its link is the
 * rollback target. A real directory cannot be adopted: no rename(2) can
 * replace it with a symlink, so current would be missing for a moment.
 */
function adoptable(host: Host, state: HostState, adopt: boolean): string | null {
  const why = unmanagedCurrent(state);
  if (why === null) return null;
  const link = state.currentLink;
  if (adopt && link !== null && isRestorableLink(link)) return link;
  const fix =
    state.currentKind === 'not_symlink'
      ? `move ${currentLink(host.root)} into ${releaseDir(host.root, '<name>')} and replace it with a symlink (ln -s ${releaseLink('<name>')} ${LAYOUT.current}), or deploy to another root`
      : adopt
        ? `point current at a safe absolute path or into releases/, or remove it`
        : `point current into releases/ by hand, or set adopt: true in the cluster file to take the host over (a rollback then returns it to ${link})`;
  throw hostError(host, 'HOST_NOT_MANAGED', `${why}; nothing was switched`, fix, false);
}

export interface FlipOptions {
  /** Restore this link text instead of releases/<revision> (a rollback of an adopted host). */
  link?: string;
  /** Mark this release rejected on the host after the switch (with why). */
  reject?: { revision: string; reason: string };
  /** Clear the target's rejected mark (an operator named it explicitly). */
  accept?: boolean;
}

function flipParams(host: Host, revision: string, o: FlipOptions): string[] {
  if (o.link === undefined) assertRevision(revision);
  else if (!isRestorableLink(o.link))
    throw hostError(
      host,
      'REVISION_INVALID',
      `cannot restore current to ${JSON.stringify(o.link.slice(0, 200))}`,
      'only releases/<revision> or a safe absolute path can be restored',
      false,
    );
  if (o.reject) assertRevision(o.reject.revision);
  return [
    host.root,
    o.link === undefined ? revision : '-',
    o.link ?? '',
    o.reject?.revision ?? '',
    o.reject?.reason.replace(/\s+/g, ' ').slice(0, 500) ?? '',
    o.accept ? '1' : '0',
  ];
}

/** The release an old link named, or null (none, or not a release). */
const previousRelease = (host: Host, out: string) => {
  const text = out.trim();
  return text === '' ? null : releaseOfLink(text, host.root);
};

/** Points current at `revision` atomically; returns the release it pointed at before. */
export async function flipRelease(
  t: HostTransport,
  host: Host,
  revision: string,
  options: FlipOptions = {},
): Promise<string | null> {
  const params = flipParams(host, revision, options);
  return previousRelease(host, await runScript(t, host, FLIP, 'flip', params));
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

export interface FlipTarget extends FlipOptions {
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
 * A transport with bounded connections arms and fires at most that many
 * hosts at once (an armed host holds its connection), group after group.
 */
export async function flipTogether(
  t: HostTransport,
  targets: readonly FlipTarget[],
  armTimeoutMs = 30_000,
): Promise<Map<string, FlipOutcome>> {
  const outcomes = new Map<string, FlipOutcome>();
  // An armed host holds its connection until it is fired: no more at once
  // than the transport can hold, or the rest would wait for them forever.
  const size = Math.max(1, t.maxConnections ?? targets.length);
  for (let i = 0; i < targets.length; i += size)
    for (const [name, outcome] of await flipGroup(t, targets.slice(i, i + size), armTimeoutMs))
      outcomes.set(name, outcome);
  return outcomes;
}

/** Arms every host of the group, then fires them together. */
async function flipGroup(
  t: HostTransport,
  targets: readonly FlipTarget[],
  armTimeoutMs: number,
): Promise<Map<string, FlipOutcome>> {
  const outcomes = new Map<string, FlipOutcome>();
  const armed: { target: FlipTarget; proc: RemoteProcess }[] = [];
  const notReady = (host: Host, waiting: string) =>
    hostError(
      host,
      'HOST_COMMAND_FAILED',
      `flip did not get ready within ${armTimeoutMs} ms (${waiting}); not switched`,
      'phased retries; check the host if it keeps happening',
      true,
    );
  await Promise.all(
    targets.map(async (target) => {
      const { host } = target;
      const deadline = Date.now() + armTimeoutMs;
      // The deadline covers waiting for a connection too: other activities
      // on this worker may hold them all, and an armed host waits for its
      // group, so no host waits for a connection past it.
      const starting = t.start(
        host,
        script(ARMED_FLIP, 'flip', ...flipParams(host, target.revision, target)),
      );
      let proc: RemoteProcess | 'late';
      try {
        proc = await settledWithin<RemoteProcess | 'late'>(starting, armTimeoutMs, 'late');
      } catch (cause) {
        outcomes.set(host.name, { error: notRun(host, 'flip', cause) });
        return;
      }
      if (proc === 'late') {
        // Disarmed as soon as it starts: its stdin closes and it exits unswitched.
        starting.then((p) => p.end()).catch(() => {});
        outcomes.set(host.name, { error: notReady(host, 'waiting for an SSH connection') });
        return;
      }
      try {
        await proc.waitForLine('armed', Math.max(1, deadline - Date.now()));
        armed.push({ target, proc });
      } catch {
        proc.end();
        const result = await settled(proc, 5_000);
        outcomes.set(host.name, {
          error:
            result.code === null || result.code === 4
              ? notReady(host, 'the host did not answer')
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
      const previous = result.stdout.split('\n')[1] ?? '';
      outcomes.set(target.host.name, { previous: previousRelease(target.host, previous) });
    }),
  );
  return outcomes;
}

export interface TidyOptions {
  /** Releases to delete (never the live one). */
  remove: readonly string[];
  /** Mark a release rejected (its deploy rolled back or was aborted), or clear its mark (it went live). */
  mark?: { revision: string; as: 'reject' | 'accept'; reason: string };
}

/** Marks and retention in one round trip. */
export async function tidyHost(
  t: HostTransport,
  host: Host,
  { remove, mark }: TidyOptions,
): Promise<void> {
  if (remove.length === 0 && !mark) return;
  remove.forEach(assertRevision);
  if (mark) assertRevision(mark.revision);
  await runScript(t, host, TIDY, 'tidy', [
    host.root,
    mark?.as ?? '-',
    mark?.revision ?? '-',
    mark?.reason.replace(/\s+/g, ' ').slice(0, 500) ?? '',
    ...remove,
  ]);
}

export async function removeReleases(
  t: HostTransport,
  host: Host,
  revisions: readonly string[],
): Promise<void> {
  await tidyHost(t, host, { remove: revisions });
}
