"""Train pixnat (MaskGIT-style masked-pixel model) on Fashion-MNIST (CPU, one thread).

    cd /work/main && PYTHONPATH=. nohup /usr/bin/python3 models/pixnat/train.py > models/pixnat/train.log 2>&1 &

Loss: per image a mask ratio cos(pi/2 r), r ~ U(0,1); cross-entropy (nats) on the masked pixels only.
Writes models/pixnat/ckpt.pt ({"model_config", "train_config", "model", "step"}).
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
from models.pixnat.model import PixNAT, PixNATConfig  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class TrainConfig:
    seed: int = 1234
    batch_size: int = 32
    steps: int = 2400            # ~1.3 epochs; measured ~0.67 s/step on an idle core (C=64, 8 blocks)
    lr: float = 2e-3
    min_lr: float = 1e-4
    warmup: int = 100
    grad_clip: float = 1.0
    weight_decay: float = 0.0
    log_every: int = 50
    eval_every: int = 500
    eval_images: int = 1000
    ckpt_every: int = 250
    out: str = os.path.join(HERE, "ckpt.pt")


def lr_at(step, tc):
    if step < tc.warmup:
        return tc.lr * (step + 1) / tc.warmup
    t = (step - tc.warmup) / max(1, tc.steps - tc.warmup)
    return tc.min_lr + 0.5 * (tc.lr - tc.min_lr) * (1 + math.cos(math.pi * t))


@torch.no_grad()
def eval_loss(model, images, labels, seed=0, batch=100):
    """masked-pixel CE (nats) on test images with a fixed-seed mask draw (same masks every eval)."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    total = 0.0
    for i in range(0, len(images), batch):
        total += model.loss(images[i:i + batch], labels[i:i + batch], generator=gen).item() * len(images[i:i + batch])
    model.train()
    return total / len(images)


def main():
    torch.set_num_threads(1)
    mc, tc = PixNATConfig(), TrainConfig()
    for arg in sys.argv[1:]:                       # overrides: key=value (TrainConfig fields), for smoke tests
        k, v = arg.split("=", 1)
        setattr(tc, k, type(getattr(tc, k))(v))
    torch.manual_seed(tc.seed)
    xtr, ytr = fashion_mnist.load("train")
    xte, yte = fashion_mnist.load("test")
    xtr = torch.from_numpy(fashion_mnist.quantise(xtr, mc.levels))
    xte = torch.from_numpy(fashion_mnist.quantise(xte, mc.levels))
    ytr, yte = torch.from_numpy(ytr), torch.from_numpy(yte)
    model = PixNAT(mc)
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
        loss = model.loss(xtr[idx], ytr[idx], generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
        opt.step()
        run_loss += loss.item()
        if (step + 1) % tc.log_every == 0:
            el = time.time() - t0
            print(f"step {step + 1} train_masked_ce {run_loss / tc.log_every:.4f} lr {lr_at(step, tc):.2e} "
                  f"{el / (step + 1):.3f}s/step elapsed {el / 60:.1f}min", flush=True)
            run_loss = 0.0
        if (step + 1) % tc.eval_every == 0 or step + 1 == tc.steps:
            print(f"step {step + 1} test_masked_ce({tc.eval_images} imgs) "
                  f"{eval_loss(model, xte[:tc.eval_images], yte[:tc.eval_images]):.4f}", flush=True)
        if (step + 1) % tc.ckpt_every == 0 or step + 1 == tc.steps:
            save(step + 1)
    print(f"done in {(time.time() - t0) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
