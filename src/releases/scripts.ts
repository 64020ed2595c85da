// The remote side of release bookkeeping, as small POSIX sh scripts. Every
// value reaches a script as a positional parameter ($1, $2...), never by
// pasting it into the script, so names cannot inject shell syntax. The same
// scripts run through the local and the SSH transport.
//
// Every path comes from src/releases/layout.ts: each script starts with its
// SHELL_LAYOUT, which names them from the deploy root in $1. The switch log
// holds "<unix seconds> <new link> <old link>" per switch, appended right
// after the rename and trimmed to the last 100.

import { SHELL_LAYOUT } from './layout.js';

// The inspection runs on every host at every staging, so it starts as few
// programs as it can (each costs a fork and an exec on the host): one readlink,
// one stat for every marker, and markers read with the shell's own read.

/**
 * current, then "release <rev> <marker mtime> <checksum>" per complete
 * release, and "manifest <rev> <sha256>" for those whose marker records its
 * manifest's digest (after SHELL_LAYOUT). With digest_fallback=1, a manifest
 * whose marker does not (written by an older phased) is hashed here.
 */
const CURRENT_AND_RELEASES = `
if [ -L "$current" ]; then
  echo "link $(readlink -- "$current")"
  [ -e "$current" ] || echo dangling
elif [ -e "$current" ]; then
  echo notlink
fi
phased_releases() {
  [ -e "$1" ] || return 0
  stat -c '%Y %n' -- "$@" | while read -r at m; do
    [ -f "$m" ] || continue
    b=\${m##*/}; b=\${b#.}; rev=\${b%"$complete"}
    [ -d "$releases/$rev" ] || continue
    sum=; digest=
    read -r _ sum digest < "$m" || :
    echo "release $rev $at $sum"
    [ -f "$releases/.$rev$manifest" ] || continue
    if [ -n "$digest" ]; then echo "manifest $rev $digest"
    elif [ "\${digest_fallback:-}" = 1 ]; then
      set -- $(sha256sum < "$releases/.$rev$manifest")
      echo "manifest $rev $1"
    fi
  done
}
phased_releases "$releases"/.*"$complete"
for m in "$releases"/.*"$rejected"; do
  [ -f "$m" ] || continue
  b=\${m##*/}; b=\${b#.}; echo "rejected \${b%"$rejected"}"
done
`;

/** "switch ..." lines: the switch log's last 50 entries. */
const SWITCHES = `
if [ -f "$switch_log" ]; then tail -n 50 -- "$switch_log" | sed 's/^/switch /'; fi
`;

/** "stray <name>" for each temporary link of an interrupted flip, which it removes. */
const STRAYS = `
for s in "$temp_link_prefix"*.tmp; do
  [ -L "$s" ] || continue
  rm -f -- "$s" && echo "stray \${s##*/}"
done
true
`;

/**
 * $cluster (set from a script's parameter): a root another cluster claimed
 * prints "claimed <owner>" and the script stops there, touching nothing.
 */
const CLAIMED_ELSEWHERE = `
if [ -n "$cluster" ] && [ -f "$claim" ]; then
  owner=; read -r owner < "$claim" || :
  if [ "$owner" != "$cluster" ]; then echo "claimed $owner"; exit 0; fi
fi
`;

/**
 * $1 = root, $2 = the cluster deploying (optional). Prints what parseHostState reads: "link <text>" (and "dangling")
 * or "notlink" for current, "release <rev> <marker mtime> <checksum>",
 * "rejected <rev>", "switch ..." lines from the switch log, and "stray <name>"
 * for each temporary link of an interrupted flip, which it removes (a flip
 * still waiting on such a link then fails cleanly instead of switching).
 */
export const INSPECT = `${SHELL_LAYOUT}
cluster=\${2:-}
${CLAIMED_ELSEWHERE}${CURRENT_AND_RELEASES}${SWITCHES}${STRAYS}`;

/**
 * $1 = root, $2 = 1 to create a missing root, $3 = 1 when the cluster adopts
 * hand-made currents, $4 = the cluster deploying (it claims an unclaimed
 * root; a root another cluster claimed prints "claimed <owner>" only). Everything staging needs before the copy, in one
 * round trip: "noroot" if the root does not exist (and may not be created),
 * else current, the releases and every manifest's digest (so the worker
 * knows its basis's without reading it), any strays removed, and "free
 * <available KiB>" for the filesystem of releases/. It creates releases/ only
 * on a host staging will go on with (current absent or a live link into
 * releases/, or adopted), so a refused host is left exactly as it was.
 */
