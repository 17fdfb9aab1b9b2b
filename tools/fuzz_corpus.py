#!/usr/bin/python3
"""Write the seed corpora of the fuzz targets under tests/fuzz/corpus/<target>/ (see tests/fuzz/README.md).

Small, varied, valid inputs: libFuzzer mutates them, so each file should exercise a different path of
its parser (PNG colour types and bit depths, JPEG baseline / progressive / grey / CMYK / 4:4:4 / optimised
Huffman tables, every safetensors dtype, resolved run configs with overrides, COCO files with crowd
regions and extra fields). The HDF5 seeds are written by the store itself: build-fuzz/fuzz_make_corpus.
Needs /usr/bin/python3 with PIL and numpy (Debian python3-pil, python3-numpy); never needed to build or
test. Usage: tools/fuzz_corpus.py [AKDBENCH]   (AKDBENCH: an akdbench binary, for the YAML seeds)
"""
import io
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def out(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def png(img, **kw):
    b = io.BytesIO()
    img.save(b, format="PNG", **kw)
    return b.getvalue()


def jpeg(img, **kw):
    b = io.BytesIO()
    img.save(b, format="JPEG", **kw)
    return b.getvalue()


def images():
    rng = np.random.default_rng(0)
    lab = rng.integers(0, 34, size=(6, 9), dtype=np.uint8)
    out("png", "labelids_grey8.png", png(Image.fromarray(lab, "L")))
    out("png", "trainids_grey8.png", png(Image.fromarray(np.where(lab < 19, lab, 255).astype(np.uint8), "L")))
    out("png", "grey16.png", png(Image.fromarray(lab.astype(np.uint16) * 7, "I;16")))
    p = Image.fromarray(lab % 4, "P")
    p.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (3 * 252))
    out("png", "palette.png", png(p))
    out("png", "grey1bit.png", png(Image.fromarray((lab % 2) * 255, "L").convert("1")))
    rgb = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    out("png", "rgb8.png", png(Image.fromarray(rgb, "RGB")))
    out("png", "rgba8.png", png(Image.fromarray(np.dstack([rgb, rgb[:, :, :1]]), "RGBA")))
    out("png", "grey_alpha.png", png(Image.fromarray(np.dstack([lab, lab]), "LA")))
    img = Image.fromarray(rng.integers(0, 256, size=(16, 24, 3), dtype=np.uint8), "RGB")
    out("jpeg", "baseline420.jpg", jpeg(img, quality=75))
    out("jpeg", "baseline444.jpg", jpeg(img, quality=90, subsampling=0))
    out("jpeg", "progressive.jpg", jpeg(img, quality=60, progressive=True))
    out("jpeg", "grey.jpg", jpeg(img.convert("L"), quality=80))
    # a CMYK JPEG is refused (libjpeg-turbo has no CMYK -> RGB conversion): kept with the regressions
    cmyk = jpeg(img.convert("CMYK"), quality=70)
    os.makedirs(os.path.join(ROOT, "tests", "fuzz", "regressions", "jpeg"), exist_ok=True)
    with open(os.path.join(ROOT, "tests", "fuzz", "regressions", "jpeg", "cmyk.jpg"), "wb") as f:
        f.write(cmyk)
    out("jpeg", "optimized.jpg", jpeg(img, quality=50, optimize=True))
    for src in ["tests/fixtures/datasets/coco_tiny/train2017/000000000005.jpg",
                "tests/fixtures/datasets/cityscapes_tiny/gtFine/val/bonn/bonn_000000_000019_gtFine_labelTrainIds.png"]:
        kind = "jpeg" if src.endswith(".jpg") else "png"
        shutil.copy(os.path.join(ROOT, src), os.path.join(CORPUS, kind, "fixture_" + os.path.basename(src)))


def safetensors(tensors, meta=None):
    header, blob = {}, b""
    if meta is not None:
        header["__metadata__"] = meta
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + blob


