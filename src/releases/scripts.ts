// The remote side of release bookkeeping, as small POSIX sh scripts. Every
// value reaches a script as a positional parameter ($1, $2...), never by
// pasting it into the script, so names cannot inject shell syntax. The same
// scripts run through the local and the SSH transport.
//
// Besides releases/ and current, a host keeps:
//   releases/.<rev>.phased    completion marker ("<rev> <checksum>")
//   releases/.<rev>.rejected  the release was rolled back or aborted (reason inside)
//   switches.log              "<unix seconds> <new link> <old link>" per switch,
//                             appended right after the rename, trimmed to the last 100

/**
 * $1 = root. Prints what parseHostState reads: "link <text>" (and "dangling")
 * or "notlink" for current, "release <rev> <marker mtime> <checksum>",
 * "rejected <rev>", "switch ..." lines from the switch log, and "stray <name>"
 * for each temporary link of an interrupted flip, which it removes (a flip
 * still waiting on such a link then fails cleanly instead of switching).
 */
export const INSPECT = `
root=$1
if [ -L "$root/current" ]; then
  echo "link $(readlink -- "$root/current")"
  [ -e "$root/current" ] || echo dangling
elif [ -e "$root/current" ]; then
  echo notlink
fi
for m in "$root"/releases/.*.phased; do
  [ -f "$m" ] || continue
  b=\${m##*/}; b=\${b#.}; rev=\${b%.phased}
  [ -d "$root/releases/$rev" ] || continue
  echo "release $rev $(stat -c %Y -- "$m") $(cut -d' ' -f2 -- "$m")"
done
for m in "$root"/releases/.*.rejected; do
  [ -f "$m" ] || continue
  b=\${m##*/}; b=\${b#.}; echo "rejected \${b%.rejected}"
done
if [ -f "$root/switches.log" ]; then tail -n 50 -- "$root/switches.log" | sed 's/^/switch /'; fi
for s in "$root"/.current.*.tmp; do
  [ -L "$s" ] || continue
  rm -f -- "$s" && echo "stray \${s##*/}"
done
true
`;

/**
 * $1 = root, $2 = 1 to create a missing root, $3 = 1 when the cluster adopts
 * hand-made currents. Everything staging needs before the copy, in one
 * round trip: "noroot" if the root does not exist (and may not be created),
 * else the INSPECT lines, then "free <available KiB>" for the filesystem of
 * releases/. It creates releases/ only on a host staging will go on with
 * (current absent or a live link into releases/, or adopted), so a refused
 * host is left exactly as it was.
 */
export const PREPARE = `
if [ ! -d "$1" ]; then
  if [ "$2" = 1 ]; then mkdir -p -- "$1" || exit 1; else echo noroot; exit 0; fi
fi
${INSPECT}
managed=1
if [ -L "$root/current" ]; then
  case "$(readlink -- "$root/current")" in
    releases/*|"$root"/releases/*) [ -e "$root/current" ] || managed=0 ;;
    *) managed=0 ;;
  esac
elif [ -e "$root/current" ]; then
  managed=0
fi
if [ "$managed" = 1 ] || [ "$3" = 1 ]; then mkdir -p -- "$root/releases"; fi
space="$root/releases"; [ -d "$space" ] || space=$root
echo "free $(df -Pk -- "$space" | awk 'NR==2 {print $4}')"
`;

/**
 * $1 = root, $2 = revision, $3 = checksum. Writes the completion marker
 * atomically (write, then rename).
 */
export const MARK_COMPLETE = `
set -e
m="$1/releases/.$2.phased"
printf '%s %s\\n' "$2" "$3" > "$m.tmp"
mv -f -- "$m.tmp" "$m"
`;

