"""The command line shared by the text models' export.py (poet-at, poet-nat, g2p):

    export.py            the best checkpoint weights -> model.safetensors, then the golden fixture from that file
    export.py --int8     model.safetensors -> model-int8.safetensors (models/common/quantize.py), nothing else

Each exporter supplies what differs: how to load its best weights, how to write them, its golden fixture and a
one-line description of it; this module does the arguments, the order and the report.
"""
import argparse
import json
import os

import torch

from . import quantize, train_loop


def best_step(summary):
    """The step whose evaluation gave the checkpoint's best "val" (the step of the exported weights; a model
    soup's: the step whose weights last joined it, train_loop.Soup)."""
    return next(
        (h["step"] for h in summary["history"] if train_loop.effective_val(h) == summary["best"]), summary["step"]
    )


def export_main(*, out, golden_path, load_best, export, golden, describe, int8_keep=()):
    """out, golden_path: default paths; load_best() -> (model, checkpoint summary); export(model, path) writes the
    weight file; golden(path) -> the fixture dict, computed from the written file; describe(fixture) -> text to
    print; int8_keep: 2-D tensors --int8 leaves in f32 (e.g. positional tables, a small length head)."""
    int8_out = os.path.join(os.path.dirname(out), "model-int8.safetensors")
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=out)
    ap.add_argument("--golden", default=golden_path)
    ap.add_argument("--int8", action="store_true", help=f"quantise --out into {int8_out} instead of exporting")
    args = ap.parse_args()
    if args.int8:
        quantize.quantize_file(args.out, int8_out, keep=int8_keep)
        return
    torch.set_num_threads(1)
    model, summary = load_best()
    export(model, args.out)
    g = golden(args.out)
    g["checkpoint_step"] = best_step(summary)
    os.makedirs(os.path.dirname(args.golden), exist_ok=True)
    with open(args.golden, "w", encoding="utf-8") as f:
        json.dump(g, f, ensure_ascii=False, separators=(",", ":"))
    print(
        f"wrote {args.out} ({os.path.getsize(args.out)} bytes, {g['n_params']} params, "
        f"step {g['checkpoint_step']}) and {args.golden} ({os.path.getsize(args.golden)} bytes)"
    )
    print(describe(g))
