"""pixnat sampling + quality table: 1,000 samples (100 per class) at K = 1, 2, 4, 8, 16 steps.

    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/pixnat/sample.py [--gumbel 0 4.5]

The model is the shipped models/pixnat/model.safetensors (--checkpoint: the training checkpoint's best weights).

Writes models/pixnat/samples_K{K}[_g{gumbel}].png (10x10: row r = class r) and quality.json (--json).
The decoding rule is `model.sample` (documented there and in the README).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from models.common import charts, fashion_mnist, image_io, image_quality  # noqa: E402
from models.pixnat.export import load_best, load_exported  # noqa: E402
from models.pixnat.model import sample  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--steps", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    ap.add_argument("--gumbel", type=float, nargs="+", default=[0.0, 4.5])
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=os.path.join(HERE, "quality.json"), help="'' = do not write")
    ap.add_argument(
        "--checkpoint",
        action="store_true",
        help="measure the training checkpoint's best weights instead of the shipped model.safetensors",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = load_best() if args.checkpoint else load_exported()
    L = model.cfg.levels
    classes = torch.arange(10).repeat_interleave(args.n // 10)
    rows = []
    for tau in args.gumbel:
        for K in args.steps:
            gen = torch.Generator().manual_seed(args.seed)
            t0 = time.time()
            out = torch.cat(
                [
                    sample(model, classes[i : i + args.batch], K, gumbel_temp=tau, generator=gen)
                    for i in range(0, len(classes), args.batch)
                ]
            ).numpy()
            sec = (time.time() - t0) / len(classes)
            pix = fashion_mnist.dequantise(out, L)
            r = image_quality.evaluate(pix, classes.numpy(), L)
            r.update({"K": K, "gumbel_temp": tau, "seconds_per_image": sec})
            rows.append(r)
            print(json.dumps(r), flush=True)
            per = args.n // 10
            if per >= 10:
                grid = np.concatenate([pix[k * per : k * per + 10] for k in range(10)])
                tag = "" if tau == 0 else f"_g{tau:g}"
                image_io.write_png(
                    os.path.join(HERE, f"samples_K{K}{tag}.png"), image_io.tile(grid, 10, pad=2, pad_value=128)
                )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
        charts.main(args.json)  # quality_vs_K.svg from the same rows


if __name__ == "__main__":
    main()
