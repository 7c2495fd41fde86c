"""The quality judge: a small Fashion-MNIST CNN. Stays in Python (used only by models/common/image_quality.py).

Input: uint8 images [N, 28, 28] as float x / 255 (any level count, mapped back to 0..255 first).
features(): the 128-d penultimate activations used for the Frechet distance.
"""
from dataclasses import dataclass

import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ClassifierConfig:
    width: int = 16
    features: int = 128
    n_classes: int = 10


class FMNISTClassifier(nn.Module):
    def __init__(self, cfg: ClassifierConfig):
        super().__init__()
        w = cfg.width
        self.cfg = cfg
        self.conv1 = nn.Conv2d(1, w, 3, padding=1)
        self.conv2 = nn.Conv2d(w, w, 3, padding=1)
        self.conv3 = nn.Conv2d(w, 2 * w, 3, padding=1)
        self.conv4 = nn.Conv2d(2 * w, 2 * w, 3, padding=1)
        self.fc1 = nn.Linear(2 * w * 7 * 7, cfg.features)
        self.fc2 = nn.Linear(cfg.features, cfg.n_classes)
        self.drop = nn.Dropout(0.3)

    def features(self, x):
        """x: float [N, 1, 28, 28] in 0..1 -> [N, features] (post-ReLU penultimate layer)."""
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        x = F.max_pool2d(F.relu(self.conv4(F.relu(self.conv3(x)))), 2)
        return F.relu(self.fc1(x.flatten(1)))

    def forward(self, x):
        return self.fc2(self.drop(self.features(x)))
