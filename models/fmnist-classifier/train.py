"""Train the Fashion-MNIST judge (CPU, one thread, a few minutes).

    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/fmnist-classifier/train.py > models/fmnist-classifier/train.log 2>&1

Augmentation: each training image is randomly re-quantised to 16 or 32 grey levels (floor(byte*L/256), mapped
back with round(level*255/(L-1)), the atnat contract) half of the time, so the judge sees the generators' inputs.
Writes classifier.pt ({"config", "model", "test_acc"}).
"""
import dataclasses
import os
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from models.common import fashion_mnist  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import ClassifierConfig, FMNISTClassifier  # noqa: E402


@dataclass
class TrainConfig:
    seed: int = 1234
    epochs: int = 3
    batch_size: int = 128
    lr: float = 2e-3
    out: str = os.path.join(HERE, "classifier.pt")


def requantise_table(levels):
    """256-entry lookup: byte -> byte after quantising to `levels` and mapping back."""
    return torch.from_numpy(fashion_mnist.dequantise(fashion_mnist.quantise(np.arange(256), levels), levels))


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    pred = torch.cat([model(x[i : i + 1000].float()[:, None] / 255).argmax(1) for i in range(0, len(x), 1000)])
    model.train()
    return (pred == y).float().mean().item()


def main():
    torch.set_num_threads(1)
    cfg, tc = ClassifierConfig(), TrainConfig()
    torch.manual_seed(tc.seed)
    xtr, ytr = fashion_mnist.load("train")
    xte, yte = fashion_mnist.load("test")
    xtr, ytr = torch.from_numpy(xtr.astype(np.int64)), torch.from_numpy(ytr)
    xte, yte = torch.from_numpy(xte.astype(np.int64)), torch.from_numpy(yte)
    tables = [requantise_table(16), requantise_table(32)]
    model = FMNISTClassifier(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr)
    steps = tc.epochs * (len(xtr) // tc.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, tc.lr, total_steps=steps)
    gen = torch.Generator().manual_seed(tc.seed)
    t0, step = time.time(), 0
    for epoch in range(tc.epochs):
        perm = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(xtr) - tc.batch_size + 1, tc.batch_size):
            idx = perm[i : i + tc.batch_size]
            x = xtr[idx]
            pick = torch.randint(0, 4, (len(idx),), generator=gen)  # 0: 16 levels, 1: 32 levels, else raw
            x = torch.where((pick == 0)[:, None, None], tables[0][x], x)
            x = torch.where((pick == 1)[:, None, None], tables[1][x], x)
            flip = torch.rand(len(idx), generator=gen) < 0.5  # horizontal flip (clothes are ~symmetric)
            x = torch.where(flip[:, None, None], x.flip(2), x)
            loss = F.cross_entropy(model(x.float()[:, None] / 255), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 100 == 0:
                print(
                    f"epoch {epoch} step {step}/{steps} loss {loss.item():.4f} {(time.time() - t0) / 60:.1f}min",
                    flush=True,
                )
        print(f"epoch {epoch} test_acc {accuracy(model, xte, yte):.4f}", flush=True)
    acc = accuracy(model, xte, yte)
    acc16 = accuracy(model, tables[0][xte], yte)
    print(f"final test_acc {acc:.4f} (raw 256 levels), {acc16:.4f} (16 levels); {(time.time() - t0) / 60:.1f} min")
    torch.save(
        {
            "config": dataclasses.asdict(cfg),
            "train_config": dataclasses.asdict(tc),
            "model": model.state_dict(),
            "test_acc": acc,
            "test_acc_16": acc16,
        },
        tc.out,
    )


if __name__ == "__main__":
    main()
