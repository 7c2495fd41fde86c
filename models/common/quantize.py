"""Int8 weights with one f32 scale per row: the atnat-1 "I8" weight-file variant (docs/weight-format.md).

A quantised matrix W [out, in] is stored as two tensors:
    NAME        I8  [out, in]   q = round(W / scale[o]) in [-127, 127] (symmetric, no zero point)
    NAME.scale  F32 [out]       scale[o] = max_k |W[o, k]| / 127 (0 for an all-zero row)
so that W ≈ q * scale[:, None]. The C++ kernels compute y[o] = scale[o] * Σ_k q[o, k] · x[k].

    from models.common import quantize
    tensors = quantize.quantize_tensors(f32_tensors)       # every 2-D float32 matrix -> I8 + NAME.scale
    f32 = quantize.dequantize_tensors(tensors)             # back to float32 arrays (PyTorch, tests)
    quantize.quantize_file("model.safetensors", "model-int8.safetensors")   # what the exporters' --int8 does

Per-row scales were chosen by measurement: on poet-at's test split, per-row int8 of every matrix (the tied
embedding included) raises the per-token perplexity by 0.01%, per-group scales (16 columns) by 0.005%; the
per-row kernel applies one scale per output instead of one per group (docs/benchmarks.md).
"""
import os

import numpy as np

from .safetensors_io import read, write

SCALE_SUFFIX = ".scale"
QMAX = 127


def quantize_rows(w):
    """w: float32 [out, in] -> (q int8 [out, in], scale float32 [out])."""
    w = np.asarray(w, dtype=np.float32)
    scale = (np.abs(w).max(axis=1) / np.float32(QMAX)).astype(np.float32)
    safe = np.where(scale > 0, scale, np.float32(1))
    q = np.clip(np.rint(w / safe[:, None]), -QMAX, QMAX).astype(np.int8)
    return q, scale


def dequantize(q, scale):
    """The float32 matrix an I8 tensor and its scales stand for: q * scale[:, None] (rounded to float32)."""
    return q.astype(np.float32) * scale.astype(np.float32)[:, None]


def quantize_tensors(tensors, keep=()):
    """name -> array dict in file order; every 2-D float32 tensor not named in `keep` becomes an int8 NAME and a
    float32 NAME.scale right after it. Vectors (norms, biases) and other dtypes are passed through."""
    out = {}
    for name, array in tensors.items():
        if array.dtype == np.float32 and array.ndim == 2 and name not in keep:
            out[name], out[name + SCALE_SUFFIX] = quantize_rows(array)
        else:
            out[name] = array
    return out


def dequantize_tensors(tensors):
    """Inverse layout of quantize_tensors: every int8 NAME with its NAME.scale becomes one float32 NAME."""
    out = {}
    for name, array in tensors.items():
        if name.endswith(SCALE_SUFFIX) and tensors.get(name[: -len(SCALE_SUFFIX)], array).dtype == np.int8:
            continue
        out[name] = dequantize(array, tensors[name + SCALE_SUFFIX]) if array.dtype == np.int8 else array
    return out


def quantize_file(src, dst, keep=()):
    """Writes the int8 variant of the atnat weight file `src` to `dst` (what the exporters' --int8 does): the same
    arch, config and tokenizer, matrices quantised as quantize_tensors(tensors, keep)."""
    tensors, meta = read(src)
    write(dst, quantize_tensors(tensors, keep), meta["arch"], meta["config"], meta.get("tokenizer"))
    print(f"wrote {dst} ({os.path.getsize(dst):,} bytes; {os.path.basename(src)}: {os.path.getsize(src):,})")
