"""Train pixnat (MaskGIT-style masked-pixel model) on Fashion-MNIST with the shared loop (models/common/train_loop.py).

    cd /work/main && PYTHONPATH=. nohup /usr/bin/python3 models/pixnat/train.py > models/pixnat/train.log 2>&1 &
    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/pixnat/train.py --resume ...     # continue a run
    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/pixnat/train.py --time-steps 20  # time a few steps, then exit
    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/pixnat/train.py --test           # the exported model's test loss
    cd /work/main && PYTHONPATH=. /usr/bin/python3 models/pixnat/export.py                 # best weights -> safetensors

Data: the 60k training images minus the last 5,000, which are the validation set (early stopping looks at the
first `VAL_IMAGES` of them); the 10k test images are read only by `--test`. Loss: per image a mask ratio cos(pi/2 r),
r ~ U(0,1) (model.random_mask, drawn with the loop's generator); cross-entropy (nats) on the masked pixels only.
"val" = the same masked-pixel cross-entropy per masked pixel on the validation images, masks drawn with seed
`VAL_MASK_SEED` (the same masks every evaluation).
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from models.common import fashion_mnist, train_loop  # noqa: E402
from models.pixnat.export import load_exported  # noqa: E402
from models.pixnat.model import PixNAT, PixNATConfig, random_mask  # noqa: E402

NAME = "pixnat"
VAL_IMAGES = 1000
VAL_MASK_SEED = 0
DEFAULTS = train_loop.TrainConfig(
    steps=2400, batch_size=32, lr=2e-3, min_lr=1e-4, warmup=100, weight_decay=0.0, seed=1234, eval_every=500, patience=4
)


@torch.no_grad()
def masked_nll(model, images, labels, batch=100):
    """Mean cross-entropy (nats) per masked pixel over `images`, masks from random_mask with VAL_MASK_SEED."""
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(VAL_MASK_SEED)
    total, count = 0.0, 0
    for i in range(0, len(images), batch):
        x, c = images[i : i + batch], labels[i : i + batch]
        masked = random_mask(*x.shape, generator=gen)
        n = int(masked.sum())
        total += model.loss(x.to(device), c.to(device), masked.to(device)).item() * n
        count += n
    return total / count


def main():
    ap = argparse.ArgumentParser()
    train_loop.add_arguments(ap, DEFAULTS)
    ap.add_argument(
        "--test",
        action="store_true",
        help="print the exported model's masked-pixel cross-entropy on the 10,000 test images, then exit",
    )
    args = ap.parse_args()
    tc = train_loop.config_from_args(args)
    mc = PixNATConfig()
    if args.test:
        torch.set_num_threads(tc.threads)
        model = load_exported()
        x, y = fashion_mnist.load("test")
        x, y = torch.from_numpy(fashion_mnist.quantise(x, mc.levels)), torch.from_numpy(y)
        print(f"test masked-pixel cross-entropy {masked_nll(model, x, y):.4f} nats ({len(x)} test images)")
        return
    print(f"model {mc}", flush=True)
    (xtr, ytr), (xva, yva) = fashion_mnist.train_val_split(mc.levels, VAL_IMAGES)
    torch.manual_seed(tc.seed)
    model = PixNAT(mc)
    indices = train_loop.shuffled_batches(len(xtr), tc.batch_size)

    def next_batch(gen):
        idx = indices(gen)
        return xtr[idx], ytr[idx], random_mask(len(idx), mc.height, mc.width, generator=gen)

    def loss(model, batch):
        return model.loss(*batch)

    def validate(model):
        return {"val": masked_nll(model, xva, yva)}

    def load_committed(model):
        committed = load_exported()
        if committed.cfg != model.cfg:
            raise ValueError(f"model.safetensors holds {committed.cfg}, not {model.cfg}")
        model.load_state_dict(committed.state_dict())

    train_loop.train(
        NAME,
        model,
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
