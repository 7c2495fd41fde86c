"""Judge generated Fashion-MNIST samples (class match + Frechet distance, see image_quality.py).

    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/common/evaluate_samples.py \
        --samples samples.npy --classes 7 --levels 16
    ... --samples DIR --pad 2 --classes 0,1,2,3,4,5,6,7,8,9 --repeat 10

--samples: a .npy (uint8 0..255 [N, 28, 28], or level indices with --npy-levels), one PNG/PGM file, or a
  directory of them (sorted by name). Each file is a single 28x28 image or a grid of 28x28 tiles separated by
  --pad pixels (outer border too), read in raster order (left to right, top to bottom).
--classes: comma list. One value: every sample. Otherwise each value is repeated --repeat times in order
  (e.g. a 10x10 grid whose row r is class r: --classes 0,...,9 --repeat 10), and that list is cycled over
  all samples (files in name order, tiles in raster order).
--levels: the generator's grey-level count, for the reference statistics (default 16).
"""
import argparse
import glob
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from models.common import fashion_mnist, image_io, image_quality  # noqa: E402


def load_samples(path, pad, npy_levels=None):
    if path.endswith(".npy"):
        x = np.load(path)
        if npy_levels:
            x = fashion_mnist.dequantise(x, npy_levels)
        return [np.asarray(x, dtype=np.uint8).reshape(-1, 28, 28)]
    files = sorted(glob.glob(os.path.join(path, "*"))) if os.path.isdir(path) else [path]
    out = []
    for f in files:
        low = f.lower()
        if low.endswith(".png"):
            img = image_io.read_png(f)
        elif low.endswith((".pgm", ".pnm")):
            img = image_io.read_pgm(f)
        else:
            continue
        out.append(img[None] if img.shape == (28, 28) else image_io.untile(img, pad=pad))
    if not out:
        raise SystemExit(f"no .npy/.png/.pgm samples in {path}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--classes", required=True)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--pad", type=int, default=0)
    ap.add_argument("--levels", type=int, default=16)
    ap.add_argument("--npy-levels", type=int, default=None)
    ap.add_argument("--baseline", action="store_true", help="also score as many real training images")
    args = ap.parse_args()
    groups = load_samples(args.samples, args.pad, args.npy_levels)
    pattern = np.repeat(np.array([int(c) for c in args.classes.split(",")]), args.repeat)
    images = np.concatenate(groups)
    classes = np.resize(pattern, len(images))
    result = image_quality.evaluate(images, classes, args.levels)
    if args.baseline:
        result["real_baseline"] = image_quality.real_baseline(len(images), args.levels)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
