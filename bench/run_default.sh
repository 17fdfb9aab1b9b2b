#!/bin/sh
# make bench-coco / bench-cityscapes / ablation-avatars: run a sweep and print its report.
#   bench/run_default.sh coco|cityscapes|ablation BUILD_DIR
# Without COCO_ROOT / CITYSCAPES_ROOT: the synthetic default sweep (bench/configs/sweeps/synth_*.yaml)
# on a dataset generated on the spot. With them: the same sweep on the real data, where the presets'
# sizes are those of the synthetic default unless AKD_SWEEP names another sweep file.
# JOBS (default 2) runs in parallel, each with nproc/JOBS threads. Results go to runs/<sweep>/.
# Then the teacher's avatar capacity (akdbench avatars eval on the distilled taps of the CWD preset:
# ~20 s for the synthetic detection teacher, ~1 min for the segmentation one) goes to
# runs/<sweep>/teacher.capacity.json, which the report shows.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
task=$1
build=${2:-build}
jobs=${JOBS:-2}
case $task in
  coco)       sweep=$here/bench/configs/sweeps/synth_coco.yaml;       root=${COCO_ROOT:-} ;;
  cityscapes) sweep=$here/bench/configs/sweeps/synth_cityscapes.yaml; root=${CITYSCAPES_ROOT:-} ;;
  ablation)   sweep=$here/bench/configs/sweeps/ablation_avatars.yaml; root=${CITYSCAPES_ROOT:-} ;;
  *) echo "usage: $0 coco|cityscapes|ablation [BUILD_DIR]" >&2; exit 2 ;;
esac
sweep=${AKD_SWEEP:-$sweep}
name=$(basename "$sweep" .yaml)
dir=${AKD_RUNS:-runs}/$name
set --
if [ -n "$root" ]; then
  set -- --set dataset.synthetic=false --set "dataset.root=$root"
  dir=${AKD_RUNS:-runs}/$name-real
fi
AKD_GIT_COMMIT=$(git -C "$here" rev-parse HEAD 2>/dev/null || echo unknown)
export AKD_GIT_COMMIT
"$build/akdbench" env
echo "akdbench: sweep $sweep -> $dir ($jobs jobs)"
"$build/akdbench" sweep "$sweep" --dir "$dir" --jobs "$jobs" "$@"
case $task in
  coco) capacity_cfg=$here/bench/configs/synth_coco_cwd.yaml ;;
  *)    capacity_cfg=$here/bench/configs/synth_cityscapes_cwd.yaml ;;
esac
teacher=$(ls "$dir"/*teacher.h5 2>/dev/null | head -n 1)
if [ -n "$teacher" ] && [ ! -f "$dir/teacher.capacity.json" ]; then
  echo "akdbench: avatar capacity of $teacher"
  "$build/akdbench" avatars eval "$capacity_cfg" --weights "$teacher" --json "$dir/teacher.capacity.json" "$@" \
    > "$dir/teacher.capacity.md" 2>/dev/null ||
    { echo "akdbench: avatars eval failed; see $dir/teacher.capacity.md" >&2; exit 1; }
fi
if "$build/akdbench" report --help >/dev/null 2>&1; then
  "$build/akdbench" report "$dir" --format md,csv,tex,png
  [ -f "$dir/report/table.md" ] && cat "$dir/report/table.md"
fi
