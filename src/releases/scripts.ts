// The remote side of release bookkeeping, as small POSIX sh scripts. Every
// value reaches a script as a positional parameter ($1, $2...), never by
// pasting it into the script, so names cannot inject shell syntax. The same
// scripts run through the local and the SSH transport.

/** $1 = root. Prints "current <rev>" then "release <rev> <marker mtime> <checksum>" lines. */
export const INSPECT = `
root=$1
cur=$(readlink -- "$root/current" 2>/dev/null || true)
echo "current \${cur##*/}"
for m in "$root"/releases/.*.phased; do
  [ -f "$m" ] || continue
  b=\${m##*/}; b=\${b#.}; rev=\${b%.phased}
  [ -d "$root/releases/$rev" ] || continue
  echo "release $rev $(stat -c %Y -- "$m") $(cut -d' ' -f2 -- "$m")"
done
`;

/**
 * $1 = root. Everything staging needs before the copy, in one round trip:
 * the INSPECT lines, then "free <available KiB>" for the filesystem of
 * releases/ (created if missing).
 */
export const PREPARE = `
${INSPECT}
mkdir -p -- "$root/releases"
echo "free $(df -Pk -- "$root/releases" | awk 'NR==2 {print $4}')"
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

/**
 * $1 = root, $2 = revision. Atomically points current at releases/$2: a new
 * symlink under a temporary name, then rename(2) over current (mv -T).
 * Refuses a release without its completion marker. Prints the previous
 * target's revision (empty if there was none).
 */
export const FLIP = `
set -e
root=$1; rev=$2
if [ ! -f "$root/releases/.$rev.phased" ] || [ ! -d "$root/releases/$rev" ]; then
  echo "release $rev is not completely staged on this host (no completion marker)" >&2
  exit 3
fi
prev=$(readlink -- "$root/current" 2>/dev/null || true)
tmp="$root/.current.$$.tmp"
ln -sfn -- "releases/$rev" "$tmp"
mv -T -- "$tmp" "$root/current"
echo "\${prev##*/}"
`;

/**
 * $1 = root, $2 = revision. FLIP in two steps for switching many hosts
 * together: check the release and create the new symlink under a temporary
 * name, print "armed", then wait for "go" on stdin before the rename. Prints
 * the previous target's revision on the line after "armed". End of input
 * without "go" (the worker gave up or died) removes the temporary link and
 * exits 4, leaving current as it was.
 */
export const ARMED_FLIP = `
root=$1; rev=$2
if [ ! -f "$root/releases/.$rev.phased" ] || [ ! -d "$root/releases/$rev" ]; then
  echo "release $rev is not completely staged on this host (no completion marker)" >&2
  exit 3
fi
tmp="$root/.current.$$.tmp"
ln -sfn -- "releases/$rev" "$tmp" || exit 1
echo armed
if ! read -r go || [ "$go" != go ]; then rm -f -- "$tmp"; exit 4; fi
prev=$(readlink -- "$root/current" 2>/dev/null || true)
mv -T -- "$tmp" "$root/current" || { rm -f -- "$tmp"; exit 1; }
echo "\${prev##*/}"
`;

/**
 * $1 = root, then revisions to delete. Refuses to delete the live release,
 * and only deletes trees phased created (those with a completion marker).
 */
export const REMOVE = `
set -e
root=$1; shift
cur=$(readlink -- "$root/current" 2>/dev/null || true); cur=\${cur##*/}
for rev in "$@"; do
  [ "$rev" = "$cur" ] && { echo "refusing to delete the live release $rev" >&2; exit 3; }
  [ -f "$root/releases/.$rev.phased" ] || continue
  rm -f -- "$root/releases/.$rev.phased"
  rm -rf -- "$root/releases/$rev"
done
`;

/** argv for running a script with its parameters through any transport. */
export function script(body: string, name: string, ...params: string[]): string[] {
  return ['sh', '-c', body, `phased-${name}`, ...params];
}
