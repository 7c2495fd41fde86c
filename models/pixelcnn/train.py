"""Train the class-conditional Gated PixelCNN on Fashion-MNIST with the shared loop (models/common/train_loop.py).

    cd /work/main && PYTHONPATH=. nohup /usr/bin/python3 models/pixelcnn/train.py > models/pixelcnn/train.log 2>&1 &
    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/pixelcnn/train.py --resume ...    # continue a run

Data: the 60k training images minus the last 5,000, which are the validation set (early stopping looks at the
first `VAL_IMAGES` of them); the 10k test images are only read by sample.py --bpd. Loss: per-pixel NLL over
`levels` grey levels (nats); "val" = validation bits/dim.
"""
import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from models.common import fashion_mnist, train_loop  # noqa: E402
from models.pixelcnn.model import GatedPixelCNN, PixelCNNConfig  # noqa: E402

NAME = "pixelcnn"
VAL_IMAGES = 1000
DEFAULTS = train_loop.TrainConfig(
    steps=8000, batch_size=32, lr=2e-3, min_lr=1e-4, warmup=100, weight_decay=0.0, seed=1234, eval_every=500, patience=4
)


@torch.no_grad()
def bits_per_dim(model, images, labels, batch=100):
    device = next(model.parameters()).device
    total = 0.0
    for i in range(0, len(images), batch):
        x, c = images[i : i + batch].to(device), labels[i : i + batch].to(device)
        total += model.nll(x, c).item() * len(x)
    return total / len(images) / math.log(2)


def main():
    ap = argparse.ArgumentParser()
    train_loop.add_arguments(ap, DEFAULTS)
    args = ap.parse_args()
    tc = train_loop.config_from_args(args)
    mc = PixelCNNConfig()
    print(f"model {mc}", flush=True)
    (xtr, ytr), (xva, yva) = fashion_mnist.train_val_split(mc.levels, VAL_IMAGES)
    indices = train_loop.shuffled_batches(len(xtr), tc.batch_size)

    def next_batch(gen):
        idx = indices(gen)
        return xtr[idx], ytr[idx]

    def loss(model, batch):
        return model.nll(*batch)

    def validate(model):
        return {"val": bits_per_dim(model, xva, yva)}

    def load_committed(model):
        from models.pixelcnn.export import load_exported

        model.load_state_dict(load_exported().state_dict())

    torch.manual_seed(tc.seed)  # the initial weights
    train_loop.train(
        NAME,
        GatedPixelCNN(mc),
        tc,
        next_batch,
        loss,
        validate,
        load_committed,
        resume=args.resume,
        time_steps=args.time_steps,
        log=lambda m: print(m, flush=True),
    )


if __name__ == "__main__":
    main()
