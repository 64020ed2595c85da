// Host-to-host copies for fan-out staging. A seed host, staged by the worker
// as usual, serves its complete release through an rsync daemon that lives
// only while its share of the fleet copies: a read-only module, one user with
// a random per-deploy secret, started by the worker over its SSH connection
// and stopped when the worker closes that session (or the connection drops).
// A target then pulls the release from its seed, linking unchanged files from
// its own previous release, and the worker checks the result file by file
// against its source (rsync --checksum, which repairs any difference) before
// the target's manifest and completion marker are written. A seed therefore
// saves the worker's uplink the bytes, never the verification: what a seed
// serves is trusted for nothing.
//
// Why a daemon and not rsync over SSH between hosts: no host gets a key to
// another, nothing is added to any authorized_keys, and a target can read
// only the one release tree (read only, no listing, no other path) during
// the minutes its seed serves it; the secret never appears in a command
// line (it travels on stdin).
import { randomBytes } from 'node:crypto';
import type { Host } from '../core/vocabulary.js';
import { PhasedError, describeCause } from '../errors.js';
import type { RemoteProcess } from '../transport/process.js';
import type { HostTransport } from '../transport/types.js';
import { releaseDir } from './layout.js';
import { script } from './scripts.js';

/** What a target needs to pull from a seed: never written to a host's disk or a history. */
export interface RelaySource {
  /** The seed's name (for reports). */
  seed: string;
  /** rsync://phased@address:port/release/ */
  url: string;
  password: string;
  /** Per-copy bandwidth limit in KiB/s (rsync --bwlimit); none when unset. */
  bwLimitKiB?: number;
}

export interface ServingSeed {
  source: RelaySource;
  /** Stops the daemon and removes its files on the seed; waits until it has. */
  stop(): Promise<void>;
}

/** The rsync module a seed serves; the user a target authenticates as. */
const MODULE = 'release';
const USER = 'phased';

/**
 * Serves releases/<rev> of the deploy root $1 on address $2, trying the
 * ports $4...; the secret is the first line of stdin, the connection limit
 * $3. Prints "serving <port>", then waits for stdin to close and stops the
 * daemon. Exit 75: every port was taken.
 */
const SERVE = `
set -eu
root=$1 rev=$2 addr=$3 max=$4; shift 4
# What a relay left when its host went down mid-serve: a dead daemon's files
# (its secret opens nothing any more), over a minute old.
find "$root" -maxdepth 1 -name '.phased-relay.*' -mmin +1 -exec sh -c '
  for d; do p=$(cat "$d/pid" 2>/dev/null) || p=; [ -n "$p" ] && kill -0 "$p" 2>/dev/null || rm -rf -- "$d"; done
' phased-relay-sweep {} +
dir=$(mktemp -d "$root/.phased-relay.XXXXXX")
pid=
# The cleanup ignores further signals and writes nowhere: a host going down
# signals every process at once and its session's pipes are gone.
stop() {
  trap '' HUP INT TERM PIPE
  exec >/dev/null 2>&1
  [ -z "$pid" ] || kill "$pid" 2>/dev/null || :
  [ -z "$pid" ] || wait "$pid" 2>/dev/null || :
  rm -rf -- "$dir"
}
# A signal during the exit's cleanup would end it half done: each runs the
# whole cleanup itself (twice is harmless).
trap stop EXIT
trap 'stop; exit 1' HUP INT TERM
# A host serves from the moment its copy begins: the tree may not exist yet.
mkdir -p -- "$root/releases/$rev"
umask 077
IFS= read -r secret
printf '%s:%s\\n' ${USER} "$secret" > "$dir/secrets"
cat > "$dir/rsyncd.conf" <<EOF
use chroot = no
munge symlinks = no
numeric ids = yes
pid file = $dir/pid
[${MODULE}]
path = $root/releases/$rev
read only = yes
write only = no
list = no
auth users = ${USER}
secrets file = $dir/secrets
strict modes = yes
max connections = $max
lock file = $dir/lock
# rsync's files in flight (.<name>.XXXXXX) while the host still fills: a
# follower takes each file once it is whole. (A release file named so is
# left to the worker's check, which sends it.)
exclude = .*.??????
EOF
for port in "$@"; do
  : > "$dir/log"
  rsync --daemon --no-detach --config="$dir/rsyncd.conf" --address="$addr" --port="$port" --log-file="$dir/log" < /dev/null &
  pid=$!
  i=0
  while [ $i -lt 100 ]; do
    if grep -q 'listening on port' "$dir/log" 2>/dev/null; then
      echo "serving $port"
      cat > /dev/null
      exit 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05; i=$((i + 1))
  done
  kill "$pid" 2>/dev/null || :; wait "$pid" 2>/dev/null || :; pid=
done
cat "$dir/log" >&2
exit 75
`;

