"""Sample quality for the atnat image generators, judged by models/fmnist-classifier.

    class_match: share of samples the judge classifies as the class they were requested for
    fid:         Frechet distance between Gaussian fits of the judge's 128-d penultimate features
                 (post-ReLU fc1) of the samples and of the 10k test images
                 ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)

    geometry:    per requested class, the mean intensity-weighted centre of mass (x, y) and the mean bounding
                 box (first/last column and row holding a pixel >= 64 of 255) of the samples, beside the same
                 numbers for the real test images of that class; com_max_offset is the largest distance (pixels)
                 between a class's sample centre and its real centre. A generator that drifts sideways (the
                 position-blind PixelCNN of session 1) shows it here even when it fools the classifier.

Reference statistics: the test images are put through the same quantisation as the samples (`levels`,
floor(byte*L/256) then round(level*255/(L-1))) so the quantisation itself costs nothing. FID grows as the
sample count shrinks (estimator bias), so only compare numbers at the same N; `real_baseline` gives the
score of N real training images for that N.
"""
import os

import numpy as np
import torch

from models.common import fashion_mnist

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CLASSIFIER = os.path.join(ROOT, "fmnist-classifier", "classifier.pt")
_judge = None
_ref = {}


def judge():
    global _judge
    if _judge is None:
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "fmnist_classifier_model", os.path.join(ROOT, "fmnist-classifier", "model.py")
        )
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        ckpt = torch.load(CLASSIFIER, map_location="cpu")
        model = mod.FMNISTClassifier(mod.ClassifierConfig(**ckpt["config"]))
        model.load_state_dict(ckpt["model"])
        _judge = model.eval()
    return _judge


@torch.no_grad()
def features_and_predictions(images):
    """uint8 [N, 28, 28] -> (features float64 [N, 128], predicted class int64 [N])."""
    model = judge()
    feats, preds = [], []
    for i in range(0, len(images), 500):
        x = torch.from_numpy(np.asarray(images[i : i + 500], dtype=np.float32)[:, None] / 255)
        f = model.features(x)
        feats.append(f.double().numpy())
        preds.append(model.fc2(f).argmax(1).numpy())
    return np.concatenate(feats), np.concatenate(preds)


def _stats(feats):
    return feats.mean(0), np.cov(feats, rowvar=False)


def _sqrtm_psd(a):
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet(mu1, s1, mu2, s2):
    r1 = _sqrtm_psd(s1)
    cross = _sqrtm_psd(r1 @ s2 @ r1)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(cross))


def reference_stats(levels=None):
    key = levels or 256
    if key not in _ref:
        x, _ = fashion_mnist.load("test")
        if levels:
            x = fashion_mnist.dequantise(fashion_mnist.quantise(x, levels), levels)
        _ref[key] = _stats(features_and_predictions(x)[0])
    return _ref[key]


INK = 64  # a pixel at least this bright (of 255) counts for the bounding box


def image_geometry(images):
    """uint8 [N, 28, 28] -> float64 [N, 6]: centre of mass x, y, then bounding box x0, x1, y0, y1 (-1 if blank)."""
    x = np.asarray(images, dtype=np.float64)
    mass = x.sum((1, 2))
    safe = np.where(mass > 0, mass, 1)
    cols = np.arange(x.shape[2])
    rows = np.arange(x.shape[1])
    cx = (x.sum(1) * cols).sum(1) / safe
    cy = (x.sum(2) * rows).sum(1) / safe
    ink = x >= INK
    any_col, any_row = ink.any(1), ink.any(2)  # [N, W], [N, H]
    first = lambda a: np.where(a.any(1), a.argmax(1), -1)  # noqa: E731
    last = lambda a: np.where(a.any(1), a.shape[1] - 1 - a[:, ::-1].argmax(1), -1)  # noqa: E731
    return np.stack([cx, cy, first(any_col), last(any_col), first(any_row), last(any_row)], 1)


def class_geometry(images, classes):
    """{class: {"com": [x, y], "bbox": [x0, x1, y0, y1]}} means over the images of each class."""
    g = image_geometry(images)
    out = {}
    for c in np.unique(classes):
        gc = g[classes == c]
        gc_box = gc[gc[:, 2] >= 0]  # blank images have no box
        out[int(c)] = {
            "com": [round(float(v), 2) for v in gc[:, :2].mean(0)],
            "bbox": [round(float(v), 2) for v in gc_box[:, 2:].mean(0)] if len(gc_box) else None,
        }
    return out


def real_geometry(levels=None):
    x, y = fashion_mnist.load("test")
    if levels:
        x = fashion_mnist.dequantise(fashion_mnist.quantise(x, levels), levels)
    return class_geometry(x, y)


def largest_centre_offset(geometry, real):
    """The largest distance (pixels), over the classes of `geometry`, between a class's mean centre of mass and the
    real one (both class_geometry results)."""
    return max(float(np.hypot(*np.subtract(g["com"], real[c]["com"]))) for c, g in geometry.items())


def evaluate(images, classes, levels=None):
    """images: uint8 [N, 28, 28] in 0..255 (generator levels already mapped back); classes: int [N] requested.
    levels: the generator's grey-level count (for the reference statistics), None = raw 256 levels."""
    images = np.asarray(images, dtype=np.uint8)
    classes = np.asarray(classes, dtype=np.int64)
    assert images.shape[1:] == (28, 28) and len(images) == len(classes)
    feats, preds = features_and_predictions(images)
    mu, s = _stats(feats)
    geometry, real = class_geometry(images, classes), real_geometry(levels)
    return {
        "n": int(len(images)),
        "class_match": float((preds == classes).mean()),
        "fid": frechet(mu, s, *reference_stats(levels)),
        "com_max_offset": round(largest_centre_offset(geometry, real), 2),
        "geometry": {c: {**g, "real_com": real[c]["com"], "real_bbox": real[c]["bbox"]} for c, g in geometry.items()},
    }


def real_baseline(n, levels=None, seed=0):
    """the same metrics for n random real training images with their true labels (a floor for FID at this n)."""
    x, y = fashion_mnist.load("train")
    idx = np.random.default_rng(seed).choice(len(x), n, replace=False)
    x = x[idx]
    if levels:
        x = fashion_mnist.dequantise(fashion_mnist.quantise(x, levels), levels)
    return evaluate(x, y[idx], levels)
