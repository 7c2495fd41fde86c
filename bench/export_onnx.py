"""Writes poet-at as ONNX with a KV cache (bench/cached_gpt.py), from the committed weights, for the ONNX
Runtime Web engines of bench/side_by_side.mjs. Generated artefacts (23 MB each): they go to build/, never to git.

    /usr/bin/python3 bench/export_onnx.py [--weights models/poet-at/model.safetensors] [--out-dir build/onnx]

OUT_DIR/poet-at.onnx      the PyTorch graph as torch.onnx.export writes it (CachedGPT)
OUT_DIR/poet-at-gqa.onnx  the layout of ONNX Runtime's own LLM exports: packed q/k/v and gate/up matrices,
                          attention as com.microsoft GroupQueryAttention (FusedCachedGPT)
Both: inputs tokens [1, T] int64 and past_k{i} / past_v{i} [1, H, P, hd]; outputs logits [1, V] (last position)
and present_k{i} / present_v{i} [1, H, P+T, hd]. (23 MB for 18 MB of weights: the output matrix is also stored
transposed, as constant folding leaves it.) OUT_DIR/poet-at.json: the config, the I/O names and what PyTorch
computes for one check prompt (the runner compares ONNX Runtime's logits and tokens with it).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cached_gpt import REPO, CachedGPT, export_onnx, io_names, load_poet_at  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=os.path.join(REPO, "models", "poet-at", "model.safetensors"))
    ap.add_argument("--out-dir", default=os.path.join(REPO, "build", "onnx"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    gpt, meta = load_poet_at(args.weights)
    os.makedirs(args.out_dir, exist_ok=True)
    files = {"plain": "poet-at.onnx", "gqa": "poet-at-gqa.onnx"}
    for variant, name in files.items():
        export_onnx(gpt, os.path.join(args.out_dir, name), fused=variant == "gqa")

    # what the runner checks ONNX Runtime against: a 40-token prompt's last logits and its greedy tokens
    check = [1, 9] + list(range(15, 53))
    cached = CachedGPT(gpt).eval()
    with torch.no_grad():
        logits = cached(torch.tensor([check]), *cached.empty_cache())[0][0]
        full = gpt(torch.tensor([check]))[0, -1]  # the model's own no-cache forward
    eos = meta["tokenizer"]["specials"]["eos"]
    inputs, outputs = io_names(gpt.cfg.n_layers)
    info = {
        "files": files,
        "weights": os.path.relpath(args.weights, REPO),
        "config": meta["config"],
        "inputs": inputs,
        "outputs": outputs,
        "check": {
            "tokens": check,
            "logits": [float(x) for x in logits],
            "greedy": cached.generate_greedy(check, 20, eos),
            "eos": eos,
            "max_abs_diff_vs_full_forward": float((logits - full).abs().max()),
        },
    }
    with open(os.path.join(args.out_dir, "poet-at.json"), "w") as f:
        json.dump(info, f)
    sizes = ", ".join(f"{n} ({os.path.getsize(os.path.join(args.out_dir, n))} bytes)" for n in files.values())
    print(
        f"wrote {sizes} and poet-at.json to {args.out_dir}; cached vs full forward: max |diff| "
        f"{info['check']['max_abs_diff_vs_full_forward']:.2e}"
    )


if __name__ == "__main__":
    main()