export const PREPARE = `
if [ ! -d "$1" ]; then
  if [ "$2" = 1 ]; then mkdir -p -- "$1" || exit 1; else echo noroot; exit 0; fi
fi
${SHELL_LAYOUT}
cluster=\${4:-}
${CLAIMED_ELSEWHERE}
digest_fallback=1
${CURRENT_AND_RELEASES}${STRAYS}
managed=1
if [ -L "$current" ]; then
  case "$(readlink -- "$current")" in
    "$releases_name"/*|"$releases"/*) [ -e "$current" ] || managed=0 ;;
    *) managed=0 ;;
  esac
elif [ -e "$current" ]; then
  managed=0
fi
if [ "$managed" = 1 ] || [ "$3" = 1 ]; then
  # The first deploy claims the root for its cluster; of two at once, one wins.
  if [ -n "$cluster" ] && [ ! -f "$claim" ]; then
    ( set -C; printf '%s\n' "$cluster" > "$claim" ) 2>/dev/null || :
    owner=; read -r owner < "$claim" || :
    if [ "$owner" != "$cluster" ]; then echo "claimed $owner"; exit 0; fi
  fi
  mkdir -p -- "$releases"
fi
space=$releases; [ -d "$space" ] || space=$root
df -Pk -- "$space" | { read -r _; read -r _ _ _ avail _; echo "free $avail"; }
`;

/**
 * $1 = root, $2 = revision, $3 = checksum, $4 = basis revision or "", $5 =
 * the manifest's SHA-256. stdin: the manifest, or with a basis, the delta
 * from the basis's manifest ("-line" dropped, "+line" added). Rebuilds and
 * checks the manifest, then writes it and the completion marker ("<revision>
 * <checksum> <manifest digest>"), each atomically (write, then rename): a
 * marker always has its manifest beside it. Prints "marked", or
 * "manifest-mismatch" (nothing written) when the rebuilt manifest is not the
 * one the worker computed. Manifest lines start with a quote, so the delta's
 * first character is unambiguous.
 */
export const MARK_COMPLETE_WITH_MANIFEST = `
set -e
${SHELL_LAYOUT}
f="$releases/.$2$manifest"
if [ -n "$4" ]; then
  basis="$releases/.$4$manifest" LC_ALL=C awk '
    sub(/^-/, "") { drop[$0] = 1; next }
    sub(/^[+]/, "") { print }
    END { while ((getline line < ENVIRON["basis"]) > 0) if (!(line in drop)) print line }' | LC_ALL=C sort > "$f.tmp"
else
  cat > "$f.tmp"
fi
if [ "$(sha256sum < "$f.tmp")" != "$5  -" ]; then
  rm -f -- "$f.tmp"
  echo manifest-mismatch
  exit 0
fi
mv -f -- "$f.tmp" "$f"
m="$releases/.$2$complete"
printf '%s %s %s\\n' "$2" "$3" "$5" > "$m.tmp"
mv -f -- "$m.tmp" "$m"
echo marked
`;

/** $1 = root, $2 = revision: a complete release's manifest; nothing when it has none. */
export const READ_MANIFEST = `
${SHELL_LAYOUT}
f="$releases/.$2$manifest"
if [ -f "$releases/.$2$complete" ] && [ -f "$f" ]; then cat -- "$f"; fi
`;
/**
 * $1 = root, $2 = revision, $3 = checksum. Writes the completion marker
 * atomically (write, then rename).
 */
export const MARK_COMPLETE = `
set -e
${SHELL_LAYOUT}
m="$releases/.$2$complete"
printf '%s %s\\n' "$2" "$3" > "$m.tmp"
mv -f -- "$m.tmp" "$m"
`;

// Flip parameters, shared by FLIP and ARMED_FLIP:
//   $1 root, $2 revision, $3 link text to restore instead of the release's
//   (a rollback to a hand-made current that a deploy adopted; no marker
//   check), $4 a revision to mark rejected after the switch, $5 why,
//   $6 = 1 to clear $2's rejected mark (an operator named it explicitly).
const FLIP_CHECK = `
${SHELL_LAYOUT}
rev=$2; link=\${3:-$releases_name/$2}
if [ -z "$3" ] && { [ ! -f "$releases/.$rev$complete" ] || [ ! -d "$releases/$rev" ]; }; then
  echo "release $rev is not completely staged on this host (no completion marker)" >&2
  exit 3
fi
prev=$(readlink -- "$current" 2>/dev/null || true)
`;