/**
 * Pulls rsync URL $1 into $2 (linking files from $3 when set), the password
 * the first line of stdin; $4 stall seconds, $5 bandwidth limit (0: none).
 * Then one copy per line of stdin: "more" while the server still fills (what
 * it holds so far; prints "copied <n>" after the n-th), "last" once it holds
 * every file (deleting what it does not hold, and comparing by content
 * against the basis), then exits 0. Exit 3: told to stop, or stdin closed.
 */
const PULL = `
set -eu
url=$1 dest=$2 basis=$3 stall=$4 bw=$5
# From the environment, which only this user can read (never a command line).
IFS= read -r RSYNC_PASSWORD
export RSYNC_PASSWORD
set -- -a --partial --stats --numeric-ids --no-inc-recursive --contimeout=10 --timeout="$stall"
[ -z "$basis" ] || set -- "$@" --link-dest="$basis"
[ "$bw" = 0 ] || set -- "$@" --bwlimit="$bw"
mkdir -p -- "$dest"
n=0
while IFS= read -r step; do
  n=$((n + 1))
  case $step in
  more)
    # A file the server replaced or removed while listed (exit 24) comes on a later pass.
    out=$(rsync "$@" -- "$url" "$dest/") || [ $? = 24 ]
    files=$(printf '%s\n' "$out" | sed -n 's/^Number of regular files transferred: //p' | tr -d ,)
    # Nothing new yet: give the server a moment before asking again.
    [ "\${files:-0}" != 0 ] || sleep 0.05
    echo "copied $n"
    ;;
  last)
    # Unchanged files are linked from the basis only when their content
    # matches (a rebuilt file can keep its size and mtime): both ends hash, the worker not.
    [ -z "$basis" ] || set -- "$@" --checksum
    rsync "$@" --delete -- "$url" "$dest/" > /dev/null
    exit 0
    ;;
  *) exit 3 ;;
  esac
done
exit 3
`;

const portsToTry = () =>
  Array.from({ length: 8 }, () => String(20_000 + (randomBytes(2).readUInt16BE() % 40_000)));

/** Address literals and host names only: the value lands in the daemon's config file. */
const ADDRESS = /^[A-Za-z0-9.:_-]+$/;

/**
 * Starts serving `revision` (complete on `seed`) to at most `maxConnections`
 * targets at once. Rejects with a PhasedError when the daemon cannot start.
 */
