"""Sample quality for the atnat image generators, judged by models/fmnist-classifier.

    class_match: share of samples the judge classifies as the class they were requested for
    fid:         Frechet distance between Gaussian fits of the judge's 128-d penultimate features
                 (post-ReLU fc1) of the samples and of the 10k test images
                 ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)

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
        spec = importlib.util.spec_from_file_location("fmnist_classifier_model",
                                                      os.path.join(ROOT, "fmnist-classifier", "model.py"))
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
        x = torch.from_numpy(np.asarray(images[i:i + 500], dtype=np.float32)[:, None] / 255)
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


def evaluate(images, classes, levels=None):
    """images: uint8 [N, 28, 28] in 0..255 (generator levels already mapped back); classes: int [N] requested.
    levels: the generator's grey-level count (for the reference statistics), None = raw 256 levels."""
    images = np.asarray(images, dtype=np.uint8)
    classes = np.asarray(classes, dtype=np.int64)
    assert images.shape[1:] == (28, 28) and len(images) == len(classes)
    feats, preds = features_and_predictions(images)
    mu, s = _stats(feats)
    return {"n": int(len(images)), "class_match": float((preds == classes).mean()),
            "fid": frechet(mu, s, *reference_stats(levels))}


def real_baseline(n, levels=None, seed=0):
    """the same metrics for n random real training images with their true labels (a floor for FID at this n)."""
    x, y = fashion_mnist.load("train")
    idx = np.random.default_rng(seed).choice(len(x), n, replace=False)
    x = x[idx]
    if levels:
        x = fashion_mnist.dequantise(fashion_mnist.quantise(x, levels), levels)
    return evaluate(x, y[idx], levels)
