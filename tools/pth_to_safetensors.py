#!/usr/bin/env python3
"""Convert a PyTorch checkpoint (.pth) into a weight file that akdbench loads (models/weights.h:
model.*.pretrained for backbones, model.*.weights for whole models), as safetensors or HDF5:

  /usr/bin/python3 tools/pth_to_safetensors.py resnet50-0676ba61.pth checkpoints/resnet50_torchvision.safetensors
  /usr/bin/python3 tools/pth_to_safetensors.py pspnet_r101-d8_512x1024_80k_cityscapes.pth teacher.h5

Checkpoint layouts unwrapped: a bare state dict (torchvision), mmcv / mmdet / mmseg checkpoints
({"state_dict": ..., "meta": ..., "optimizer": ...}: the state dict is taken; short "meta" entries
such as mmdet_version become metadata "meta.<key>"; the optimizer is dropped), torchvision
reference-script and detectron-style checkpoints ({"model": state dict, ...}); a "module." prefix on
every key (DataParallel) is removed. Key names are kept as they are: akdbench reads torchvision,
mmdet and mmseg names (model.*.key_style, default auto-detected).

Floating tensors are written as float32 (float16 / bfloat16 / float64 converted); integer tensors
(num_batches_tracked) as int64. --strip PREFIX removes a key prefix (e.g. "backbone." to keep a
backbone-only file), --only PREFIX keeps the keys starting with PREFIX.

--format safetensors|hdf5 (default: from the extension, .h5 / .hdf5 -> hdf5): HDF5 needs h5py
(Debian python3-h5py) and writes one dataset per key at the root of the file, named by the key
(the flat h5py layout; store/weights_file.h also reads nested groups), with the metadata as root
attributes.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from fixtures.common import save  # noqa: E402

FORMAT = "akdbench-weights/1"  # store/weights_file.h AK_WEIGHTS_FORMAT


def unwrap(obj):
    """(state dict, metadata) of a loaded checkpoint."""
    meta = {}
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        for k, v in (obj.get("meta") or {}).items():
            if isinstance(v, (str, int, float)) and len(str(v)) <= 200:
                meta[f"meta.{k}"] = str(v)
        obj = obj["state_dict"]
    elif isinstance(obj, dict) and isinstance(obj.get("model"), dict) and not torch.is_tensor(obj["model"]):
        obj = obj["model"]
    if not isinstance(obj, dict):
        raise SystemExit(f"not a state dict or a checkpoint holding one: {type(obj).__name__}")
    sd = {k: v for k, v in obj.items() if torch.is_tensor(v)}
    skipped = [k for k, v in obj.items() if not torch.is_tensor(v)]
    if skipped:
        print(f"skipped {len(skipped)} non-tensor entries: {skipped[:5]}", file=sys.stderr)
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    return sd, meta


def convert(sd, strip="", only=""):
    out = {}
    for k, v in sd.items():
        if only and not k.startswith(only):
            continue
        if strip and k.startswith(strip):
            k = k[len(strip):]
        v = v.detach().cpu()
        out[k] = v.float() if v.is_floating_point() else v.long() if v.dtype != torch.bool else v
    return out


def write_hdf5(path, tensors, meta):
    try:
        import h5py
    except ImportError:
        raise SystemExit("--format hdf5 needs h5py (Debian: apt-get install python3-h5py); "
                         "or write safetensors, which akdbench reads as well")
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        for k, v in meta.items():
            f.attrs[k] = v
        for k, v in tensors.items():
            if "/" in k or k == ".":
                raise SystemExit(f"key {k!r} cannot be an HDF5 dataset name")
            f.create_dataset(k, data=v.contiguous().numpy())
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--strip", default="")
    ap.add_argument("--only", default="")
    ap.add_argument("--format", choices=("safetensors", "hdf5"), default=None)
    a = ap.parse_args()
    fmt = a.format or ("hdf5" if a.dst.endswith((".h5", ".hdf5")) else "safetensors")
    sd, meta = unwrap(torch.load(a.src, map_location="cpu"))
    out = convert(sd, a.strip, a.only)
    meta = {"format": FORMAT, "source": a.src, **meta}
    if fmt == "hdf5":
        write_hdf5(a.dst, out, meta)
    else:
        save(a.dst, out, meta)
    print(f"{a.dst}: {len(out)} tensors ({fmt})")


if __name__ == "__main__":
    main()
