#!/usr/bin/env python3
"""Convert a PyTorch checkpoint (.pth: a state dict, or {"state_dict": ...} as mmcv saves) into a
safetensors file that akdbench loads (models/weights.h), e.g. an ImageNet-pretrained backbone:

  /usr/bin/python3 tools/pth_to_safetensors.py resnet50-0676ba61.pth checkpoints/resnet50_torchvision.safetensors

--strip PREFIX removes a key prefix (e.g. "backbone." from an mmdet checkpoint when loading only
the backbone); --only PREFIX keeps the keys starting with PREFIX. Integer buffers become float32
(num_batches_tracked)."""
import argparse
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from fixtures.common import save  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--strip", default="")
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    sd = torch.load(a.src, map_location="cpu")
    if isinstance(sd, dict) and "state_dict" in sd:
        sd = sd["state_dict"]
    out = {}
    for k, v in sd.items():
        if a.only and not k.startswith(a.only):
            continue
        if a.strip and k.startswith(a.strip):
            k = k[len(a.strip):]
        out[k] = v.float() if v.dtype != torch.float32 else v
    save(a.dst, out, {"source": a.src})
    print(f"{a.dst}: {len(out)} tensors")


if __name__ == "__main__":
    main()
