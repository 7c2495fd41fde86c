"""Fashion-MNIST from the IDX gz files (Debian `dataset-fashion-mnist`), plus grey-level quantisation.

Quantisation contract (shared by every atnat image model, the C++ core and the evaluation):
    level  = floor(byte * levels / 256)             byte in 0..255 -> level in 0..levels-1
    byte'  = round(level * 255 / (levels - 1))      level -> 0..255 for display and for the judge
so level 0 is exact black (Fashion-MNIST's background) and level levels-1 is white (255).
"""
import gzip
import os
import struct

import numpy as np

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def read_idx(path):
    """One IDX file -> numpy array (big-endian header: 2 zero bytes, dtype code, ndim, ndim u32 sizes)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (code {dtype_code:#x})")
    shape = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {data.size} bytes of data, header says {shape}")
    return data.reshape(shape)


def load(split, data_dir=DATA_DIR):
    """-> (images uint8 [N, 28, 28], labels int64 [N]) for split 'train' (60k) or 'test' (10k)."""
    image_file, label_file = FILES[split]
    images = read_idx(os.path.join(data_dir, image_file))
    labels = read_idx(os.path.join(data_dir, label_file)).astype(np.int64)
    assert images.shape[0] == labels.shape[0]
    return images, labels


VAL_SPLIT = 55000  # the image generators train on train images [0, 55000) and validate on [55000, 60000)


def train_val_split(levels, val_images=1000):
    """-> (train images, train labels), (val images, val labels) as int64 torch tensors of levels: the first
    VAL_SPLIT training images, and `val_images` of the rest (early stopping; the 10k test set stays unseen)."""
    import torch

    x, y = load("train")
    x, y = torch.from_numpy(quantise(x, levels)), torch.from_numpy(y)
    return (x[:VAL_SPLIT], y[:VAL_SPLIT]), (
        x[VAL_SPLIT : VAL_SPLIT + val_images],
        y[VAL_SPLIT : VAL_SPLIT + val_images],
    )


def quantise(images, levels):
    """uint8 0..255 -> int64 levels 0..levels-1 (floor of byte * levels / 256)."""
    return (images.astype(np.int64) * levels) // 256


def dequantise(levels_img, levels):
    """levels 0..levels-1 -> uint8 0..255 (level 0 -> 0, top level -> 255)."""
    x = np.asarray(levels_img, dtype=np.float64) * 255.0 / (levels - 1)
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)
