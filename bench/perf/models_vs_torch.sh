#!/bin/sh
# Whole-model benchmark against PyTorch (issue 3), side by side in one run: for each workload,
# perf_models (bench/perf/models.c) and then bench/perf/models_torch.py (the models of
# ../shared/reference/torch_bench.py), each in its own process, 2 threads, OMP_WAIT_POLICY=PASSIVE;
# then a Markdown table of median ms per step, peak resident memory and the ratios (ours / PyTorch:
# below 1 is better).
#
# usage: sh bench/perf/models_vs_torch.sh [BUILD_DIR]
#   BUILD_DIR  holds perf_models (default: build)
#   WORKLOADS  default "retinanet-train deeplabv3-train retinanet-infer deeplabv3-infer"
#   ITERS, WARMUP  timed and warm-up steps per process (default 3 and 1: a PyTorch DeepLabV3 training
#              step takes ~15 s on this 2-core machine, so the full table takes several minutes)
#   THREADS    default 2
#   PYTHON     interpreter with torch + torchvision (default /usr/bin/python3, Debian's python3-torch)
# The machine is shared: quote ratios from one run, and say so.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
py=${PYTHON:-/usr/bin/python3}
iters=${ITERS:-3}
warmup=${WARMUP:-1}
threads=${THREADS:-2}
workloads=${WORKLOADS:-"retinanet-train deeplabv3-train retinanet-infer deeplabv3-infer"}
[ -x "$build/perf_models" ] || { echo "models_vs_torch.sh: $build/perf_models not built" >&2; exit 1; }
if ! "$py" -c "import torch, torchvision" 2>/dev/null; then
  echo "models_vs_torch.sh: $py has no torch/torchvision (Debian: apt-get install python3-torch python3-torchvision); skipped" >&2
  exit 0
fi
export OMP_WAIT_POLICY=PASSIVE
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for w in $workloads; do
  "$build/perf_models" "$w" --iters "$iters" --warmup "$warmup" --threads "$threads" | tee -a "$out"
  "$py" "$root/bench/perf/models_torch.py" "$w" --iters "$iters" --warmup "$warmup" --threads "$threads" | tee -a "$out"
done
echo
echo "| workload (512x512) | akdbench ms | PyTorch ms | time ratio | akdbench peak MB | PyTorch peak MB | memory ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
awk '
  { for (i = 1; i < NF; i++) { if ($i == "median_ms") ms = $(i + 1); if ($i == "peak_rss_mb") mb = $(i + 1) }
    key = $2; if ($1 == "akdbench") { ams[key] = ms; amb[key] = mb; order[++n] = key } else { pms[key] = ms; pmb[key] = mb } }
  END { for (k = 1; k <= n; k++) { w = order[k]
          printf "| %s | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |\n", w, ams[w], pms[w], ams[w] / pms[w], amb[w], pmb[w], amb[w] / pmb[w] } }
' "$out"
