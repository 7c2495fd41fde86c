"""Train poet-at on the Tang-poetry split.

    /usr/bin/python3 models/poet-at/train.py --steps 6000             # train (one CPU thread)
    /usr/bin/python3 models/poet-at/train.py --time-steps 20          # time a few steps, then exit
    /usr/bin/python3 models/poet-at/train.py --eval-only              # val + test perplexity of the checkpoint

Checkpoint: models/data/cache/poet-at.pt = {"config", "train_config", "model", "step", "history", ...}, written
atomically every --ckpt-every steps and at the end.

Loss: example <bos> <form> c1 .. cN <eos>; cross-entropy on the targets c1 .. cN, <eos> (predicted from positions
1 .. N+1). The form token itself is not predicted: it is a given condition.
"""
import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from common.text import (CACHE_DIR, CharTokenizer, cosine_lr, length_bucketed_batches, load_splits,  # noqa: E402
                         make_optimizer, save_atomic)
from model import GPT, GPTConfig  # noqa: E402

CKPT = os.path.join(CACHE_DIR, "poet-at.pt")


@dataclass
class TrainConfig:
    steps: int = 6000
    batch_size: int = 32
    lr: float = 1.5e-3
    min_lr: float = 1e-4
    warmup: int = 200
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    seed: int = 1337
    eval_every: int = 500
    ckpt_every: int = 250


def make_batch(examples, idx, tok):
    """-> tokens [B, T] and targets [B, T] (-100 = ignored), T = longest example in the batch."""
    seqs = [[tok.bos, examples[i][0]] + examples[i][1] + [tok.eos] for i in idx]
    T = max(len(s) for s in seqs) - 1
    x = torch.full((len(seqs), T), tok.pad, dtype=torch.long)
    y = torch.full((len(seqs), T), -100, dtype=torch.long)
    for r, s in enumerate(seqs):
        x[r, :len(s) - 1] = torch.tensor(s[:-1])
        y[r, 1:len(s) - 1] = torch.tensor(s[2:])  # position 0 (<bos>) would predict the form: not counted
    return x, y


