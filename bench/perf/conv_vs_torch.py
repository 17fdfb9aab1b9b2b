#!/usr/bin/python3
"""Convolution per shape, the engine (build/perf_conv) against PyTorch (conv_torch.py): both run as
long-lived processes (--serve) and are asked for one shape at a time, alternating, so that the two
sides of each ratio are measured seconds apart under the same machine state; a first round warms
both up (PyTorch's allocator maps and faults fresh pages for every new output size until it has
seen them: a first call measured 1.5-2.5x slower) and is not counted; then the best of all rounds per
shape and side, and the ratio engine / PyTorch (below 1: the engine is faster).

usage: /usr/bin/python3 bench/perf/conv_vs_torch.py [--build build] [--rounds 5] [--reps 3] [--all]
  The default set is the 16 ResNet-50 stage shapes at 512x512, batch 2 (the engine issue's target:
  no slower than PyTorch on them); --all adds the FPN / head / DeepLabV3 / ASPP shapes. Both sides
  run 2 threads with OMP_WAIT_POLICY=PASSIVE; the side that goes first alternates by round. On a
  shared machine single runs vary by up to 30 %: several rounds and the best of each side are what
  the table reports.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from conv_torch import SHAPES  # noqa: E402  (the same list as bench/perf/conv.c)

RESNET = 16  # the first 16 shapes: stem and ResNet-50 stages


class Server:
    """A benchmark process in --serve mode: one table row per shape name written to it."""

    def __init__(self, cmd, env):
        self.p = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, name):
        self.p.stdin.write(name + "\n")
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.p.args[0]} ended before answering {name!r}")
            if line.startswith("unknown shape"):
                raise RuntimeError(f"{self.p.args[0]}: {line.strip()}")
            if line[:28].strip() == name and "|" in line:
                parts = line.split("|")
                return float(parts[1].split()[0]), float(parts[2].split()[0])

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--all", action="store_true")
    a = ap.parse_args()
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    names = [s[0] for s in (SHAPES if a.all else SHAPES[:RESNET])]
    sides = [Server([os.path.join(a.build, "perf_conv"), "--serve", "--no-ceiling", "--reps", str(a.reps)], env),
             Server(["/usr/bin/python3", os.path.join(HERE, "conv_torch.py"), "--serve", "--reps", str(a.reps)], env)]
    best = {n: [float("inf")] * 4 for n in names}  # ours fwd, ours bwd, torch fwd, torch bwd
    for r in range(a.rounds + 1):
        for n in names:
            order = (0, 1) if r % 2 else (1, 0)
            for side in order:
                f, b = sides[side].ask(n)
                if r > 0:  # round 0 warms both processes up
                    best[n][2 * side] = min(best[n][2 * side], f)
                    best[n][2 * side + 1] = min(best[n][2 * side + 1], b)
        print(f"round {r}/{a.rounds} done{' (warm-up)' if r == 0 else ''}", file=sys.stderr)
    for s in sides:
        s.close()
    print(f"conv (batch 2), best of {a.rounds} rounds x {a.reps} reps after a warm-up round, 2 threads, "
          f"shape by shape alternating; ratio = engine / PyTorch")
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