// Already pointing there (a retried flip, or a rollback of a host whose
// forward flip failed): nothing to switch, nothing to write, so it succeeds
// even on a host that has since become read-only.
const FLIP_NOOP = `
if [ -L "$current" ] && [ "$prev" = "$link" ]; then
  if [ -n "$4" ] && [ -d "$releases/$4" ]; then printf '%s\\n' "$5" > "$releases/.$4$rejected" 2>/dev/null || true; fi
  if [ "$6" = 1 ]; then rm -f -- "$releases/.$rev$rejected" 2>/dev/null || true; fi
  echo "$prev"
  exit 0
fi
`;

// After the rename: log the switch, record a rejection, print the old link.
const FLIP_RECORD = `
printf '%s %s %s\\n' "$(date +%s)" "$link" "\${prev:--}" >> "$switch_log" || true
if [ "$(wc -l < "$switch_log")" -gt 200 ]; then
  tail -n 100 -- "$switch_log" > "$switch_log.tmp" && mv -f -- "$switch_log.tmp" "$switch_log" || true
fi
if [ -n "$4" ] && [ -d "$releases/$4" ]; then printf '%s\\n' "$5" > "$releases/.$4$rejected" || true; fi
if [ "$6" = 1 ]; then rm -f -- "$releases/.$rev$rejected"; fi
echo "$prev"
`;

/**
 * Atomically points current at the release $2 (or the link $3): a new
 * symlink under a temporary name, then rename(2) over current (mv -T).
 * Refuses a release without its completion marker. Prints the previous
 * link text (empty if there was none).
 */
export const FLIP = `
set -e
${FLIP_CHECK}
${FLIP_NOOP}
tmp="$temp_link_prefix$$.tmp"
ln -sfn -- "$link" "$tmp"
mv -T -- "$tmp" "$current"
set +e
${FLIP_RECORD}
`;

/**
 * FLIP in two steps for switching many hosts together: check the release
 * and create the new symlink under a temporary name, print "armed", then
 * wait for "go" on stdin before the rename. Prints the previous link text
 * on the line after "armed". End of input without "go" (the worker gave up
 * or died) removes the temporary link and exits 4, leaving current as it was.
 */
export const ARMED_FLIP = `
${FLIP_CHECK}
if [ -L "$current" ] && [ "$prev" = "$link" ]; then
  echo armed
  if ! read -r go || [ "$go" != go ]; then exit 4; fi
  ${FLIP_NOOP}
fi
tmp="$temp_link_prefix$$.tmp"
ln -sfn -- "$link" "$tmp" || exit 1
echo armed
if ! read -r go || [ "$go" != go ]; then rm -f -- "$tmp"; exit 4; fi
prev=$(readlink -- "$current" 2>/dev/null || true)
mv -T -- "$tmp" "$current" || { rm -f -- "$tmp"; exit 1; }
${FLIP_RECORD}
`;

/**
 * $1 = root, $2 = "reject" | "accept" | "-", $3 = revision, $4 = reason,
 * then revisions to delete. Marks $3 rejected (with the reason) or clears
 * its mark, then deletes the listed releases. Refuses to delete the live
 * release, and only deletes trees phased created (those with a marker).
 */
export const TIDY = `
set -e
${SHELL_LAYOUT}
mark=$2; subject=$3; why=$4; shift 4
if [ -d "$releases" ]; then
  if [ "$mark" = reject ] && [ -d "$releases/$subject" ]; then printf '%s\\n' "$why" > "$releases/.$subject$rejected"; fi
  if [ "$mark" = accept ]; then rm -f -- "$releases/.$subject$rejected"; fi
fi
cur=$(readlink -- "$current" 2>/dev/null || true); cur=\${cur##*/}
for rev in "$@"; do
  [ "$rev" = "$cur" ] && { echo "refusing to delete the live release $rev" >&2; exit 3; }
  [ -f "$releases/.$rev$complete" ] || continue
  rm -f -- "$releases/.$rev$complete" "$releases/.$rev$rejected" "$releases/.$rev$manifest"
  rm -rf -- "$releases/$rev"
done
`;

/**
 * $1 = root, $2 = revision. Removes a copy that failed for good (a full
 * disk, no permission), so it does not keep the space it took: only a
 * release without a completion marker that current does not name.
 */
export const REMOVE_PARTIAL = `
${SHELL_LAYOUT}
cur=$(readlink -- "$current" 2>/dev/null || true); cur=\${cur##*/}
[ "$2" != "$cur" ] || exit 0
[ ! -f "$releases/.$2$complete" ] || exit 0
rm -rf -- "$releases/$2"
`;

/** argv for running a script with its parameters through any transport. */
export function script(body: string, name: string, ...params: string[]): string[] {
  return ['sh', '-c', body, `phased-${name}`, ...params];
}
