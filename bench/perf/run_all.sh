#!/bin/sh
# Run every benchmark in bench/perf (built as perf_<name>) and their PyTorch references.
set -eu
build=${1:-build}
for exe in "$build"/perf_*; do
  [ -x "$exe" ] || continue
  echo "== $(basename "$exe")"
  "$exe"
done
