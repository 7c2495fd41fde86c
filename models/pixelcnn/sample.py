"""PixelCNN sampling: the cached (Fast PixelCNN) raster sampler in PyTorch, the reference for the C++ one.

    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/pixelcnn/sample.py            # grid PNG + eval
    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/pixelcnn/sample.py --check    # cached == full forward
    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/pixelcnn/sample.py --bpd      # bits/dim, 10k test images

Per row y: the vertical stack of every layer is computed for row y only (`conv_row`, it depends on rows < y),
then for each x the horizontal stack of every layer at (y, x) only (`conv_at`, = atnat conv2d_at) and the head.
Cost per image ~ one full forward instead of H*W of them.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from models.common import fashion_mnist, image_io  # noqa: E402
from models.pixelcnn.model import gate  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _window(inp, y0, y1, x0, x1):
    """inp[:, :, y0:y1, x0:x1] with zeros outside the image."""
    H, W = inp.shape[2:]
    win = inp[:, :, max(y0, 0) : min(y1, H), max(x0, 0) : min(x1, W)]
    return F.pad(win, (max(0, -x0), max(0, x1 - W), max(0, -y0), max(0, y1 - H)))


def _weight(conv):
    return conv.weight if conv.mask is None else conv.weight * conv.mask


def conv_row(conv, inp, y, extra_bias):
    """CausalConv output row y: [B, C_out, W]."""
    t, _, l, r = conv.pad
    kh = conv.weight.shape[2]
    win = _window(inp, y - t, y - t + kh, -l, inp.shape[3] + r)
    return (F.conv2d(win, _weight(conv), conv.bias) + extra_bias[:, :, None, None])[:, :, 0, :]


def conv_at(conv, inp, y, x, extra_bias):
    """CausalConv output at (y, x): [B, C_out] (atnat conv2d_at)."""
    t, _, l, _ = conv.pad
    kh, kw = conv.weight.shape[2:]
    win = _window(inp, y - t, y - t + kh, x - l, x - l + kw)
    return F.conv2d(win, _weight(conv), conv.bias)[:, :, 0, 0] + extra_bias


def conv1x1(conv, x):
    """nn.Conv2d 1x1 on [B, C_in, ...] laid out as rows: x [B, C_in, n] -> [B, C_out, n]."""
    return torch.einsum("oi,bin->bon", conv.weight[:, :, 0, 0], x) + conv.bias[None, :, None]


@torch.no_grad()
def cached_sample(model, c, greedy=False, generator=None, teacher=None, temperature=1.0):
    """c: int64 [B]. teacher: optional int64 [B, H, W] written instead of the choice (teacher forcing, for the
    equivalence check). Returns (levels [B, H, W], logits [B, L, H, W])."""
    cfg = model.cfg
    B, H, W, L, C = c.shape[0], cfg.height, cfg.width, cfg.levels, cfg.channels
    img = model.input(torch.zeros(B, H, W, dtype=torch.long))  # the model input x; channel 0 = level / (L-1)
    out = torch.zeros(B, H, W, dtype=torch.long)
    all_logits = torch.zeros(B, L, H, W)
    v = [torch.zeros(B, C, H, W) for _ in model.layers]  # gated vertical stack per layer
    vcls = [layer.v_class(c) for layer in model.layers]
    hcls = [layer.h_class(c) for layer in model.layers]
    for y in range(H):
        v2h_row = []
        for i, layer in enumerate(model.layers):
            vpre = conv_row(layer.v_conv, img if i == 0 else v[i - 1], y, vcls[i])  # [B, 2C, W]
            v[i][:, :, y, :] = gate(vpre)
            v2h_row.append(conv1x1(layer.v2h, vpre))
        h = [torch.zeros(B, C, 1, W) for _ in model.layers]  # horizontal stack, row y only
        for x in range(W):
            prev = img[:, :, y : y + 1, :]
            for i, layer in enumerate(model.layers):
                hpre = conv_at(layer.h_conv, prev, 0, x, hcls[i]) + v2h_row[i][:, :, x]
                hx = conv1x1(layer.h_out, gate(hpre)[:, :, None])[:, :, 0]
                h[i][:, :, 0, x] = hx if i == 0 else h[i - 1][:, :, 0, x] + hx
                prev = h[i]
            a = conv1x1(model.head[0], F.gelu(h[-1][:, :, 0, x : x + 1]))
            logits = conv1x1(model.head[1], F.gelu(a))[:, :, 0]  # [B, L]
            all_logits[:, :, y, x] = logits
            if teacher is not None:
                choice = teacher[:, y, x]
            elif greedy:
                choice = logits.argmax(1)
            else:
                choice = torch.multinomial(torch.softmax(logits / temperature, 1), 1, generator=generator)[:, 0]
            out[:, y, x] = choice
            img[:, 0, y, x] = choice.float() / (L - 1)
    return out, all_logits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--bpd", action="store_true")
    ap.add_argument("--n", type=int, default=1000, help="samples for the quality table (100 per class)")
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument(
        "--checkpoint",
        action="store_true",
        help="measure the training checkpoint's best weights instead of the shipped model.safetensors",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    from models.pixelcnn.export import load_best, load_exported

    model = load_best() if args.checkpoint else load_exported()
    L = model.cfg.levels
    if args.check:
        x, y = fashion_mnist.load("test")
        img = torch.from_numpy(fashion_mnist.quantise(x[:4], L))
        c = torch.from_numpy(y[:4])
        full = model(img, c)
        _, cached = cached_sample(model, c, teacher=img)
        print("max |cached - full| logits:", (full - cached).abs().max().item())
        return
    if args.bpd:
        x, y = fashion_mnist.load("test")
        img, c = torch.from_numpy(fashion_mnist.quantise(x, L)), torch.from_numpy(y)
        t0, total = time.time(), 0.0
        with torch.no_grad():
            for i in range(0, len(img), 100):
                total += model.nll(img[i : i + 100], c[i : i + 100]).item() * len(img[i : i + 100])
        bpd = total / len(img) / math.log(2)
        print(
            json.dumps(
                {
                    "test_images": len(img),
                    "levels": L,
                    "bits_per_dim": bpd,
                    "nll_nats_per_image": total / len(img) * 784,
                    "seconds": time.time() - t0,
                }
            )
        )
        return
    gen = torch.Generator().manual_seed(args.seed)
    classes = torch.arange(10).repeat_interleave(args.n // 10)
    samples, t0 = [], time.time()
    for i in range(0, len(classes), args.batch):
        s, _ = cached_sample(model, classes[i : i + args.batch], generator=gen, temperature=args.temperature)
        samples.append(s)
        print(f"{i + len(s)} samples, {time.time() - t0:.0f}s", flush=True)
    elapsed = time.time() - t0
    samples = torch.cat(samples).numpy()
    tag = "" if args.temperature == 1.0 else f"_T{args.temperature:g}"
    np.save(os.path.join(HERE, f"samples{tag}.npy"), samples.astype(np.uint8))
    pix = fashion_mnist.dequantise(samples, L)
    grid = np.concatenate([pix[k * (args.n // 10) : k * (args.n // 10) + 10] for k in range(10)])
    image_io.write_png(os.path.join(HERE, f"samples{tag}.png"), image_io.tile(grid, 10, pad=2, pad_value=128))
    from models.common import image_quality

    result = image_quality.evaluate(pix, classes.numpy(), L)
    result["temperature"] = args.temperature
    result["seconds_per_image"] = elapsed / len(classes)
    result["cached_sampler_batch"] = args.batch
    print(json.dumps(result, indent=1))
    path = os.path.join(HERE, "quality.json")
    rows = json.load(open(path)) if os.path.exists(path) else []
    rows = [r for r in (rows if isinstance(rows, list) else [rows]) if r.get("temperature", 1.0) != args.temperature]
    with open(path, "w") as f:
        json.dump(sorted(rows + [result], key=lambda r: -r.get("temperature", 1.0)), f, indent=1)


if __name__ == "__main__":
    main()