@torch.no_grad()
def evaluate(model, examples, tok, batch_size=64):
    """Per-token NLL over c1 .. cN and <eos> (chars, '，', '。', '\\n', <eos>: N+1 tokens per poem).
    -> {"nll", "ppl", "tokens", "nll_chars_only", "ppl_chars_only"}; chars_only counts Chinese characters only."""
    model.eval()
    tot, n, tot_c, n_c = 0.0, 0, 0.0, 0
    order = sorted(range(len(examples)), key=lambda i: len(examples[i][1]))
    for b in range(0, len(order), batch_size):
        x, y = make_batch(examples, order[b:b + batch_size], tok)
        nll = F.cross_entropy(model(x).flatten(0, 1), y.flatten(), ignore_index=-100,
                              reduction="none").view(y.shape)  # [B, T]
        valid = y != -100
        char = valid & (y >= 15)  # ids >= 15 are characters (after specials, forms, '，' '。')
        tot += nll[valid].sum().item()
        n += int(valid.sum())
        tot_c += nll[char].sum().item()
        n_c += int(char.sum())
    model.train()
    return {"nll": tot / n, "ppl": math.exp(tot / n), "tokens": n,
            "nll_chars_only": tot_c / n_c, "ppl_chars_only": math.exp(tot_c / n_c), "chars": n_c}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=TrainConfig.steps)
    ap.add_argument("--time-steps", type=int, default=0)
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--resume", action="store_true",
                    help="continue from the checkpoint's model (and optimizer state if saved) up to --steps; the "
                         "cosine schedule is recomputed for the new total; data order reseeded with seed + step")
    ap.add_argument("--resume-warmup", type=int, default=50,
                    help="linear LR ramp after resuming without optimizer state (fresh Adam moments)")
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--n-layers", type=int, default=4)
    ap.add_argument("--d-ff", type=int, default=688)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)  # tiny gradients can hit float32 denormals, which are very slow on x86
    tok = CharTokenizer.load()
    data = load_splits(tok)

    if args.eval_only:
        ck = torch.load(CKPT)
        model = GPT(GPTConfig(**ck["config"]))
        model.load_state_dict(ck["model"])
        model.eval()
        report = {"step": ck["step"], "wall_seconds": ck["wall_seconds"], "history": ck["history"],
                  "resumed": ck.get("resumed", []), "params": ck["params"]}
        for s in ("val", "test"):
            report[s] = evaluate(model, data[s], tok)
            print(s, report[s], flush=True)
        gen = torch.Generator().manual_seed(7)
        samples = []
        for form, first in (("wuyan-jueju", "春"), ("qiyan-jueju", "月"), ("wuyan-lvshi", "山"), ("qiyan-lvshi", "秋"),
                            ("free", "江")):
            prompt = [tok.bos, tok.forms[form], tok.index[first]]
            greedy = model.generate_greedy(prompt, 125, tok.eos)
            sampled = model.sample(prompt, 125, tok.eos, temperature=0.8, top_k=40, gen=gen)
            samples.append({"form": form, "prompt": first, "greedy": first + tok.decode(greedy),
                            "sampled_t0.8_top40_seed7": first + tok.decode(sampled)})
            print(samples[-1], flush=True)
        report["samples"] = samples
        with open(os.path.join(CACHE_DIR, "poet-at-eval.json"), "w", encoding="utf-8") as f:
            json.dump(report, f, ensure_ascii=False, indent=1)
        return

    tc = TrainConfig(steps=args.steps)
    cfg = GPTConfig(vocab_size=len(tok), d_model=args.d_model, n_layers=args.n_layers, d_ff=args.d_ff)
    torch.manual_seed(tc.seed)
    gen = torch.Generator().manual_seed(tc.seed)
    model = GPT(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"config {asdict(cfg)}\ntrain {asdict(tc)}\nparams {n_params}", flush=True)
    opt = make_optimizer(model, tc.lr, tc.weight_decay)
    start, history, resumed = 0, [], []
    if args.resume:
        ck = torch.load(CKPT)
        model.load_state_dict(ck["model"])
        start, history, resumed = ck["step"], ck["history"], ck.get("resumed", [])
        if "optimizer" in ck:
            opt.load_state_dict(ck["optimizer"])
        resumed.append({"from_step": start, "new_total": tc.steps, "optimizer_state": "optimizer" in ck,
                        "previous_wall_seconds": ck["wall_seconds"]})
        gen.manual_seed(tc.seed + start)
        print(f"resumed at step {start}: {resumed[-1]}", flush=True)
    prev_wall = resumed[-1]["previous_wall_seconds"] if resumed else 0.0
    ramp_end = start + (0 if (not resumed or resumed[-1]["optimizer_state"]) else args.resume_warmup)
    train = data["train"]
    lengths = [len(e[1]) for e in train]
    batches, t0, step, epoch = [], time.time(), start, 0
    total = args.time_steps or tc.steps
    while step < total:
        if not batches:
            batches = length_bucketed_batches(lengths, tc.batch_size, gen)
            epoch += 1
        x, y = make_batch(train, batches.pop(), tok)
        lr = cosine_lr(step, tc.steps, tc.warmup, tc.lr, tc.min_lr)
        if step < ramp_end:
            lr *= (step - start + 1) / (ramp_end - start)
        for g in opt.param_groups:
            g["lr"] = lr
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten(), ignore_index=-100)  # [B*T, V] contiguous: fast log_softmax
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
        opt.step()
        step += 1
        if step % 50 == 0 or args.time_steps:
            print(f"step {step} epoch {epoch} loss {loss.item():.4f} lr {lr:.2e} "
                  f"{(time.time() - t0) / (step - start):.3f}s/step elapsed {time.time() - t0:.0f}s", flush=True)
        if args.time_steps:
            continue
        entry = None
        if step % tc.eval_every == 0 or step == tc.steps:
            ev = evaluate(model, data["val"], tok)
            entry = {"step": step, "train_loss": loss.item(), "val_nll": ev["nll"], "val_ppl": ev["ppl"],
                     "elapsed": prev_wall + time.time() - t0}
            history.append(entry)
            print(f"EVAL {entry}", flush=True)
        if step % tc.ckpt_every == 0 or step == tc.steps:
            save_atomic({"config": asdict(cfg), "train_config": asdict(tc), "model": model.state_dict(),
                         "step": step, "epoch": epoch, "history": history, "params": n_params,
                         "optimizer": opt.state_dict(), "resumed": resumed,
                         "wall_seconds": prev_wall + time.time() - t0, "threads": torch.get_num_threads()}, CKPT)
    print(f"done {step} steps in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
