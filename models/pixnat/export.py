"""Export pixnat to models/pixnat/model.safetensors (arch "pixnat") and write tests/fixtures/pixnat-golden.json.

    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/pixnat/export.py

The weights are the best (by validation) of the training checkpoint models/data/cache/pixnat.pt (train.py).

Tensors (F32; conv weights in atnat conv2d layout [kh, kw, C_out, C_in], 1x1 convs in conv1x1 layout [C_out, C_in]):
    tok_emb                 [L+1, C]       row L = MASK
    pos_emb                 [H*W, C]       row y*W + x
    blocks.{i}.norm.weight  [C]  .bias [C]                 layernorm eps 1e-5
    blocks.{i}.conv.weight  [3, 3, C, C]  .bias [C]        dilation config.dilations[i], zero padding d each side
    blocks.{i}.class_emb    [n_classes, C]                 added to conv's output (fold into its bias)
    blocks.{i}.proj.weight  [C, C]  .bias [C]
    norm_out.weight [C]  .bias [C];  head.weight [L, C]  .bias [L]
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from models.common import fashion_mnist, safetensors_io, train_loop  # noqa: E402
from models.pixnat.model import PixNAT, PixNATConfig, mask_schedule  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
GOLDEN_POSITIONS = [(0, 0), (3, 13), (10, 5), (14, 14), (27, 27)]
GOLDEN_TEST_INDEX = 0
GOLDEN_MASK_SEED = 7
GOLDEN_K = 4
# The confidence noise the sampler uses unless told otherwise: measured at K = 8 on 1,000 samples (README.md,
# session 8): 0 -> FID 460.8, MaskGIT's 4.5 -> 61.5, 10 -> 44.2, 30 -> 41.8, 100 -> 42.5, random order -> 43.3.
DEFAULT_GUMBEL_TEMP = 30.0


def tensors_and_config(model):
    cfg = model.cfg
    f = lambda x: x.detach().contiguous().numpy().astype(np.float32)  # noqa: E731
    t = {"tok_emb": f(model.tok_emb.weight), "pos_emb": f(model.pos_emb)}
    for i, b in enumerate(model.blocks):
        p = f"blocks.{i}."
        t[p + "norm.weight"], t[p + "norm.bias"] = f(b.norm.weight), f(b.norm.bias)
        t[p + "conv.weight"] = f(b.conv.weight.permute(2, 3, 0, 1))
        t[p + "conv.bias"] = f(b.conv.bias)
        t[p + "class_emb"] = f(b.class_emb.weight)
        t[p + "proj.weight"], t[p + "proj.bias"] = f(b.proj.weight[:, :, 0, 0]), f(b.proj.bias)
    t["norm_out.weight"], t["norm_out.bias"] = f(model.norm_out.weight), f(model.norm_out.bias)
    t["head.weight"], t["head.bias"] = f(model.head.weight[:, :, 0, 0]), f(model.head.bias)
    config = {
        "levels": cfg.levels,
        "mask_id": cfg.levels,
        "channels": cfg.channels,
        "blocks": len(cfg.dilations),
        "dilations": list(cfg.dilations),
        "kernel": 3,
        "n_classes": cfg.n_classes,
        "height": cfg.height,
        "width": cfg.width,
        "layernorm_eps": 1e-5,
        "activation": "gelu",
        "schedule": "masked after step k of K: floor(H*W*cos(pi/2*k/K))",
        "confidence": "log_softmax (double precision) of the chosen level + gumbel_temp*(1-k/K)*Gumbel",
        "default_gumbel_temp": DEFAULT_GUMBEL_TEMP,
        "quantisation": "level = floor(byte * levels / 256); byte = round(level * 255 / (levels - 1))",
    }
    return t, config


def load_best():
    """The best weights (by validation) of the training checkpoint models/data/cache/pixnat.pt, in a PixNAT built
    from the checkpoint's model config (PixNATConfig() if it has none)."""
    return train_loop.load_best("pixnat", lambda mc: PixNAT(PixNATConfig(**mc) if mc else PixNATConfig()))[0]


@torch.no_grad()
def load_exported(path=os.path.join(HERE, "model.safetensors")):
    """The weight file back into a PixNAT (the inverse of tensors_and_config); every tensor used, shapes exact."""
    t, meta = safetensors_io.read(path)
    assert meta["arch"] == "pixnat", meta["arch"]
    model = PixNAT(PixNATConfig(**{f: meta["config"][f] for f in PixNATConfig.__dataclass_fields__}))

    f = safetensors_io.Loader(t)
    put, as_conv, as_1x1 = f.put, safetensors_io.as_conv, safetensors_io.as_1x1
    put(model.tok_emb.weight, "tok_emb")
    put(model.pos_emb, "pos_emb")
    for i, b in enumerate(model.blocks):
        p = f"blocks.{i}."
        put(b.norm.weight, p + "norm.weight")
        put(b.norm.bias, p + "norm.bias")
        put(b.conv.weight, p + "conv.weight", as_conv)
        put(b.conv.bias, p + "conv.bias")
        put(b.class_emb.weight, p + "class_emb")
        put(b.proj.weight, p + "proj.weight", as_1x1)
        put(b.proj.bias, p + "proj.bias")
    put(model.norm_out.weight, "norm_out.weight")
    put(model.norm_out.bias, "norm_out.bias")
    put(model.head.weight, "head.weight", as_1x1)
    put(model.head.bias, "head.bias")
    assert not f.left(), f"unused tensors: {f.left()}"
    return model.eval()


