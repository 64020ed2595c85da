// What one inspection round trip says about a host, and the decisions taken
// from it without a network: is `current` something phased manages, and
// where does a plain rollback go. Pure, so every case is unit-tested.
import { releaseLink, releasesDir } from './layout.js';
import { isSafeAbsolutePath, isSafeSegment } from '../config/validate-names.js';
import type { ReleaseInfo } from './retention.js';
import type { CurrentKind } from '../core/vocabulary.js';

/** One line of the host's switch log (`<root>/switches.log`): current moved from one link to another. */
export interface SwitchRecord {
  /** Unix seconds. */
  at: number;
  /** Link text current got, e.g. "releases/v2". */
  to: string;
  /** Link text current had before, or null when there was none. */
  from: string | null;
}

/**
 * What `current` is:
 * - none: no current yet (a first deploy);
 * - release: a symlink to a complete release under releases/;
 * - incomplete: a symlink into releases/ at a tree without a completion marker;
 * - missing: a symlink whose target does not exist;
 * - foreign: a symlink outside releases/ (a hand-made hotfix, another tool);
 * - not_symlink: a real directory or file.
 */

export interface HostState {
  /** The release current points at, when current is a symlink into releases/. */
  current: string | null;
  currentKind: CurrentKind;
  /** current's link text as read on the host (null when it is not a symlink). */
  currentLink: string | null;
  /** Complete releases (with their completion marker). */
  releases: (ReleaseInfo & { checksum: string })[];
  /** Releases a judge or an operator rejected: never a plain rollback's target. */
  rejected: string[];
  /** The host's recent switches, oldest first. */
  switches: SwitchRecord[];
  /** Temporary links of interrupted flips that this inspection removed. */
  strays: string[];
  /** Free KiB for releases/ (only from the staging inspection). */
  freeKiB: number;
  /** Whether the deploy root existed (only from the staging inspection). */
  rootExists: boolean;
  /** SHA-256 of each complete release's manifest, by revision (only from the staging inspection). */
  manifests?: Record<string, string>;
  /** The other cluster that owns this root (nothing else was inspected). */
  claimedBy?: string;
}

/** The release a link text names ("releases/v2", "/srv/app/releases/v2"), or null. */
export function releaseOfLink(link: string | null, root: string): string | null {
  if (link === null) return null;
  const trimmed = link.replace(/\/+$/, '');
  for (const prefix of [releaseLink(''), `${releasesDir(root.replace(/\/+$/, ''))}/`]) {
    if (trimmed.startsWith(prefix)) {
      const rev = trimmed.slice(prefix.length);
      return isSafeSegment(rev) ? rev : null;
    }
  }
  return null;
}

/** Parses the INSPECT/PREPARE script's lines (see scripts.ts). */
export function parseHostState(out: string, root: string): HostState {
  let link: string | null = null;
  let dangling = false;
  let notLink = false;
  let freeKiB = NaN;
  let rootExists = true;
  let claimedBy: string | undefined;
  const releases: HostState['releases'] = [];
  const rejected: string[] = [];
  const switches: SwitchRecord[] = [];
  const strays: string[] = [];
  const manifests: Record<string, string> = {};
  for (const raw of out.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const space = line.indexOf(' ');
    const kind = space < 0 ? line : line.slice(0, space);
    const rest = space < 0 ? '' : line.slice(space + 1);
    const [a, b, c] = rest.split(' ');
    if (kind === 'link') link = rest;
    else if (kind === 'dangling') dangling = true;
    else if (kind === 'notlink') notLink = true;
    else if (kind === 'free') freeKiB = Number(a);
    else if (kind === 'noroot') rootExists = false;
    else if (kind === 'claimed') claimedBy = rest;
    else if (kind === 'release' && a)
      releases.push({ revision: a, stagedAt: Number(b), checksum: c ?? '' });
    else if (kind === 'rejected' && a) rejected.push(a);
    else if (kind === 'stray' && a) strays.push(a);
    else if (kind === 'manifest' && a && b) manifests[a] = b;
    else if (kind === 'switch' && a && b) {
      // "<at> <to> <from...>": from is last because a hand-made link may hold spaces.
      const from = rest.split(' ').slice(2).join(' ');
      switches.push({ at: Number(a), to: b, from: from === '-' || from === '' ? null : from });
    }
  }
  const named = releaseOfLink(link, root);
  const complete = named !== null && releases.some((r) => r.revision === named);
  const currentKind: CurrentKind = notLink
    ? 'not_symlink'
    : link === null
      ? 'none'
      : dangling
        ? 'missing'
        : named === null
          ? 'foreign'
          : complete
            ? 'release'
            : 'incomplete';
  return {
    current: currentKind === 'release' ? named : null,
    currentKind,
    currentLink: link,
    releases,
    rejected,
    switches,
    strays,
    freeKiB,
    rootExists,
    ...(Object.keys(manifests).length > 0 ? { manifests } : {}),
    ...(claimedBy !== undefined ? { claimedBy } : {}),
  };
}

/** Why a host does not look like a phased host, or null when it does (or has no current yet). */
export function unmanagedCurrent(state: HostState): string | null {
  switch (state.currentKind) {
    case 'none':
    case 'release':
      return null;
    case 'incomplete':
      return `current points at ${state.currentLink}, a release without its completion marker`;
    case 'missing':
      return `current points at ${state.currentLink}, which does not exist`;
    case 'foreign':
      return `current points outside releases/, at ${state.currentLink}`;
    case 'not_symlink':
      return 'current is a real directory or file, not a symlink';
  }
}

/** Whether a link text may be written back as current by a rollback (no shell or traversal). */
export function isRestorableLink(link: string): boolean {
  const relative = releaseLink('');
  return (
    isSafeAbsolutePath(link) ||
    (link.startsWith(relative) && isSafeSegment(link.slice(relative.length)))
  );
}

export type RollbackTarget = { revision: string } | { none: string };

/**
 * Where a plain rollback takes this host: the newest release that was live
 * here before the current one, skipping rejected releases and ones no longer
 * retained. It walks the switch log backwards, so it only ever goes back
 * (a release that was staged but never live is never a target). Hosts
 * switched before the log existed fall back to the newest complete release
 * staged before the live one.
 */
export function rollbackTarget(state: HostState, root: string): RollbackTarget {
  const current = state.current ?? releaseOfLink(state.currentLink, root);
  const rejected = new Set(state.rejected);
  const retained = new Set(state.releases.map((r) => r.revision));
  const eligible = (rev: string | null): rev is string =>
    rev !== null && rev !== current && !rejected.has(rev) && retained.has(rev);

  if (state.switches.length === 0) {
    const since = state.releases.find((r) => r.revision === current)?.stagedAt ?? Infinity;
    const older = [...state.releases]
      .filter((r) => r.stagedAt <= since && eligible(r.revision))
      .sort((a, b) => b.stagedAt - a.stagedAt)[0];
    return older
      ? { revision: older.revision }
      : { none: 'no earlier release that is retained and not rejected' };
  }
  const lived = [state.switches[0]!.from, ...state.switches.map((s) => s.to)];
  for (let i = lived.length - 1; i >= 0; i--) {
    const rev = releaseOfLink(lived[i] ?? null, root);
    if (eligible(rev)) return { revision: rev };
  }
  return { none: 'no release live here before the current one is retained and not rejected' };
}