def weights():
    a = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
    out("safetensors", "f32_meta.safetensors",
        safetensors({"conv.weight": ("F32", [2, 3], a.tobytes()), "bias": ("F32", [3], a[0].tobytes())},
                    {"format": "akdbench-fixture/1"}))
    out("safetensors", "all_dtypes.safetensors", safetensors({
        "f64": ("F64", [2], np.array([1.5, -2.0]).tobytes()),
        "f16": ("F16", [3], np.array([1.0, -0.0, 65504.0], dtype=np.float16).tobytes()),
        "bf16": ("BF16", [2], struct.pack("<HH", 0x3F80, 0xFF80)),
        "i64": ("I64", [2], np.array([-1, 2**40], dtype=np.int64).tobytes()),
        "i32": ("I32", [1, 2], np.array([7, -7], dtype=np.int32).tobytes()),
        "u8": ("U8", [4], bytes([0, 1, 254, 255])),
        "bool": ("BOOL", [2], bytes([0, 1])),
        "scalar": ("F32", [], np.array([3.0], dtype=np.float32).tobytes()),
        "empty": ("F32", [0, 4], b""),
    }))
    out("safetensors", "empty.safetensors", safetensors({}))


def coco():
    inst = {
        "info": {"year": 2017}, "licenses": [],
        "images": [{"id": 1, "width": 64, "height": 48, "file_name": "a.jpg"},
                   {"id": 2, "width": 32, "height": 32, "file_name": "b.jpg"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1.5, 2, 20, 10.25], "area": 180.5, "iscrowd": 0,
             "segmentation": [[1, 2, 3, 4, 5, 6]]},
            {"id": 2, "image_id": 1, "category_id": 3, "bbox": [30, 20, 0.5, 4], "area": 2, "iscrowd": 0},
            {"id": 3, "image_id": 2, "category_id": 1, "bbox": [0, 0, 32, 32], "area": 1024, "iscrowd": True,
             "segmentation": {"counts": [0, 1024], "size": [32, 32]}},
        ],
        "categories": [{"id": 1, "name": "person", "supercategory": "p"}, {"id": 3, "name": "car"}],
    }
    out("coco_instances", "small.json", json.dumps(inst, indent=1).encode())
    shutil.copy(os.path.join(ROOT, "tests/fixtures/datasets/coco_tiny/annotations/instances_train2017.json"),
                os.path.join(CORPUS, "coco_instances", "fixture_coco_tiny.json"))
    dets = [{"image_id": 1, "category_id": 1, "bbox": [1.5, 2, 20, 10.25], "score": 0.9},
            {"image_id": 1, "category_id": 3, "bbox": [30, 20, 1e-3, 4e0], "score": 0.25, "segmentation": None},
            {"image_id": 2, "category_id": 1, "bbox": [0, 0, 31.999999999999996, 32], "score": 1},
            {"image_id": 2, "category_id": 9, "bbox": [-1, 2.5e-1, 3, 4], "score": 0.5e-2}]
    out("coco_results", "small.json", json.dumps(dets).encode())
    out("coco_results", "compact.json", json.dumps(dets, separators=(",", ":")).encode())
    out("coco_results", "escaped.json", json.dumps([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4],
                                                     "score": 0.5, "note": "caf\u00e9 \"x\""}]).encode())
    out("coco_results", "empty.json", b"[]")


def configs(akdbench):
    env = dict(os.environ, AKD_DATA_DIR="/tmp")
    for cfg in ["synth_cityscapes_none", "synth_coco_cwd"]:
        text = subprocess.run([akdbench, "config", os.path.join(ROOT, "bench/configs", cfg + ".yaml")],
                              check=True, capture_output=True, env=env).stdout
        out("yaml_config", cfg + ".yaml", text)
        if cfg == "synth_cityscapes_none":
            out("yaml_config", cfg + "_sets.yaml",
                b"#set optim.lr=0.02\n#set dataset.crop_size=[32, 64]\n#set train={seed: 5}\n" + text)
    out("yaml_config", "flow.yaml", b"task: seg\ndataset: {name: cityscapes, synthetic: true}\n"
        b"model: {student: {arch: pspnet, backbone: resnet18}, teacher: {arch: pspnet, backbone: resnet18}, "
        b"num_classes: 19}\nschedule: {max_iters: 3}\n")


if __name__ == "__main__":
    images()
    weights()
    coco()
    if len(sys.argv) > 1:
        configs(sys.argv[1])
