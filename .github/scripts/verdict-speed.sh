#!/usr/bin/env bash
# Prints how long the default `ab` verdict takes and how many pairs a large
# change needs, for this checkout and for the previous defaults side by
# side, in one run. Not a test: the figures depend on the machine and on
# what else runs on it, so it prints them and asserts nothing.
#
# It builds workerbench from this checkout (new) and from --old REF (old,
# by default the last commit before the current defaults), then, in
# examples/flask with gunicorn (--server gunicorn), over the matrix
# 1x1,1x3,3x1,3x3 and /?ms=50:
#   - A/A (base and head the same directory), --rounds times each, old and
#     new alternating so that both see the same machine: each run's wall
#     time from start to exit, its verdict and pairs per cell;
#   - a large change: head's index page 30% slower (WORKERBENCH_SLOWDOWN),
#     once each: the verdicts and pairs per cell.
#
# Usage: .github/scripts/verdict-speed.sh [--old REF] [--rounds N] [--path PATH]
# Needs go, git, gunicorn and python3-flask (.github/scripts/install-test-deps.sh).
set -euo pipefail

old_ref=c22a3db # 6 pairs first then 4 at a time, fixed warm-ups, S0 one side at a time
rounds=3
path='/?ms=50'
matrix=1x1,1x3,3x1,3x3
while [ $# -gt 0 ]; do
  case "$1" in
    --old) old_ref="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --path) path="$2"; shift 2 ;;
    *) echo "verdict-speed.sh: unknown argument $1 (want --old REF, --rounds N, --path PATH)" >&2; exit 2 ;;
  esac
done

root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "building new ($(git -C "$root" rev-parse --short HEAD), working tree) and old ($old_ref)" >&2
(cd "$root" && go build -o "$work/new" ./cmd/workerbench)
mkdir "$work/old-src"
git -C "$root" archive "$old_ref" | tar -x -C "$work/old-src"
(cd "$work/old-src" && go build -o "$work/old" ./cmd/workerbench)

app="$root/examples/flask"
# summary FILE: the verdict and "cell:pairs:verdict" for each cell.
summary() {
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["verdict"], " ".join("%dx%d:%d:%s" % (c["workers"], c["threads"], c.get("pairs", 0), c["verdict"]) for c in r["cells"]))
' "$1"
}
# measure NAME OUT [ab flags...]: runs ab, prints "NAME seconds summary".
measure() {
  local name="$1" out="$2"
  shift 2
  local start end
  start=$(date +%s.%N)
  (cd "$app" && "$work/$name" ab --server gunicorn --app app:app --matrix "$matrix" --path "$path" \
    --base-dir . --head-dir . --out "$out" "$@" >"$out.log" 2>&1) || true
  end=$(date +%s.%N)
  printf '%s %.1f %s\n' "$name" "$(echo "$end - $start" | bc)" "$(summary "$out/results.json")"
}

echo "A/A, $matrix, $path, $rounds rounds (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
for i in $(seq "$rounds"); do
  if [ $((i % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
  for name in $order; do
    measure "$name" "$work/aa-$name-$i"
  done
done | tee "$work/aa.txt"
echo "head 30% slower, $matrix, $path (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
for name in old new; do
  measure "$name" "$work/slow-$name" --head-env WORKERBENCH_SLOWDOWN=0.30
done | tee "$work/slow.txt"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
printf '%-32s %12s %12s\n' "" "old ($old_ref)" "new"
for name in old new; do
  grep "^$name " "$work/aa.txt" | cut -d' ' -f2 | median >"$work/median-$name"
done
printf '%-32s %11ss %11ss\n' "A/A verdict, median wall time" "$(cat "$work/median-old")" "$(cat "$work/median-new")"
for name in old new; do
  grep "^$name " "$work/aa.txt" | cut -d' ' -f2 | paste -sd, >"$work/all-$name"
done
printf '%-32s %12s %12s\n' "A/A wall times" "$(cat "$work/all-old")" "$(cat "$work/all-new")"
for name in old new; do
  grep "^$name " "$work/slow.txt" | cut -d' ' -f4- | tr ' ' '\n' | cut -d: -f2 | paste -sd, >"$work/pairs-$name"
  grep "^$name " "$work/slow.txt" | cut -d' ' -f3 >"$work/verdict-$name"
done
printf '%-32s %12s %12s\n' "30% slower: pairs per cell" "$(cat "$work/pairs-old")" "$(cat "$work/pairs-new")"
printf '%-32s %12s %12s\n' "30% slower: verdict" "$(cat "$work/verdict-old")" "$(cat "$work/verdict-new")"
