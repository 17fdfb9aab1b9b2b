#!/usr/bin/env python3
"""Write a COCO-val-sized bbox evaluation problem: OUT/gt.json and OUT/dets.json.

5000 images, the 80 COCO categories with their real (gapped) ids, about 36,000 ground-truth boxes
with COCO-like statistics (person-heavy category mix, ~41% small / 34% medium / 25% large, `area`
smaller than w*h as for segmentation areas, ~1% crowd regions) and exactly 100 detections per image
(jittered true positives with quality-correlated scores, duplicates, wrong classes, background false
positives; scores with 5 decimals so that ties occur). Deterministic for a given --seed.
Standard library only, so any python3 runs it.

usage: python3 tools/make_coco_bench.py OUT_DIR [--images 5000] [--seed 0]
"""
import argparse
import json
import math
import os
import random

# The 80 COCO category ids (1..90 with gaps) and names.
COCO_CATS = [
    (1, "person"), (2, "bicycle"), (3, "car"), (4, "motorcycle"), (5, "airplane"), (6, "bus"), (7, "train"),
    (8, "truck"), (9, "boat"), (10, "traffic light"), (11, "fire hydrant"), (13, "stop sign"),
    (14, "parking meter"), (15, "bench"), (16, "bird"), (17, "cat"), (18, "dog"), (19, "horse"), (20, "sheep"),
    (21, "cow"), (22, "elephant"), (23, "bear"), (24, "zebra"), (25, "giraffe"), (27, "backpack"),
    (28, "umbrella"), (31, "handbag"), (32, "tie"), (33, "suitcase"), (34, "frisbee"), (35, "skis"),
    (36, "snowboard"), (37, "sports ball"), (38, "kite"), (39, "baseball bat"), (40, "baseball glove"),
    (41, "skateboard"), (42, "surfboard"), (43, "tennis racket"), (44, "bottle"), (46, "wine glass"),
    (47, "cup"), (48, "fork"), (49, "knife"), (50, "spoon"), (51, "bowl"), (52, "banana"), (53, "apple"),
    (54, "sandwich"), (55, "orange"), (56, "broccoli"), (57, "carrot"), (58, "hot dog"), (59, "pizza"),
    (60, "donut"), (61, "cake"), (62, "chair"), (63, "couch"), (64, "potted plant"), (65, "bed"),
    (67, "dining table"), (70, "toilet"), (72, "tv"), (73, "laptop"), (74, "mouse"), (75, "remote"),
    (76, "keyboard"), (77, "cell phone"), (78, "microwave"), (79, "oven"), (80, "toaster"), (81, "sink"),
    (82, "refrigerator"), (84, "book"), (85, "clock"), (86, "vase"), (87, "scissors"), (88, "teddy bear"),
    (89, "hair drier"), (90, "toothbrush"),
]


def rand_box(rng, W, H):
    """A box with COCO-like size: sqrt(area) log-normal around ~40 px, aspect ratio log-normal."""
    side = math.exp(rng.gauss(math.log(48.0), 1.05))
    side = min(max(side, 2.0), 0.95 * min(W, H) * 1.4)
    ar = math.exp(rng.gauss(0.0, 0.5))
    w = min(side * math.sqrt(ar), W - 1.0)
    h = min(side / math.sqrt(ar), H - 1.0)
    x = rng.uniform(0, W - w)
    y = rng.uniform(0, H - h)
    return [round(x, 2), round(y, 2), round(w, 2), round(h, 2)]


def jitter(rng, b, W, H, q):
    """A detection around box b; q in (0, 1]: higher = tighter."""
    x, y, w, h = b
    s = (1.0 - q) * 0.35
    nx = x + rng.gauss(0, s) * w
    ny = y + rng.gauss(0, s) * h
    nw = max(0.5, w * math.exp(rng.gauss(0, s)))
    nh = max(0.5, h * math.exp(rng.gauss(0, s)))
    nx = min(max(nx, 0.0), W - 1.0)
    ny = min(max(ny, 0.0), H - 1.0)
    nw = min(nw, W - nx)
    nh = min(nh, H - ny)
    return [round(nx, 2), round(ny, 2), round(nw, 2), round(nh, 2)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dets-per-image", type=int, default=100)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    cat_ids = [c for c, _ in COCO_CATS]
    # person-heavy Zipf-like mix, as in COCO (person ~ 30% of instances)
    weights = [1.0 / (i + 1) ** 1.1 for i in range(len(cat_ids))]
    weights[0] *= 3.0

    images, anns, dets = [], [], []
    ann_id = 1
    for i in range(a.images):
        img_id = 1 + i * 1000 + rng.randrange(1000)  # unique, gapped ids like COCO's
        W, H = rng.choice([(640, 480), (480, 640), (640, 427), (500, 375), (640, 640)])
        images.append({"id": img_id, "width": W, "height": H, "file_name": "%012d.jpg" % img_id})
        n_obj = min(int(rng.expovariate(1.0 / 7.9)), 60)
        gts = []
        for _ in range(n_obj):
            c = rng.choices(cat_ids, weights)[0]
            crowd = 1 if rng.random() < 0.01 else 0
            b = rand_box(rng, W, H)
            if crowd:  # crowd regions are large
                b[2] = round(min(b[2] * 3, W - b[0]), 2)
                b[3] = round(min(b[3] * 3, H - b[1]), 2)
            area = round(b[2] * b[3] * rng.uniform(0.45, 0.85), 2)
            anns.append({"id": ann_id, "image_id": img_id, "category_id": c, "bbox": b, "area": area,
                         "iscrowd": crowd})
            ann_id += 1
            gts.append((c, b, crowd))
        img_dets = []
        for c, b, crowd in gts:
            if rng.random() < 0.15:
                continue  # missed
            for k in range(rng.choice([1, 1, 1, 2, 3])):
                q = rng.random() ** 0.5
                cc = c if rng.random() < 0.9 else rng.choice(cat_ids)
                score = min(0.999, max(0.001, q * 0.9 - 0.15 * k + rng.gauss(0, 0.1)))
                img_dets.append((cc, jitter(rng, b, W, H, q), score))
        while len(img_dets) < a.dets_per_image:
            c = rng.choices(cat_ids, weights)[0]
            img_dets.append((c, rand_box(rng, W, H), rng.random() ** 3 * 0.5))
        img_dets.sort(key=lambda d: -d[2])
        for c, b, s in img_dets[:a.dets_per_image]:
            dets.append({"image_id": img_id, "category_id": c, "bbox": b, "score": round(s, 5)})
    rng.shuffle(images)  # the images list is not sorted in real files either
    gt = {"info": {"description": "akdbench COCO-val-sized synthetic evaluation benchmark"},
          "images": images, "annotations": anns,
          "categories": [{"id": c, "name": n, "supercategory": "object"} for c, n in COCO_CATS]}
    with open(os.path.join(a.out, "gt.json"), "w") as f:
        json.dump(gt, f)
    with open(os.path.join(a.out, "dets.json"), "w") as f:
        json.dump(dets, f)
    crowd = sum(x["iscrowd"] for x in anns)
    print("%s: %d images, %d categories, %d annotations (%d crowd), %d detections"
          % (a.out, len(images), len(COCO_CATS), len(anns), crowd, len(dets)))


if __name__ == "__main__":
    main()