export async function serveRelease(
  t: HostTransport,
  seed: Host,
  revision: string,
  { maxConnections, bwLimitKiB }: { maxConnections: number; bwLimitKiB?: number },
): Promise<ServingSeed> {
  if (!ADDRESS.test(seed.address))
    throw new PhasedError({
      code: 'RELAY_FAILED',
      problem: `seed ${seed.name}'s address ${JSON.stringify(seed.address)} cannot be served on`,
      fix: 'give the host an IP address or host name, or stage without fanOut',
      retryable: false,
    });
  const password = randomBytes(24).toString('hex');
  const ports = portsToTry();
  let proc: RemoteProcess;
  try {
    proc = await t.start(
      seed,
      script(
        SERVE,
        'relay-serve',
        seed.root,
        revision,
        seed.address,
        // A pass's daemon process can outlive its client for a moment while
        // the target starts its next pass: with a limit of exactly
        // maxConnections, the benchmark saw "max connections (2) reached"
        // fail a following pull (and the server retired, its other
        // follower's pull refused).
        String(maxConnections * 2),
        ...ports,
      ),
    );
  } catch (cause) {
    throw relayFailed(seed, `could not start the relay: ${describeCause(cause)}`, cause);
  }
  proc.write(`${password}\n`);
  let port: string;
  try {
    // The script prints "serving <port>" for the first of the ports it could bind.
    port = await Promise.any(
      ports.map((p) => proc.waitForLine(`serving ${p}`, 30_000).then(() => p)),
    );
  } catch {
    proc.end();
    const r = await proc.done;
    throw relayFailed(
      seed,
      `the relay did not start (${r.code === 75 ? 'every port tried was taken' : `exit ${r.code}`}): ${r.stderr.trim().split('\n').slice(-2).join(' ')}`,
    );
  }
  return {
    source: {
      seed: seed.name,
      url: `rsync://${USER}@${seed.address.includes(':') ? `[${seed.address}]` : seed.address}:${port}/${MODULE}/`,
      password,
      ...(bwLimitKiB ? { bwLimitKiB } : {}),
    },
    async stop() {
      proc.end();
      await proc.done;
    },
  };
}

/**
 * Pulls the release from a serving host into the target's
 * releases/<revision> (linking unchanged files from `basis`). While the
 * server is still filling (`filled` unsettled) the target copies what it
 * holds, again and again, and takes a last pass once it holds every file.
 * Never marks the copy complete: the worker's checksum pass decides what it
 * is worth.
 */
export async function pullFromSeed(
  t: HostTransport,
  target: Host,
  revision: string,
  basis: string | null,
  relay: RelaySource,
  {
    filled,
    timeoutMs,
    stallSeconds = 60,
  }: {
    /** Set while the server fills: true once it holds every file, false if it failed. */
    filled?: Promise<boolean>;
    /** The longest one pass may take (rsync's stall limit cuts a stalled one sooner). */
    timeoutMs: number;
    stallSeconds?: number;
  },
): Promise<void> {
  let proc: RemoteProcess;
  try {
    proc = await t.start(
      target,
      script(
        PULL,
        'relay-pull',
        relay.url,
        releaseDir(target.root, revision),
        basis ? releaseDir(target.root, basis) : '',
        String(stallSeconds),
        String(relay.bwLimitKiB ?? 0),
      ),
    );
  } catch (cause) {
    throw relayFailed(target, `could not start the pull: ${describeCause(cause)}`, cause);
  }
  proc.write(`${relay.password}\n`);
  const server: { now: 'filling' | 'filled' | 'failed' } = {
    now: filled ? 'filling' : 'filled',
  };
  const settled = (filled ?? Promise.resolve(true)).then((ok) => {
    server.now = ok ? 'filled' : 'failed';
  });
  try {
    // One pass asked for ahead of the one running: the next begins without a round trip.
    if (server.now === 'filling') proc.write('more\n');
    for (let n = 1; server.now === 'filling'; n++) {
      proc.write('more\n');
      // A pass that ends as the server fills is not waited for: the last pass follows it.
      await Promise.race([proc.waitForLine(`copied ${n}`, timeoutMs), settled]);
    }
  } catch {
    // The pass failed: the process has ended, and its exit says why (below).
  }
  if (server.now === 'failed') {
    proc.end();
    await proc.done;
    throw relayFailed(target, `seed ${relay.seed} failed before it held the whole release`);
  }
  proc.write('last\n');
  proc.end();
  const r = await proc.done;
  if (r.code !== 0)
    throw relayFailed(
      target,
      `pulling from seed ${relay.seed} ${r.code === null ? 'was killed' : `exited ${r.code}`}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`,
    );
}

function relayFailed(host: Host, problem: string, cause?: unknown): PhasedError {
  return new PhasedError({
    code: 'RELAY_FAILED',
    problem: `${host.name}: ${problem}`,
    fix: 'the host is staged from the worker instead; check that hosts reach each other on the relay ports (20000-59999), or stage without fanOut',
    retryable: true,
    ...(cause === undefined ? {} : { cause }),
  });
}
