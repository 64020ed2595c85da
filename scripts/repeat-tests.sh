#!/usr/bin/env bash
# Runs the full test suite (the README's `npm test`) N times in a row on a
# fresh clone of this repository's HEAD, and records how reliable it is:
#   bench/results/test-reliability.json  {"runs", "failures", "slowestSeconds", "commit", ...}
#   bench/results/test-reliability.md    a table with each run and each failing test
# A failure is a bug to fix at its cause, never a reason to retry.
# Usage: scripts/repeat-tests.sh N [LOADED]   (default 10 runs, 3 of them loaded)
# The last LOADED runs each run beside a CPU-heavy process the script starts
# and stops with the run: one busy loop per CPU but one (`sha256sum /dev/zero`,
# so the suite gets one CPU of this machine instead of all of them), to show
# that no test depends on an idle machine.
# REPEAT_LOGS=DIR keeps every run's log there (failing runs' logs are always
# copied to bench/results).
set -euo pipefail

runs="${1:-10}"
loaded="${2:-3}"
[[ "$runs" =~ ^[1-9][0-9]*$ && "$loaded" =~ ^[0-9]+$ && "$loaded" -le "$runs" ]] ||
  { echo "usage: $0 N [LOADED] (N runs, the last LOADED of them beside a CPU-heavy process)" >&2; exit 2; }
hogs_per_run=$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))
hog_pids=()
stop_hogs() {
  for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hog_pids[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
  hog_pids=()
}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
commit="$(git -C "$root" rev-parse HEAD)"
work="$(mktemp -d "${TMPDIR:-/tmp}/phased-repeat-XXXXXX")"
trap 'stop_hogs; rm -rf "$work"' EXIT
git clone --quiet --no-hardlinks "$root" "$work/phased"
git -C "$work/phased" checkout --quiet "$commit"

results="$root/bench/results"
mkdir -p "$results"
rows=()
failures=0
slowest=0
record() {
  local done=$1
  local loaded_done=$(( done > runs - loaded ? done - (runs - loaded) : 0 ))
cat >"$results/test-reliability.json" <<JSON
{"runs": $done, "planned": $runs, "failures": $failures, "loadedRuns": $loaded_done, "load": "each loaded run beside ${hogs_per_run} x sha256sum /dev/zero (a busy CPU each)", "slowestSeconds": $slowest, "commit": "$commit", "machine": "$(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB", "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
JSON
{
  echo "# Test reliability"
  echo
  echo "\`scripts/repeat-tests.sh $runs $loaded\` on a fresh clone of $commit, $(date -u +%Y-%m-%d), $(nproc) CPUs."
  echo "The last $loaded runs ran beside ${hogs_per_run} x \`sha256sum /dev/zero\` (a busy CPU each). Seconds: the whole \`npm test\` (setup, type check, lint, vitest); vitest: its own duration."
  echo
  echo "**$failures failure(s) in $done of $runs planned runs ($loaded_done loaded); slowest run ${slowest} s.**"
  echo
  echo "| run | result | seconds | vitest s | beside | tests | failing tests |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
} >"$results/test-reliability.md"
}

for i in $(seq 1 "$runs"); do
  log="$work/run-$i.log"
  beside=-
  if (( i > runs - loaded )); then
    for _ in $(seq 1 "$hogs_per_run"); do sha256sum /dev/zero >/dev/null & hog_pids+=("$!"); done
    beside="${hogs_per_run} x sha256sum /dev/zero"
  fi
  start=$(date +%s)
  if (cd "$work/phased" && CI=true npm test >"$log" 2>&1 </dev/null); then status=pass; else status=fail; fi
  seconds=$(( $(date +%s) - start ))
  stop_hogs
  [ -z "${REPEAT_LOGS:-}" ] || { mkdir -p "$REPEAT_LOGS" && cp "$log" "$REPEAT_LOGS/run-$i.log"; }
  (( seconds > slowest )) && slowest=$seconds
  # vitest's "FAIL <project> <file> > <test>" lines, without colours.
  failed_tests="$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *FAIL ' | sed -e 's/^ *FAIL *//' | sort -u | paste -sd ';' - || true)"
  if [ "$status" = fail ]; then
    failures=$((failures + 1))
    [ -n "$failed_tests" ] || failed_tests="(no test named: see the log's end) $(tail -n 3 "$log" | tr '\n' ' ')"
    cp "$log" "$results/test-reliability-run-$i.log"
  fi
  summary="$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests +' | tail -n 1 | sed -e 's/^ *Tests *//')"
  vitest="$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Duration +' | tail -n 1 | sed -E 's/^ *Duration *([0-9.]+)s.*/\1/')"
  rows+=("| $i | $status | $seconds | ${vitest:-?} | $beside | ${summary:-?} | ${failed_tests:--} |")
  echo "run $i/$runs: $status in ${seconds}s (vitest ${vitest:-?} s, beside: $beside) ${summary}" >&2
  # Written after every run, so an interrupted series still records what ran.
  record "$i"
done

echo "$failures failure(s) in $runs runs; slowest ${slowest}s; see bench/results/test-reliability.md" >&2
[ "$failures" -eq 0 ]
