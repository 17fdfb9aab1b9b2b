#!/usr/bin/python3
"""PyTorch reference for bench/perf/conv.c: the same convolutions (ResNet-50 stages, RetinaNet FPN /
head, dilated DeepLabV3 + ASPP; 512x512 input, batch 2), forward and backward (dX + dW), best of N
repetitions, printed in the same table format.

Run with Debian's interpreter (python3-torch): /usr/bin/python3 bench/perf/conv_torch.py [--reps N]
[--threads T] [--cpu-time] [--only NAME[,NAME...]] [--serve] (shape names on stdin, a row for each:
bench/perf/conv_vs_torch.py). 2 threads by default (Debian's torch sets 1 at import). Set
OMP_WAIT_POLICY=PASSIVE in the environment to match the engine's thread policy (see
shared/reference/RESULTS.md). Side by side in one job:
  build/perf_conv --compare && OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/perf/conv_torch.py
Note: PyTorch allocates every output and gradient per call (large ones with fresh mmap'd pages), a
cost it also pays in training; the engine's benchmark reuses its buffers, as its arena does.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

# name, in channels, out channels, kernel, stride, dilation, input size  (same list as bench/perf/conv.c;
# padding dilation * (kernel // 2))
SHAPES = [
    ("stem 7x7/2 3->64 @512", 3, 64, 7, 2, 1, 512),
    ("l1 1x1 64->64 @128", 64, 64, 1, 1, 1, 128),
    ("l1 3x3 64->64 @128", 64, 64, 3, 1, 1, 128),
    ("l1 1x1 64->256 @128", 64, 256, 1, 1, 1, 128),
    ("l1 1x1 256->64 @128", 256, 64, 1, 1, 1, 128),
    ("l2 3x3/2 128->128 @128", 128, 128, 3, 2, 1, 128),
    ("l2 1x1/2 256->512 @128", 256, 512, 1, 2, 1, 128),
    ("l2 3x3 128->128 @64", 128, 128, 3, 1, 1, 64),
    ("l2 1x1 128->512 @64", 128, 512, 1, 1, 1, 64),
    ("l2 1x1 512->128 @64", 512, 128, 1, 1, 1, 64),
    ("l3 3x3 256->256 @32", 256, 256, 3, 1, 1, 32),
    ("l3 1x1 256->1024 @32", 256, 1024, 1, 1, 1, 32),
    ("l3 1x1 1024->256 @32", 1024, 256, 1, 1, 1, 32),
    ("l4 3x3 512->512 @16", 512, 512, 3, 1, 1, 16),
    ("l4 1x1 512->2048 @16", 512, 2048, 1, 1, 1, 16),
    ("l4 1x1 2048->512 @16", 2048, 512, 1, 1, 1, 16),
    # RetinaNet FPN + head (mmdet)
    ("fpn lat 1x1 512->256 @64", 512, 256, 1, 1, 1, 64),
    ("fpn lat 1x1 1024->256 @32", 1024, 256, 1, 1, 1, 32),
    ("fpn lat 1x1 2048->256 @16", 2048, 256, 1, 1, 1, 16),
    ("p6 3x3/2 2048->256 @16", 2048, 256, 3, 2, 1, 16),
    ("p7 3x3/2 256->256 @8", 256, 256, 3, 2, 1, 8),
    ("head 3x3 256->256 @64", 256, 256, 3, 1, 1, 64),
    ("head 3x3 256->256 @32", 256, 256, 3, 1, 1, 32),
    ("head 3x3 256->256 @16", 256, 256, 3, 1, 1, 16),
    ("head 3x3 256->256 @8", 256, 256, 3, 1, 1, 8),
    ("head 3x3 256->256 @4", 256, 256, 3, 1, 1, 4),
    ("cls 3x3 256->720 @64", 256, 720, 3, 1, 1, 64),
    ("cls 3x3 256->720 @8", 256, 720, 3, 1, 1, 8),
    ("box 3x3 256->36 @64", 256, 36, 3, 1, 1, 64),
    # DeepLabV3-R50 D8 + ASPP (torchvision)
    ("d8 l3 3x3 d2 256->256 @64", 256, 256, 3, 1, 2, 64),
    ("d8 l3 1x1 256->1024 @64", 256, 1024, 1, 1, 1, 64),
    ("d8 l3 1x1 1024->256 @64", 1024, 256, 1, 1, 1, 64),
    ("d8 l4 3x3 d4 512->512 @64", 512, 512, 3, 1, 4, 64),
    ("d8 l4 1x1 512->2048 @64", 512, 2048, 1, 1, 1, 64),
    ("d8 l4 1x1 2048->512 @64", 2048, 512, 1, 1, 1, 64),
    ("aspp 1x1 2048->256 @64", 2048, 256, 1, 1, 1, 64),
    ("aspp 3x3 d12 2048->256 @64", 2048, 256, 3, 1, 12, 64),
    ("aspp 3x3 d24 2048->256 @64", 2048, 256, 3, 1, 24, 64),
    ("aspp 3x3 d36 2048->256 @64", 2048, 256, 3, 1, 36, 64),
    ("aspp proj 1x1 1280->256 @64", 1280, 256, 1, 1, 1, 64),
]
BATCH = 2


def clock(cpu_time, threads):
    """Wall clock, or (diagnostic on a loaded machine, as perf_conv --cpu-time) process CPU time
    divided by the thread count."""
    if cpu_time:
        return lambda: time.process_time() / threads
    return time.perf_counter


def best_of(fn, reps, now):
    fn()  # warm-up (oneDNN primitive creation)
    best = float("inf")
    for _ in range(reps):
        t0 = now()
        fn()
        best = min(best, now() - t0)
    return best


def bench(shape, reps, now):
    """(GFLOP count, best forward s, best backward s) of one shape."""
    name, c, o, k, s, d, hw = shape
    pad = d * (k // 2)
    x = torch.rand(BATCH, c, hw, hw) * 2 - 1
    w = torch.rand(o, c, k, k) * 2 - 1
    b = torch.rand(o)
    with torch.no_grad():
        y = F.conv2d(x, w, b, stride=s, padding=pad, dilation=d)
    dy = torch.rand_like(y)
    flop = 2.0 * y.numel() * c * k * k
    with torch.no_grad():
        tf = best_of(lambda: F.conv2d(x, w, b, stride=s, padding=pad, dilation=d), reps, now)
    xg = x.clone().requires_grad_()
    wg = w.clone().requires_grad_()

    def bwd():
        # dX + dW only (as the engine's timing): the convolution backward op itself
        torch.ops.aten.convolution_backward(dy, xg, wg, None, [s, s], [pad, pad], [d, d], False,
                                            [0, 0], 1, [True, True, False])

    return flop, tf, best_of(bwd, reps, now)


def print_row(name, flop, tf, tb):
    print(f"{name:<28} {flop * 1e-9:7.2f} | {tf * 1e3:8.2f} {flop / tf * 1e-9:8.1f} | "
          f"{tb * 1e3:8.2f} {2 * flop / tb * 1e-9:8.1f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default=None)
    ap.add_argument("--cpu-time", action="store_true", help="time with process CPU time / threads")
    ap.add_argument("--serve", action="store_true", help="read shape names from stdin, answer each with its row")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    now = clock(a.cpu_time, a.threads)
    print(f"torch {torch.__version__} conv2d: {torch.get_num_threads()} threads, mkldnn "
          f"{torch.backends.mkldnn.is_available()}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(default)')}"
          f"{' [CPU-time based, diagnostic only]' if a.cpu_time else ''}\n")
    print(f"{'conv (batch 2)':<28} {'GFLOP':>7} | {'fwd ms':>8} {'GFLOP/s':>8} | {'bwd ms':>8} {'GFLOP/s':>8}")
    if a.serve:  # shape names on stdin, one row each on stdout (bench/perf/conv_vs_torch.py)
        by_name = {shape[0]: shape for shape in SHAPES}
        for line in sys.stdin:
            name = line.strip()
            if name not in by_name:
                print(f"unknown shape '{name}'", flush=True)
                continue
            flop, tf, tb = bench(by_name[name], a.reps, now)
            print_row(name, flop, tf, tb)
            sys.stdout.flush()
        return
    tot_flop = tot_f = tot_b = 0.0
    for shape in SHAPES:
        name = shape[0]
        if a.only and not any(part in name for part in a.only.split(",")):
            continue
        flop, tf, tb = bench(shape, a.reps, now)
        print_row(name, flop, tf, tb)
        tot_flop += flop
        tot_f += tf
        tot_b += tb
    print(f"{'total':<28} {tot_flop * 1e-9:7.2f} | {tot_f * 1e3:8.2f} {tot_flop / tot_f * 1e-9:8.1f} | "
          f"{tot_b * 1e3:8.2f} {2 * tot_flop / tot_b * 1e-9:8.1f}")


if __name__ == "__main__":
    main()
