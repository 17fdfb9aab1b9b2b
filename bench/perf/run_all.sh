#!/bin/sh
# Run every benchmark in bench/perf (built as perf_<name>) and their PyTorch references.
set -eu
build=${1:-build}
for exe in "$build"/perf_*; do
  [ -x "$exe" ] || continue
  [ "$(basename "$exe")" = perf_models ] && continue # needs a workload: run below beside PyTorch
  echo "== $(basename "$exe")"
  "$exe"
done
echo "== perf_models vs PyTorch (bench/perf/models_vs_torch.sh)"
sh "$(dirname "$0")/models_vs_torch.sh" "$build"
echo "== perf_conv vs PyTorch, shape by shape (bench/perf/conv_vs_torch.py)"
/usr/bin/python3 "$(dirname "$0")/conv_vs_torch.py" --build "$build" --rounds 5
