#!/usr/bin/env bash
# Runs every Go fuzz target in the module for $FUZZTIME each (default 10s).
# `go test -fuzz` accepts one target per run, hence the loop. New corpus
# entries that found failures are written to testdata/fuzz/ as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
n=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  for name in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | sed 's/^func //'); do
    echo "fuzz: $dir $name ($FUZZTIME)"
    "$GO" test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "./$dir"
    n=$((n+1))
  done
done < <(grep -rl --include='*_test.go' -E '^func Fuzz' . | sort)
echo "fuzz: $n targets ran without a failure"
