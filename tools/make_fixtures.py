#!/usr/bin/env python3
"""Regenerate every PyTorch reference fixture under tests/fixtures/.

Each module tools/fixtures/<group>.py defines generate(out_dir) and writes its files into
tests/fixtures/<group>/. Run: `make fixtures` (installs python3-torch) or
`/usr/bin/python3 tools/make_fixtures.py [group ...]`. Deterministic: the same torch version writes
the same files.
"""
import importlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))


def main():
    groups = sys.argv[1:] or sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "tools", "fixtures"))
                                    if f.endswith(".py") and f not in ("common.py", "__init__.py"))
    import torch
    torch.set_num_threads(1)
    for g in groups:
        mod = importlib.import_module("fixtures." + g)
        out = os.path.join(ROOT, "tests", "fixtures", g.split("_")[0])
        os.makedirs(out, exist_ok=True)
        mod.generate(out)
        print(f"fixtures: {g} -> {os.path.relpath(out, ROOT)}")


if __name__ == "__main__":
    main()
