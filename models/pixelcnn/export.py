"""Export the Gated PixelCNN to models/pixelcnn/model.safetensors (arch "pixelcnn") and write the golden
fixture tests/fixtures/pixelcnn-golden.json.

    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/pixelcnn/export.py

Tensors (F32 unless noted; conv weights in atnat conv2d layout [kh, kw, C_out, C_in] with masked taps stored
as 0; 1x1 convs in conv1x1 layout [C_out, C_in]):
    layers.{i}.v_conv.weight  [kh, kw, 2C, C_in]   .bias [2C]   .mask U8 [kh, kw] (layer 0 only)
    layers.{i}.h_conv.weight  [1, kw, 2C, C_in]    .bias [2C]   .mask U8 [1, kw]  (layer 0 only)
    layers.{i}.v2h.weight     [2C, 2C]             .bias [2C]
    layers.{i}.h_out.weight   [C, C]               .bias [C]
    layers.{i}.v_class        [n_classes, 2C]      (added to v_conv's output = folded into its bias)
    layers.{i}.h_class        [n_classes, 2C]      (added to h_conv's output)
    head.0.weight [Ch, C]  .bias [Ch];  head.1.weight [L, Ch]  .bias [L]
C_in = input_channels (3: level / (L-1), (y+1)/H, (x+1)/W) for layer 0, C otherwise. Padding per conv is in the config
("v_pad", "h_pad": [top, bottom, left, right] per layer). See model.py for the op sequence.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from models.common import fashion_mnist, safetensors_io, train_loop  # noqa: E402
from models.pixelcnn.model import GatedPixelCNN, PixelCNNConfig  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
GOLDEN_POSITIONS = [(0, 0), (3, 13), (10, 5), (14, 14), (27, 27)]
GOLDEN_TEST_INDEX = 0
GOLDEN_SAMPLE_CLASS = 7


def conv_weight(conv):
    w = conv.weight if conv.mask is None else conv.weight * conv.mask
    return w.detach().permute(2, 3, 0, 1).contiguous().numpy()  # [C_out, C_in, kh, kw] -> [kh, kw, C_out, C_in]


def tensors_and_config(model):
    cfg = model.cfg
    t, v_pad, h_pad = {}, [], []
    f = lambda x: x.detach().contiguous().numpy().astype(np.float32)  # noqa: E731
    for i, layer in enumerate(model.layers):
        p = f"layers.{i}."
        for name in ("v_conv", "h_conv"):
            conv = getattr(layer, name)
            t[p + name + ".weight"] = conv_weight(conv)
            t[p + name + ".bias"] = f(conv.bias)
            if conv.mask is not None:
                t[p + name + ".mask"] = conv.mask.numpy().astype(np.uint8)
        v_pad.append(list(layer.v_conv.pad))
        h_pad.append(list(layer.h_conv.pad))
        t[p + "v2h.weight"] = f(layer.v2h.weight[:, :, 0, 0])
        t[p + "v2h.bias"] = f(layer.v2h.bias)
        t[p + "h_out.weight"] = f(layer.h_out.weight[:, :, 0, 0])
        t[p + "h_out.bias"] = f(layer.h_out.bias)
        t[p + "v_class"] = f(layer.v_class.weight)
        t[p + "h_class"] = f(layer.h_class.weight)
    for j, conv in enumerate(model.head):
        t[f"head.{j}.weight"] = f(conv.weight[:, :, 0, 0])
        t[f"head.{j}.bias"] = f(conv.bias)
    config = {
        "levels": cfg.levels,
        "channels": cfg.channels,
        "layers": cfg.layers,
        "first_kernel": cfg.first_kernel,
        "kernel": 3,
        "head_channels": cfg.head_channels,
        "n_classes": cfg.n_classes,
        "height": cfg.height,
        "width": cfg.width,
        "input_channels": cfg.input_channels,
        "v_pad": v_pad,
        "h_pad": h_pad,
        "input": (
            "level / (levels - 1), (y + 1) / height, (x + 1) / width"
            if cfg.input_channels == 3
            else "level / (levels - 1)"
        ),
        "gate": "tanh(pre[:C]) * sigmoid(pre[C:])",
        "head_activation": "gelu",
        "residual": "horizontal stack, layers 1..N-1",
        "quantisation": "level = floor(byte * levels / 256); byte = round(level * 255 / (levels - 1))",
    }
    return t, config


def load_best():
    """The best weights (by validation) of the training checkpoint models/data/cache/pixelcnn.pt."""
    return train_loop.load_best("pixelcnn", lambda mc: GatedPixelCNN(PixelCNNConfig(**mc) if mc else PixelCNNConfig()))[
        0
    ]


@torch.no_grad()
def load_exported(path=os.path.join(HERE, "model.safetensors")):
    """The weight file back into a GatedPixelCNN (the inverse of tensors_and_config)."""
    t, meta = safetensors_io.read(path)
    cfg = {"input_channels": 1, **meta["config"]}  # files without the key predate the coordinate channels
    model = GatedPixelCNN(PixelCNNConfig(**{f: cfg[f] for f in PixelCNNConfig.__dataclass_fields__}))

    f = safetensors_io.Loader(t)
    put, as_conv, as_1x1 = f.put, safetensors_io.as_conv, safetensors_io.as_1x1
    for i, layer in enumerate(model.layers):
        p = f"layers.{i}."
        for name in ("v_conv", "h_conv"):
            put(getattr(layer, name).weight, p + name + ".weight", as_conv)
            put(getattr(layer, name).bias, p + name + ".bias")
        for name in ("v2h", "h_out"):
            put(getattr(layer, name).weight, p + name + ".weight", as_1x1)
            put(getattr(layer, name).bias, p + name + ".bias")
        put(layer.v_class.weight, p + "v_class")
        put(layer.h_class.weight, p + "h_class")
    for j, conv in enumerate(model.head):
        put(conv.weight, f"head.{j}.weight", as_1x1)
        put(conv.bias, f"head.{j}.bias")
    unused = [k for k in f.left() if not k.endswith(".mask")]  # masks are baked into the conv weights
    assert not unused, f"unused tensors: {unused}"
    return model.eval()


COMPLETION_ROWS = 14
INV_CDF_SEED = 2024


@torch.no_grad()
def greedy_completion(model, x, y):
    """the first test image of class 7, top half given, bottom half greedy (the all-zero greedy start gives an
    all-black image: background is every pixel's argmax, so it checks little beyond the background path)."""
    L = model.cfg.levels
    idx = int(np.nonzero(y == GOLDEN_SAMPLE_CLASS)[0][0])
    img = torch.from_numpy(fashion_mnist.quantise(x[idx : idx + 1], L))
    img[:, COMPLETION_ROWS:] = 0
    cls, gap = torch.tensor([GOLDEN_SAMPLE_CLASS]), math.inf
    for yy in range(COMPLETION_ROWS, model.cfg.height):
        for xx in range(model.cfg.width):
            lg = model(img, cls)[0, :, yy, xx]
            top = torch.topk(lg, 2).values
            gap = min(gap, (top[0] - top[1]).item())
            img[0, yy, xx] = lg.argmax()
    return img[0].flatten().tolist(), gap, f"Fashion-MNIST test image {idx} (class {GOLDEN_SAMPLE_CLASS})"


@torch.no_grad()
def inverse_cdf_sample(model):
    """a full stochastic sample with the randomness supplied: u[y*W+x] (given, 6 decimals) picks
    level = min{l : cdf[l] > u}, cdf = cumulative softmax(logits[y, x]) in raster order, class 7, all-zero start.
    Lets the C++ naive and cached samplers be checked on a realistic image without sharing an RNG."""
    H, W = model.cfg.height, model.cfg.width
    u = np.round(np.random.default_rng(INV_CDF_SEED).random(H * W), 6)
    img = torch.zeros(1, H, W, dtype=torch.long)
    cls, margin = torch.tensor([GOLDEN_SAMPLE_CLASS]), math.inf
    for yy in range(H):
        for xx in range(W):
            p = torch.softmax(model(img, cls)[0, :, yy, xx].double(), 0)
            cdf = torch.cumsum(p, 0)
            ui = float(u[yy * W + xx])
            level = min(int((cdf <= ui).sum()), model.cfg.levels - 1)
            margin = min(margin, float((cdf[:-1] - ui).abs().min()))
            img[0, yy, xx] = level
    return {
        "class": GOLDEN_SAMPLE_CLASS,
        "start": "all zeros",
        "uniforms_row_major": u.tolist(),
        "rule": "level = number of l with cdf[l] <= u (clamped to levels-1); cdf = cumsum(softmax(logits))",
        "levels_row_major": img[0].flatten().tolist(),
        "min_abs_u_minus_cdf": margin,
    }


@torch.no_grad()
def golden(model):
    L = model.cfg.levels
    x, y = fashion_mnist.load("test")
    img = torch.from_numpy(fashion_mnist.quantise(x[GOLDEN_TEST_INDEX : GOLDEN_TEST_INDEX + 1], L))
    c = torch.tensor([int(y[GOLDEN_TEST_INDEX])])
    logits = model(img, c)[0]  # [L, H, W]
    # greedy raster sample, class 7, from an all-zero image, a full forward per pixel
    cls = torch.tensor([GOLDEN_SAMPLE_CLASS])
    sample = torch.zeros(1, model.cfg.height, model.cfg.width, dtype=torch.long)
    min_gap, t0 = math.inf, time.time()
    for yy in range(model.cfg.height):
        for xx in range(model.cfg.width):
            lg = model(sample, cls)[0, :, yy, xx]
            top = torch.topk(lg, 2).values
            min_gap = min(min_gap, (top[0] - top[1]).item())
            sample[0, yy, xx] = lg.argmax()
    completion, completion_gap, completion_src = greedy_completion(model, x, y)
    inv_cdf = inverse_cdf_sample(model)
    teacher_gaps = torch.topk(logits, 2, dim=0).values
    teacher_gap = (teacher_gaps[0] - teacher_gaps[1]).min().item()
    return {
        "arch": "pixelcnn",
        "weights": "models/pixelcnn/model.safetensors",
        "tolerance_logits_abs": 1e-4,
        "input": {
            "source": f"Fashion-MNIST test image {GOLDEN_TEST_INDEX}, quantised to {L} levels",
            "class": int(c[0]),
            "levels_row_major": img[0].flatten().tolist(),
        },
        "logits_at": [
            {"y": yy, "x": xx, "logits": [round(float(v), 6) for v in logits[:, yy, xx]]} for yy, xx in GOLDEN_POSITIONS
        ],
        "argmax_row_major": logits.argmax(0).flatten().tolist(),
        "argmax_min_top2_gap": teacher_gap,
        "greedy_sample": {
            "class": GOLDEN_SAMPLE_CLASS,
            "start": "all zeros",
            "order": "raster",
            "rule": "img[y,x] = argmax(logits[y,x]) with a full forward per pixel",
            "levels_row_major": sample[0].flatten().tolist(),
            "min_top2_logit_gap": min_gap,
        },
        "python_seconds_for_naive_greedy": round(time.time() - t0, 1),
        "greedy_completion": {
            "class": GOLDEN_SAMPLE_CLASS,
            "source": completion_src,
            "given_rows": COMPLETION_ROWS,
            "rule": "rows 0..given_rows-1 fixed from the source image; the rest argmax in "
            "raster order, full forward per pixel",
            "levels_row_major": completion,
            "min_top2_logit_gap": completion_gap,
        },
        "inverse_cdf_sample": inv_cdf,
    }


def main():
    torch.set_num_threads(1)
    model = load_best()
    tensors, config = tensors_and_config(model)
    out = os.path.join(HERE, "model.safetensors")
    safetensors_io.write(out, tensors, "pixelcnn", config)
    back, meta = safetensors_io.read(out)
    assert meta["arch"] == "pixelcnn" and all(np.array_equal(back[k], v) for k, v in tensors.items())
    print(f"wrote {out}: {len(tensors)} tensors, {sum(v.size for v in tensors.values())} values")
    g = golden(model)
    path = os.path.join(ROOT, "tests", "fixtures", "pixelcnn-golden.json")
    with open(path, "w") as f:
        json.dump(g, f)
    print(
        f"completion min gap {g['greedy_completion']['min_top2_logit_gap']:.2e}, inverse-cdf min margin "
        f"{g['inverse_cdf_sample']['min_abs_u_minus_cdf']:.2e}"
    )
    print(
        f"wrote {path}; greedy min top-2 gap {g['greedy_sample']['min_top2_logit_gap']:.2e}, "
        f"teacher-forced argmax min gap {g['argmax_min_top2_gap']:.2e}"
    )


if __name__ == "__main__":
    main()
