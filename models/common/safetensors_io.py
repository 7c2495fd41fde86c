"""The atnat weight file: safetensors (an 8-byte little-endian header length, a JSON header, raw data).

The writer here is used by every export script; core/io/safetensors.cpp is the matching reader.

Header layout written by `write`:
    {"__metadata__": {"format": "atnat-1", "arch": ARCH, "config": CONFIG_JSON, "tokenizer": TOKENIZER_JSON?},
     NAME: {"dtype": "F32" | "I32" | "U8" | "I8", "shape": [...], "data_offsets": [begin, end]}, ...}
safetensors metadata values must be strings, so config and tokenizer are JSON documents stored as strings.
Tensors are laid out in the order given, each starting on a 16-byte boundary (the header is space-padded so
the data section starts aligned), which lets the C++ side view float data in place.
"""
import json
import struct

import numpy as np

FORMAT = "atnat-1"
DTYPES = {np.dtype("float32"): "F32", np.dtype("int32"): "I32", np.dtype("uint8"): "U8", np.dtype("int8"): "I8"}
ALIGN = 16


def write(path, tensors, arch, config, tokenizer=None):
    """tensors: dict name -> numpy array (float32, int32, uint8 or int8), written in insertion order.
    Int8 matrices come with their scales (models/common/quantize.py)."""
    metadata = {"format": FORMAT, "arch": arch, "config": json.dumps(config, sort_keys=True)}
    if tokenizer is not None:
        metadata["tokenizer"] = json.dumps(tokenizer, ensure_ascii=False)
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        if array.dtype not in DTYPES:
            raise ValueError(f"tensor {name!r}: dtype {array.dtype} is not one of {list(DTYPES)}")
        pad = (-offset) % ALIGN
        if pad:
            blobs.append(b"\0" * pad)
            offset += pad
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {
            "dtype": DTYPES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, ensure_ascii=False).encode("utf-8")
    header_bytes += b" " * ((-(8 + len(header_bytes))) % ALIGN)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)


class Loader:
    """Copies a weight file's arrays back into PyTorch parameters, shape-checked, each array used once:
    `put(param, name, view)` pops tensors[name], applies `view` (a layout change such as as_conv) and copies it
    into `param` only if the shapes are equal (never torch's broadcasting copy); `left` lists what is unused."""

    def __init__(self, tensors):
        self.tensors = dict(tensors)

    def put(self, param, name, view=None):
        import torch

        value = torch.from_numpy(self.tensors.pop(name).copy())
        value = view(value) if view else value
        if value.shape != param.shape:
            raise ValueError(f"{name}: file shape {tuple(value.shape)} != model shape {tuple(param.shape)}")
        with torch.no_grad():
            param.copy_(value)

    def left(self):
        return sorted(self.tensors)


def as_conv(a):
    """atnat conv2d layout [kh, kw, C_out, C_in] -> PyTorch's [C_out, C_in, kh, kw]."""
    return a.permute(2, 3, 0, 1)


def as_1x1(a):
    """atnat conv1x1 layout [C_out, C_in] -> a PyTorch 1x1 conv weight [C_out, C_in, 1, 1]."""
    return a[:, :, None, None]


def read(path):
    """Returns (tensors, metadata) with config/tokenizer decoded from JSON. Used by tests and tools."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    for key in ("config", "tokenizer"):
        if key in metadata:
            metadata[key] = json.loads(metadata[key])
    inverse = {v: k for k, v in DTYPES.items()}
    data = raw[8 + n :]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=inverse[info["dtype"]]).reshape(info["shape"])
    return tensors, metadata
