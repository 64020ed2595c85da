#!/usr/bin/env bash
# Runs the full test suite (the README's `npm test`) N times in a row on a
# fresh clone of this repository's HEAD, and records how reliable it is:
#   bench/results/test-reliability.json  {"runs", "failures", "slowestSeconds", "commit", ...}
#   bench/results/test-reliability.md    a table with each run and each failing test
# A failure is a bug to fix at its cause, never a reason to retry.
# Usage: scripts/repeat-tests.sh N   (default 10)
set -euo pipefail

runs="${1:-10}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 N (a positive number of runs)" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
commit="$(git -C "$root" rev-parse HEAD)"
work="$(mktemp -d "${TMPDIR:-/tmp}/phased-repeat-XXXXXX")"
trap 'rm -rf "$work"' EXIT
git clone --quiet --no-hardlinks "$root" "$work/phased"
git -C "$work/phased" checkout --quiet "$commit"

results="$root/bench/results"
mkdir -p "$results"
rows=()
failures=0
slowest=0
for i in $(seq 1 "$runs"); do
  log="$work/run-$i.log"
  start=$(date +%s)
  if (cd "$work/phased" && CI=true npm test >"$log" 2>&1 </dev/null); then status=pass; else status=fail; fi
  seconds=$(( $(date +%s) - start ))
  (( seconds > slowest )) && slowest=$seconds
  # vitest's "FAIL <project> <file> > <test>" lines, without colours.
  failed_tests="$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *FAIL ' | sed -e 's/^ *FAIL *//' | sort -u | paste -sd ';' - || true)"
  if [ "$status" = fail ]; then
    failures=$((failures + 1))
    [ -n "$failed_tests" ] || failed_tests="(no test named: see the log's end) $(tail -n 3 "$log" | tr '\n' ' ')"
    cp "$log" "$results/test-reliability-run-$i.log"
  fi
  summary="$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests +' | tail -n 1 | sed -e 's/^ *Tests *//')"
  rows+=("| $i | $status | $seconds | ${summary:-?} | ${failed_tests:--} |")
  echo "run $i/$runs: $status in ${seconds}s ${summary}" >&2
done

cat >"$results/test-reliability.json" <<JSON
{"runs": $runs, "failures": $failures, "slowestSeconds": $slowest, "commit": "$commit", "machine": "$(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB", "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
JSON
{
  echo "# Test reliability"
  echo
  echo "\`scripts/repeat-tests.sh $runs\` on a fresh clone of $commit, $(date -u +%Y-%m-%d), $(nproc) CPUs."
  echo
  echo "**$failures failure(s) in $runs runs; slowest run ${slowest} s.**"
  echo
  echo "| run | result | seconds | tests | failing tests |"
  echo "| --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
} >"$results/test-reliability.md"
echo "$failures failure(s) in $runs runs; slowest ${slowest}s; see bench/results/test-reliability.md" >&2
[ "$failures" -eq 0 ]
