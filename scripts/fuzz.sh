#!/usr/bin/env bash
# fuzz.sh: run every fuzz target of every package for a while each.
#
#   scripts/fuzz.sh [FUZZTIME]     FUZZTIME defaults to $FUZZTIME or 30s
#
# Targets are found with `go test -list 'Fuzz.*'`; Go can fuzz one target
# at a time, so each runs on its own. Every target runs even when one
# fails; the script fails at the end if any did. A failing input is written
# under that package's testdata/fuzz/, where every later `go test` replays
# it: fix the bug, keep the file.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${1:-${FUZZTIME:-30s}}
found=0
failed=()
for line in $(go list -f '{{.ImportPath}}={{.Dir}}' ./...); do
  pkg=${line%%=*}
  dir=${line#*=}
  # Only packages with a fuzz target in a test file: listing runs the test
  # binary, TestMain included (server/e2e's starts a browser).
  grep -qs '^func Fuzz' "$dir"/*_test.go || continue
  targets=$(go test -list 'Fuzz.*' "$pkg" | grep '^Fuzz' || true)
  for target in $targets; do
    found=$((found + 1))
    echo "== $pkg $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
      failed+=("$pkg $target")
    fi
  done
done

echo "fuzz: $found targets run"
if ((${#failed[@]} > 0)); then
  printf 'fuzz: FAILED %s\n' "${failed[@]}" >&2
  exit 1
fi