@torch.no_grad()
def greedy_trace(model, c, K):
    """model.sample(greedy=True, gumbel_temp=0) step by step, recording the selection-boundary gaps."""
    cfg = model.cfg
    H, W, L, P = cfg.height, cfg.width, cfg.levels, cfg.height * cfg.width
    tokens = torch.full((1, P), L, dtype=torch.long)
    sched, steps = mask_schedule(K, P), []
    for k in range(1, K + 1):
        logits = model(tokens.view(1, H, W), c).view(1, L, P).transpose(1, 2).double()
        logp = torch.log_softmax(logits, -1)
        choice = logits.argmax(-1)
        conf = logp.gather(-1, choice[..., None])[..., 0]
        conf = torch.where(tokens == L, conf, torch.full_like(conf, -math.inf))
        n_keep = sched[k - 1] - sched[k]
        srt = torch.sort(conf, dim=1, descending=True, stable=True)
        order = srt.indices[:, :n_keep]
        gap = None
        if sched[k] > 0:
            a, b = srt.values[0, n_keep - 1].item(), srt.values[0, n_keep].item()
            gap = {"abs": a - b, "rel": (a - b) / max(abs(a), 1e-300)}
        top2 = torch.topk(logits[0][tokens[0] == L], 2, dim=-1).values
        tokens = tokens.clone()
        tokens.scatter_(1, order, choice.gather(1, order))
        steps.append(
            {
                "k": k,
                "unmasked_now": sorted(order[0].tolist()),
                "tokens_after_row_major": tokens[0].tolist(),
                "boundary_conf_gap": gap,
                "min_top2_logit_gap_over_masked": (top2[:, 0] - top2[:, 1]).min().item(),
            }
        )
    return tokens.view(H, W), steps


def smallest_boundary_gap(steps):
    return min(s["boundary_conf_gap"]["abs"] for s in steps if s["boundary_conf_gap"])


def safest_greedy_trace(model):
    """The greedy trace of the class whose selection boundaries are furthest apart (the smallest absolute
    confidence gap at a step's keep/re-mask boundary, largest over the 10 classes): the C++ core must pick the
    same pixels, and a gap near float32 forward error (~1e-6) could flip on another platform. -> (class,
    sample, steps)."""
    traces = [(c, *greedy_trace(model, torch.tensor([c]), GOLDEN_K)) for c in range(model.cfg.n_classes)]
    return max(traces, key=lambda t: smallest_boundary_gap(t[2]))


@torch.no_grad()
def golden(model):
    cfg = model.cfg
    L, P = cfg.levels, cfg.height * cfg.width
    x, y = fashion_mnist.load("test")
    img = torch.from_numpy(fashion_mnist.quantise(x[GOLDEN_TEST_INDEX : GOLDEN_TEST_INDEX + 1], L))
    c = torch.tensor([int(y[GOLDEN_TEST_INDEX])])
    gen = torch.Generator().manual_seed(GOLDEN_MASK_SEED)
    masked = torch.randperm(P, generator=gen)[: P // 2]
    tokens = img.clone().view(1, P)
    tokens[0, masked] = L
    tokens = tokens.view(1, cfg.height, cfg.width)
    logits = model(tokens, c)[0]  # [L, H, W]
    top2 = torch.topk(logits, 2, dim=0).values
    sample_class, sample, steps = safest_greedy_trace(model)
    return {
        "arch": "pixnat",
        "weights": "models/pixnat/model.safetensors",
        "tolerance_logits_abs": 1e-4,
        "input": {
            "source": f"Fashion-MNIST test image {GOLDEN_TEST_INDEX}, quantised to {L} levels, "
            f"{P // 2} pixels set to MASK (= {L})",
            "class": int(c[0]),
            "tokens_row_major": tokens[0].flatten().tolist(),
        },
        "logits_at": [
            {"y": yy, "x": xx, "logits": [round(float(v), 6) for v in logits[:, yy, xx]]} for yy, xx in GOLDEN_POSITIONS
        ],
        "argmax_row_major": logits.argmax(0).flatten().tolist(),
        "argmax_min_top2_gap": (top2[0] - top2[1]).min().item(),
        "greedy_sample": {
            "class": sample_class,
            "K": GOLDEN_K,
            "start": "all MASK",
            "rule": "each step: level = argmax; conf = log_softmax(logits)[level] in double; keep the "
            "(masked_before - n[k]) most confident masked pixels (ties: lower index); "
            "no noise",
            "n_masked_after_step": mask_schedule(GOLDEN_K, P),
            "levels_row_major": sample.flatten().tolist(),
            "steps": steps,
        },
        "mask_schedules": {str(K): mask_schedule(K, P) for K in range(1, 17)},
    }


def main():
    torch.set_num_threads(1)
    model = load_best()
    tensors, config = tensors_and_config(model)
    out = os.path.join(HERE, "model.safetensors")
    safetensors_io.write(out, tensors, "pixnat", config)
    back, meta = safetensors_io.read(out)
    assert meta["arch"] == "pixnat" and all(np.array_equal(back[k], v) for k, v in tensors.items())
    print(f"wrote {out}: {len(tensors)} tensors, {sum(v.size for v in tensors.values())} values")
    g = golden(model)
    path = os.path.join(ROOT, "tests", "fixtures", "pixnat-golden.json")
    with open(path, "w") as f:
        json.dump(g, f)
    print(f"greedy sample: class {g['greedy_sample']['class']}")
    for s in g["greedy_sample"]["steps"]:
        print(
            f"step {s['k']}: boundary gap {s['boundary_conf_gap']}, "
            f"min top-2 logit gap {s['min_top2_logit_gap_over_masked']:.2e}"
        )
    print(f"wrote {path}; half-masked argmax min gap {g['argmax_min_top2_gap']:.2e}")


if __name__ == "__main__":
    main()
