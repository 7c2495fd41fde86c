"""Train poet-at on the Tang-poetry split, with the shared loop (models/common/train_loop.py).

    /usr/bin/python3 models/poet-at/train.py --resume --steps 12000 > models/poet-at/train.log 2>&1 &   # continue
    /usr/bin/python3 models/poet-at/train.py --time-steps 20          # time a few steps, then exit
    /usr/bin/python3 models/poet-at/train.py --eval-only              # val + test perplexity of model.safetensors
    /usr/bin/python3 models/poet-at/export.py                         # best weights -> model.safetensors + golden

Loss: example <bos> <form> c1 .. cN <eos>; cross-entropy on the targets c1 .. cN, <eos> (predicted from positions
1 .. N+1). The form token itself is not predicted: it is a given condition. Validation ("val" for early stopping)
is the per-token NLL on the val split.
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from common import train_loop  # noqa: E402
from common.safetensors_io import read  # noqa: E402
from common.text import (
    CACHE_DIR,
    CharTokenizer,
    length_bucketed_batches,
    load_splits,
    load_tensors,
    transformer_tensors,
)  # noqa: E402
from export import load_exported  # noqa: E402
from model import GPT, GPTConfig  # noqa: E402

NAME = "poet-at"
DEFAULTS = train_loop.TrainConfig(
    steps=12000,
    batch_size=32,
    lr=1e-3,
    min_lr=5e-5,
    warmup=200,
    weight_decay=0.1,
    seed=1337,
    eval_every=500,
    patience=4,
)


def make_batch(examples, idx, tok):
    """-> tokens [B, T] and targets [B, T] (-100 = ignored), T = longest example in the batch."""
    seqs = [[tok.bos, examples[i][0]] + examples[i][1] + [tok.eos] for i in idx]
    T = max(len(s) for s in seqs) - 1
    x = torch.full((len(seqs), T), tok.pad, dtype=torch.long)
    y = torch.full((len(seqs), T), -100, dtype=torch.long)
    for r, s in enumerate(seqs):
        x[r, : len(s) - 1] = torch.tensor(s[:-1])
        y[r, 1 : len(s) - 1] = torch.tensor(s[2:])  # position 0 (<bos>) would predict the form: not counted
    return x, y


@torch.no_grad()
def evaluate(model, examples, tok, batch_size=64):
    """Per-token NLL over c1 .. cN and <eos> (chars, '，', '。', '\\n', <eos>: N+1 tokens per poem).
    -> {"nll", "ppl", "tokens", "nll_chars_only", "ppl_chars_only"}; chars_only counts Chinese characters only."""
    tot, n, tot_c, n_c = 0.0, 0, 0.0, 0
    device = next(model.parameters()).device
    order = sorted(range(len(examples)), key=lambda i: len(examples[i][1]))
    for b in range(0, len(order), batch_size):
        x, y = (t.to(device) for t in make_batch(examples, order[b : b + batch_size], tok))
        nll = F.cross_entropy(model(x).flatten(0, 1), y.flatten(), ignore_index=-100, reduction="none").view(
            y.shape
        )  # [B, T]
        valid = y != -100
        char = valid & (y >= 15)  # ids >= 15 are characters (after specials, forms, '，' '。')
        tot += nll[valid].sum().item()
        n += int(valid.sum())
        tot_c += nll[char].sum().item()
        n_c += int(char.sum())
    return {
        "nll": tot / n,
        "ppl": math.exp(tot / n),
        "tokens": n,
        "nll_chars_only": tot_c / n_c,
        "ppl_chars_only": math.exp(tot_c / n_c),
        "chars": n_c,
    }


def load_committed(model):
    tensors, _ = read(os.path.join(HERE, "model.safetensors"))
    load_tensors(transformer_tensors(model), tensors)


def eval_only(tok, data):
    """Val and test perplexity and the card's samples of the exported weights (what the page loads; a fresh
    machine has no training checkpoint) -> models/data/cache/poet-at-eval.json."""
    model, _, meta = load_exported(os.path.join(HERE, "model.safetensors"))
    report = {"weights": "models/poet-at/model.safetensors", "config": meta["config"]}
    for s in ("val", "test"):
        report[s] = evaluate(model, data[s], tok)
        print(s, report[s], flush=True)
    gen = torch.Generator().manual_seed(7)
    samples = []
    for form, first in (
        ("wuyan-jueju", "春"),
        ("qiyan-jueju", "月"),
        ("wuyan-lvshi", "山"),
        ("qiyan-lvshi", "秋"),
        ("free", "江"),
    ):
        prompt = [tok.bos, tok.forms[form], tok.index[first]]
        greedy = model.generate_greedy(prompt, 125, tok.eos)
        sampled = model.sample(prompt, 125, tok.eos, temperature=0.8, top_k=40, gen=gen)
        samples.append(
            {
                "form": form,
                "prompt": first,
                "greedy": first + tok.decode(greedy),
                "sampled_t0.8_top40_seed7": first + tok.decode(sampled),
            }
        )
        print(samples[-1], flush=True)
    report["samples"] = samples
    with open(os.path.join(CACHE_DIR, "poet-at-eval.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)


def main():
    ap = argparse.ArgumentParser()
    train_loop.add_arguments(ap, DEFAULTS)
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--dropout", type=float, default=0.1)
    args = ap.parse_args()
    tok = CharTokenizer.load()
    data = load_splits(tok)
    if args.eval_only:
        return eval_only(tok, data)
    tc = train_loop.config_from_args(args)
    model = GPT(GPTConfig(vocab_size=len(tok), dropout=args.dropout))
    train, lengths, batches = data["train"], [len(e[1]) for e in data["train"]], []

    def next_batch(gen):
        if not batches:
            batches.extend(length_bucketed_batches(lengths, tc.batch_size, gen))
        return make_batch(train, batches.pop(), tok)

    def loss(model, batch):
        x, y = batch
        return F.cross_entropy(model(x).flatten(0, 1), y.flatten(), ignore_index=-100)

    def validate(model):
        ev = evaluate(model, data["val"], tok)
        return {"val": ev["nll"], "val_ppl": ev["ppl"], "val_ppl_chars": ev["ppl_chars_only"]}

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