// Flip parameters, shared by FLIP and ARMED_FLIP:
//   $1 root, $2 revision, $3 link text to restore instead of releases/$2
//   (a rollback to a hand-made current that a deploy adopted; no marker
//   check), $4 a revision to mark rejected after the switch, $5 why,
//   $6 = 1 to clear $2's rejected mark (an operator named it explicitly).
const FLIP_CHECK = `
root=$1; rev=$2; link=\${3:-releases/$2}
if [ -z "$3" ] && { [ ! -f "$root/releases/.$rev.phased" ] || [ ! -d "$root/releases/$rev" ]; }; then
  echo "release $rev is not completely staged on this host (no completion marker)" >&2
  exit 3
fi
prev=$(readlink -- "$root/current" 2>/dev/null || true)
`;

// Already pointing there (a retried flip, or a rollback of a host whose
// forward flip failed): nothing to switch, nothing to write, so it succeeds
// even on a host that has since become read-only.
const FLIP_NOOP = `
if [ -L "$root/current" ] && [ "$prev" = "$link" ]; then
  if [ -n "$4" ] && [ -d "$root/releases/$4" ]; then printf '%s\\n' "$5" > "$root/releases/.$4.rejected" 2>/dev/null || true; fi
  if [ "$6" = 1 ]; then rm -f -- "$root/releases/.$rev.rejected" 2>/dev/null || true; fi
  echo "$prev"
  exit 0
fi
`;

// After the rename: log the switch, record a rejection, print the old link.
const FLIP_RECORD = `
log="$root/switches.log"
printf '%s %s %s\\n' "$(date +%s)" "$link" "\${prev:--}" >> "$log" || true
if [ "$(wc -l < "$log")" -gt 200 ]; then
  tail -n 100 -- "$log" > "$log.tmp" && mv -f -- "$log.tmp" "$log" || true
fi
if [ -n "$4" ] && [ -d "$root/releases/$4" ]; then printf '%s\\n' "$5" > "$root/releases/.$4.rejected" || true; fi
if [ "$6" = 1 ]; then rm -f -- "$root/releases/.$rev.rejected"; fi
echo "$prev"
`;

/**
 * Atomically points current at releases/$2 (or $3): a new symlink under a
 * temporary name, then rename(2) over current (mv -T). Refuses a release
 * without its completion marker. Prints the previous link text (empty if
 * there was none).
 */
export const FLIP = `
set -e
${FLIP_CHECK}
${FLIP_NOOP}
tmp="$root/.current.$$.tmp"
ln -sfn -- "$link" "$tmp"
mv -T -- "$tmp" "$root/current"
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
if [ -L "$root/current" ] && [ "$prev" = "$link" ]; then
  echo armed
  if ! read -r go || [ "$go" != go ]; then exit 4; fi
  ${FLIP_NOOP}
fi
tmp="$root/.current.$$.tmp"
ln -sfn -- "$link" "$tmp" || exit 1
echo armed
if ! read -r go || [ "$go" != go ]; then rm -f -- "$tmp"; exit 4; fi
prev=$(readlink -- "$root/current" 2>/dev/null || true)
mv -T -- "$tmp" "$root/current" || { rm -f -- "$tmp"; exit 1; }
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
root=$1; mark=$2; subject=$3; why=$4; shift 4
if [ -d "$root/releases" ]; then
  if [ "$mark" = reject ] && [ -d "$root/releases/$subject" ]; then printf '%s\\n' "$why" > "$root/releases/.$subject.rejected"; fi
  if [ "$mark" = accept ]; then rm -f -- "$root/releases/.$subject.rejected"; fi
fi
cur=$(readlink -- "$root/current" 2>/dev/null || true); cur=\${cur##*/}
for rev in "$@"; do
  [ "$rev" = "$cur" ] && { echo "refusing to delete the live release $rev" >&2; exit 3; }
  [ -f "$root/releases/.$rev.phased" ] || continue
  rm -f -- "$root/releases/.$rev.phased" "$root/releases/.$rev.rejected"
  rm -rf -- "$root/releases/$rev"
done
`;

/** argv for running a script with its parameters through any transport. */
export function script(body: string, name: string, ...params: string[]): string[] {
  return ['sh', '-c', body, `phased-${name}`, ...params];
}
