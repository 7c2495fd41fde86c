"""Train the class-conditional Gated PixelCNN on Fashion-MNIST (CPU, one thread).

    cd /work/main && PYTHONPATH=. nohup /usr/bin/python3 models/pixelcnn/train.py > models/pixelcnn/train.log 2>&1 &

Writes models/pixelcnn/ckpt.pt ({"model_config", "train_config", "model", "step"}) every `ckpt_every` steps
and at the end. Loss is the per-pixel NLL over `levels` grey levels; bits/dim = nats / ln 2.
"""
import dataclasses
import math
import os
import sys
import time
from dataclasses import dataclass

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from models.common import fashion_mnist  # noqa: E402
from models.pixelcnn.model import GatedPixelCNN, PixelCNNConfig  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class TrainConfig:
    seed: int = 1234
    batch_size: int = 32
    steps: int = 2000            # ~1.07 epochs of 60k; measured ~1.0 s/step on one thread (C=48, N=8)
    lr: float = 2e-3
    min_lr: float = 1e-4
    warmup: int = 100
    grad_clip: float = 1.0
    log_every: int = 50
    eval_every: int = 500
    eval_images: int = 500       # quick test-set estimate during training; the card uses all 10k (eval.py)
    ckpt_every: int = 250
    out: str = os.path.join(HERE, "ckpt.pt")


def lr_at(step, tc):
    if step < tc.warmup:
        return tc.lr * (step + 1) / tc.warmup
    t = (step - tc.warmup) / max(1, tc.steps - tc.warmup)
    return tc.min_lr + 0.5 * (tc.lr - tc.min_lr) * (1 + math.cos(math.pi * t))


@torch.no_grad()
def eval_bpd(model, images, labels, batch=100):
    model.eval()
    total = 0.0
    for i in range(0, len(images), batch):
        total += model.nll(images[i:i + batch], labels[i:i + batch]).item() * len(images[i:i + batch])
    model.train()
    return total / len(images) / math.log(2)


def main():
    torch.set_num_threads(1)
    mc, tc = PixelCNNConfig(), TrainConfig()
    for arg in sys.argv[1:]:                       # overrides: key=value (TrainConfig fields), for smoke tests
        k, v = arg.split("=", 1)
        setattr(tc, k, type(getattr(tc, k))(v))
    torch.manual_seed(tc.seed)
    xtr, ytr = fashion_mnist.load("train")
    xte, yte = fashion_mnist.load("test")
    xtr = torch.from_numpy(fashion_mnist.quantise(xtr, mc.levels))
    xte = torch.from_numpy(fashion_mnist.quantise(xte, mc.levels))
    ytr, yte = torch.from_numpy(ytr), torch.from_numpy(yte)
    model = GatedPixelCNN(mc)
    print(f"model {mc}\ntrain {tc}\nparams {sum(p.numel() for p in model.parameters())}", flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr)
    gen = torch.Generator().manual_seed(tc.seed)
    perm, pos = torch.randperm(len(xtr), generator=gen), 0
    t0, run_loss = time.time(), 0.0

    def save(step):
        torch.save({"model_config": dataclasses.asdict(mc), "train_config": dataclasses.asdict(tc),
                    "model": model.state_dict(), "step": step}, tc.out)

    for step in range(tc.steps):
        if pos + tc.batch_size > len(xtr):
            perm, pos = torch.randperm(len(xtr), generator=gen), 0
        idx = perm[pos:pos + tc.batch_size]
        pos += tc.batch_size
        for g in opt.param_groups:
            g["lr"] = lr_at(step, tc)
        loss = model.nll(xtr[idx], ytr[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
        opt.step()
        run_loss += loss.item()
        if (step + 1) % tc.log_every == 0:
            el = time.time() - t0
            print(f"step {step + 1} train_bpd {run_loss / tc.log_every / math.log(2):.4f} "
                  f"lr {lr_at(step, tc):.2e} {el / (step + 1):.3f}s/step elapsed {el / 60:.1f}min", flush=True)
            run_loss = 0.0
        if (step + 1) % tc.eval_every == 0 or step + 1 == tc.steps:
            bpd = eval_bpd(model, xte[:tc.eval_images], yte[:tc.eval_images])
            print(f"step {step + 1} test_bpd({tc.eval_images} imgs) {bpd:.4f}", flush=True)
        if (step + 1) % tc.ckpt_every == 0 or step + 1 == tc.steps:
            save(step + 1)
    print(f"done in {(time.time() - t0) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
