#!/usr/bin/python3
"""Convolution per shape, the engine (build/perf_conv) against PyTorch (conv_torch.py), the two
programs alternating round by round over the same shape list, so that both see the same machine
state; best of all rounds per shape and side, and the ratio engine / PyTorch (below 1: the engine
is faster).

usage: /usr/bin/python3 bench/perf/conv_vs_torch.py [--build build] [--rounds 5] [--reps 3] [--all]
  The default set is the 16 ResNet-50 stage shapes at 512x512, batch 2 (the engine issue's target:
  no slower than PyTorch on them); --all adds the FPN / head / DeepLabV3 / ASPP shapes. Both sides
  run 2 threads with OMP_WAIT_POLICY=PASSIVE. Each side runs the whole list in one process per
  round: PyTorch allocates its outputs per call, and a process that has run a few shapes reuses
  heap pages where a fresh one maps and faults new ones (a per-shape process made it 1.5-2x slower).
  On a shared machine single runs vary by up to 30 %: several rounds and the best of each side are
  what the table reports.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from conv_torch import SHAPES  # noqa: E402  (the same list as bench/perf/conv.c)

RESNET = 16  # the first 16 shapes: stem and ResNet-50 stages


def row(out, name):
    """(fwd ms, bwd ms) of the table row named `name` exactly."""
    for line in out.splitlines():
        if line[:28].strip() == name and "|" in line:
            parts = line.split("|")
            return float(parts[1].split()[0]), float(parts[2].split()[0])
    raise RuntimeError(f"no row {name!r} in:\n{out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--all", action="store_true")
    a = ap.parse_args()
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    names = [s[0] for s in (SHAPES if a.all else SHAPES[:RESNET])]
    ours = [os.path.join(a.build, "perf_conv"), "--reps", str(a.reps), "--no-ceiling", "--only"]
    torch = ["/usr/bin/python3", os.path.join(HERE, "conv_torch.py"), "--reps", str(a.reps), "--only"]
    best = {n: [float("inf")] * 4 for n in names}  # ours fwd, ours bwd, torch fwd, torch bwd
    for r in range(a.rounds):
        for side, cmd in ((0, ours), (2, torch)):
            out = subprocess.run(cmd + [",".join(names)], env=env, capture_output=True, text=True,
                                 check=True).stdout
            for n in names:
                f, b = row(out, n)
                best[n][side] = min(best[n][side], f)
                best[n][side + 1] = min(best[n][side + 1], b)
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr)
    print(f"conv (batch 2), best of {a.rounds} rounds x {a.reps} reps, 2 threads; ratio = engine / PyTorch")
    print(f"{'shape':<28} | {'fwd ms':>8} {'torch':>8} {'ratio':>6} | {'bwd ms':>8} {'torch':>8} {'ratio':>6}")
    tot = [0.0] * 4
    for n in names:
        v = best[n]
        tot = [t + x for t, x in zip(tot, v)]
        print(f"{n:<28} | {v[0]:8.2f} {v[2]:8.2f} {v[0] / v[2]:6.2f} | {v[1]:8.2f} {v[3]:8.2f} {v[1] / v[3]:6.2f}")
    print(f"{'total':<28} | {tot[0]:8.2f} {tot[2]:8.2f} {tot[0] / tot[2]:6.2f} | "
          f"{tot[1]:8.2f} {tot[3]:8.2f} {tot[1] / tot[3]:6.2f}")


if __name__ == "__main__":
    main()
