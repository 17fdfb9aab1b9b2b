#!/bin/sh
# COCO bbox evaluation benchmark: `akdbench eval-coco` with 1 and 2 OpenMP threads against the
# official COCO API (pycocotools) on the same COCO-val-sized files, in the same run, and a check that
# the 12 summary numbers and every per-category AP agree.
#
# usage: sh bench/perf/eval_coco.sh [BUILD_DIR] [WORK_DIR]
#   BUILD_DIR  holds akdbench (default: build)
#   WORK_DIR   where tools/make_coco_bench.py writes gt.json / dets.json (default: $TMPDIR/akd_coco_bench;
#              reused when present)
#   PYTHON     interpreter for pycocotools (default: python3; installed from PyPI when missing)
#   REPEAT     runs of akdbench per thread count, best wall time kept (default 3); pycocotools runs
#              once (it takes minutes)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
work=${2:-${TMPDIR:-/tmp}/akd_coco_bench}
py=${PYTHON:-python3}
[ -x "$build/akdbench" ] || { echo "eval_coco.sh: $build/akdbench not built" >&2; exit 1; }
if ! "$py" -c "import pycocotools" 2>/dev/null; then
  echo "eval_coco.sh: installing pycocotools for $py"
  "$py" -m pip install --quiet pycocotools
fi
if [ ! -f "$work/gt.json" ] || [ ! -f "$work/dets.json" ]; then
  "$py" "$root/tools/make_coco_bench.py" "$work"
fi

AKDBENCH="$build/akdbench" WORK="$work" REPEAT="${REPEAT:-3}" "$py" - <<'EOF'
import contextlib, io, json, os, re, resource, subprocess, sys, time
import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

exe, work, repeat = os.environ["AKDBENCH"], os.environ["WORK"], int(os.environ["REPEAT"])
gt_path, dt_path = os.path.join(work, "gt.json"), os.path.join(work, "dets.json")

def ours(threads):
    best = None
    out = os.path.join(work, "akdbench_%d.json" % threads)
    for _ in range(repeat):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run([exe, "eval-coco", gt_path, dt_path, "--json", out], env=env,
                           capture_output=True, text=True)
        wall = time.perf_counter() - t0
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode != 0:
            sys.exit("akdbench failed: " + r.stderr)
        m = re.search(r"load ([0-9.]+) s, evaluate ([0-9.]+) s", r.stderr)
        cpu = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
        run = (wall, float(m.group(1)), float(m.group(2)), cpu)
        best = run if best is None or run[0] < best[0] else best
    with open(out) as f:
        return best, json.load(f), r.stdout

o1, j1, summary = ours(1)
o2, j2, _ = ours(2)

quiet = io.StringIO()
with contextlib.redirect_stdout(quiet):
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    gt = COCO(gt_path)
    dt = gt.loadRes(dt_path)
    t1 = time.perf_counter()
    E = COCOeval(gt, dt, "bbox")
    E.evaluate()
    E.accumulate()
    E.summarize()
    t2 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu_ref = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
ref = [float(x) for x in E.stats]
P = E.eval["precision"]
ref_ap = {}
for k, cid in enumerate(E.params.catIds):
    s = P[:, :, k, 0, 2]
    ref_ap[str(cid)] = float(np.mean(s[s > -1])) if (s > -1).any() else -1.0

print(summary, end="")
print("\nfiles: %s (%d MB of detections)" % (work, os.path.getsize(dt_path) >> 20))
print("%-26s %8s %8s %9s %8s %9s" % ("seconds", "load", "eval", "total", "CPU", "speed-up"))
tot_ref = t2 - t0
print("%-26s %8.2f %8.2f %9.2f %8.2f %9s" % ("pycocotools (1 thread)", t1 - t0, t2 - t1, tot_ref, cpu_ref, "1.0x"))
for name, (wall, load, ev, cpu) in (("akdbench, 1 thread", o1), ("akdbench, 2 threads", o2)):
    print("%-26s %8.2f %8.2f %9.2f %8.2f %8.0fx   (evaluation alone: %.0fx)"
          % (name, load, ev, wall, cpu, tot_ref / wall, (t2 - t1) / ev))
print("(total = wall clock of the whole process; CPU = user + system of all its threads)")
ok = True
for name, j in (("1 thread", j1), ("2 threads", j2)):
    d = max(abs(a - b) for a, b in zip(j["stats"], ref))
    dc = max(abs(j["per_category_ap"][c] - v) for c, v in ref_ap.items())
    same = j["stats"] == ref
    print("akdbench %-9s vs pycocotools: 12 stats max |diff| %.3g (bitwise equal: %s), per-category AP max |diff| %.3g"
          % (name, d, same, dc))
    ok = ok and d <= 1e-9 and dc <= 1e-9
print("1 vs 2 threads bitwise identical:", j1 == j2)
sys.exit(0 if ok and j1 == j2 else 1)
EOF
