#!/usr/bin/python3
"""PyTorch side of bench/perf/models.c: the same four workloads with the models that
../shared/reference/torch_bench.py builds (its build() is imported, not copied).

  /usr/bin/python3 bench/perf/models_torch.py WORKLOAD [--iters N] [--warmup N] [--threads T]
  WORKLOAD: retinanet-train | retinanet-infer | deeplabv3-train | deeplabv3-infer

Training steps are torch_bench.py's step(): forward with targets, zero_grad(set_to_none=True),
backward, SGD(lr 1e-3, momentum 0.9, weight_decay 1e-4) step, on torch.rand images, two boxes per image
(labels 1 and 5) or random labels, batch 2. Inference: model.eval() under torch.no_grad(), batch 1, the
model's whole forward (detection: transform, backbone, head, post-processing; segmentation: the logits
upsampled to the input).
Detection at 512x512: torch_bench builds retinanet_resnet50_fpn with the default min_size 800, whose
transform would RESIZE 512x512 images to 800x800; shared/reference/RESULTS.md measured with
min_size = max_size = 512, so this wrapper sets model.transform.min_size = (512,), max_size = 512.
torch_bench.py is looked up in $TORCH_BENCH_DIR, else ../shared/reference beside the repository.
Run with Debian's interpreter (python3-torch 1.13) and OMP_WAIT_POLICY=PASSIVE (RESULTS.md). Prints one
line in perf_models' format; peak memory is this process's ru_maxrss (run one workload per process).
"""
import argparse
import os
import resource
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.environ.get("TORCH_BENCH_DIR", os.path.join(os.path.dirname(ROOT), "shared", "reference")))

import torch  # noqa: E402
import torch_bench  # noqa: E402

SIZE = 512
MODELS = {"retinanet": "retinanet_r50", "deeplabv3": "deeplabv3_r50"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workload", choices=["retinanet-train", "retinanet-infer", "deeplabv3-train", "deeplabv3-infer"])
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    arch, mode = a.workload.split("-")
    model, kind = torch_bench.build(MODELS[arch], 81)
    if kind == "det":
        model.transform.min_size = (SIZE,)
        model.transform.max_size = SIZE
    train = mode == "train"
    B = 2 if train else 1
    h = w = SIZE
    if kind == "det":
        x = [torch.rand(3, h, w) for _ in range(B)]
        t = [{"boxes": torch.tensor([[10., 20., w * 0.4, h * 0.5], [w * 0.5, h * 0.2, w * 0.9, h * 0.8]]),
              "labels": torch.tensor([1, 5])} for _ in range(B)]
    else:
        x = torch.rand(B, 3, h, w)
        y = torch.randint(0, 19, (B, h, w))

    if train:
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)
        if kind == "det":
            loss_fn = lambda: sum(model(x, t).values())  # noqa: E731
        else:
            loss_fn = lambda: torch.nn.functional.cross_entropy(model(x)["out"], y, ignore_index=255)  # noqa: E731

        def step():
            loss = loss_fn()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(x)

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.iters):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"pytorch  {a.workload:<16} batch {B} {h}x{w}  median_ms {statistics.median(times) * 1e3:8.1f}  "
          f"best_ms {min(times) * 1e3:8.1f}  peak_rss_mb {rss:7.0f}  iters {a.iters}  "
          f"(torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(default)')})")


if __name__ == "__main__":
    main()
