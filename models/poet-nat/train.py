"""Train poet-nat (CMLM + length head, with the fixed-length-with-END mode) on the Tang-poetry split.

    /usr/bin/python3 models/poet-nat/train.py --steps 3000          # train (one CPU thread)
    /usr/bin/python3 models/poet-nat/train.py --time-steps 20       # time a few steps, then exit
    /usr/bin/python3 models/poet-nat/train.py --eval-only           # val + test metrics of the checkpoint

Each epoch every poem gets a mode at random (50/50; poems longer than max_len_fixed always length mode),
batches hold one mode each (so fixed-mode batches need no padding).
Masking (CMLM): k ~ Uniform{1..M} of the M target positions (M = L in length mode, N in fixed mode, <eos>
positions included) are replaced by <mask>; loss = mean CE over masked positions
+ length_weight * CE(length_logits(<len> <form>), min(L, max_len)) on length-mode examples, where the length
logits come from a SEPARATE forward of just the 2 tokens <len> <form> (in the full sequence position 0 would
see, and simply count, the L target positions).
Checkpoint: models/data/cache/poet-nat.pt (atomic, every --ckpt-every steps and at the end).
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
from model import CMLM, CMLMConfig  # noqa: E402

CKPT = os.path.join(CACHE_DIR, "poet-nat.pt")
LENGTH, FIXED = 0, 1


@dataclass
class TrainConfig:
    steps: int = 3000
    batch_size: int = 32
    lr: float = 1.5e-3
    min_lr: float = 1e-4
    warmup: int = 200
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    length_weight: float = 0.1
    seed: int = 4242
    eval_every: int = 500
    ckpt_every: int = 250


def make_batch(examples, idx, mode, cfg, tok, gen):
    """-> x [B, T] (with <mask>s), y [B, T] (-100 except at masked positions), key_valid [B, T], lengths [B]."""
    rows, lengths = [], []
    for i in idx:
        form, ys = examples[i]
        lengths.append(min(len(ys), cfg.max_len))
        if mode == LENGTH:
            rows.append([tok.len, form] + ys[:cfg.max_len])
        else:
            rows.append([tok.fixed, form] + ys + [tok.eos] * (cfg.max_len_fixed - len(ys)))
    T = max(len(r) for r in rows)
    x = torch.full((len(rows), T), tok.pad, dtype=torch.long)
    y = torch.full((len(rows), T), -100, dtype=torch.long)
    for r, row in enumerate(rows):
        row = torch.tensor(row)
        M = len(row) - 2
        k = int(torch.randint(1, M + 1, (1,), generator=gen))
        pos = 2 + torch.randperm(M, generator=gen)[:k]
        x[r, :len(row)] = row
        y[r, pos] = row[pos]
        x[r, pos] = tok.mask
    return x, y, x != tok.pad, torch.tensor(lengths)


def loss_fn(model, x, y, key_valid, lengths, mode, tc):
    h = model.hidden(x, key_valid)  # [B, T, d]
    sel = y != -100
    logits = h[sel] @ model.tok_emb.weight.t()  # [n_masked, V]: only masked positions are scored
    tok_loss = F.cross_entropy(logits, y[sel])
    len_loss = torch.zeros(())
    if mode == LENGTH:  # separate forward of the 2-token prefix <len> <form>: see length_logits() in model.py
        len_loss = F.cross_entropy(model.length_logits(x[:, :2]), lengths)
    return tok_loss + tc.length_weight * len_loss, tok_loss, len_loss


@torch.no_grad()
def evaluate(model, examples, tok, seed=0, batch_size=64):
    """Deterministic (seeded) CMLM masking as in training, both modes over every example (fixed mode only for
    L <= N). -> masked-token NLL/accuracy per mode, length-head accuracy (exact, within +-2) in length mode, over
    all poems and over <free> poems only (for the four regular forms the form token fixes L)."""
    cfg = model.cfg
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for mode, name in ((LENGTH, "length"), (FIXED, "fixed")):
        idx = [i for i in range(len(examples)) if mode == LENGTH or len(examples[i][1]) <= cfg.max_len_fixed]
        idx.sort(key=lambda i: len(examples[i][1]))
        nll, correct, n, len_exact, len_pm2, n_len, len_nll = 0.0, 0, 0, 0, 0, 0, 0.0
        free_exact, free_pm2, n_free = 0, 0, 0
        for b in range(0, len(idx), batch_size):
            x, y, kv, lengths = make_batch(examples, idx[b:b + batch_size], mode, cfg, tok, gen)
            h = model.hidden(x, kv)
            sel = y != -100
            logits = h[sel] @ model.tok_emb.weight.t()
            nll += F.cross_entropy(logits, y[sel], reduction="sum").item()
            correct += int((logits.argmax(-1) == y[sel]).sum())
            n += int(sel.sum())
            if mode == LENGTH:
                ll = model.length_logits(x[:, :2])
                free = x[:, 1] == tok.forms["free"]
                pred_f, len_f = ll[free].argmax(-1), lengths[free]
                free_exact += int((pred_f == len_f).sum())
                free_pm2 += int(((pred_f - len_f).abs() <= 2).sum())
                n_free += int(free.sum())
                pred = ll.argmax(-1)
                len_exact += int((pred == lengths).sum())
                len_pm2 += int(((pred - lengths).abs() <= 2).sum())
                len_nll += F.cross_entropy(ll, lengths, reduction="sum").item()
                n_len += len(lengths)
        out[name] = {"masked_nll": nll / n, "masked_acc": correct / n, "masked_tokens": n, "examples": len(idx)}
        if mode == LENGTH:
            out[name].update(length_acc=len_exact / n_len, length_acc_pm2=len_pm2 / n_len, length_nll=len_nll / n_len,
                             free_length_acc=free_exact / max(1, n_free),
                             free_length_acc_pm2=free_pm2 / max(1, n_free), free_examples=n_free)
    model.train()
    return out


@torch.no_grad()
def samples(model, tok, iterations=10):
    """Mask-predict samples for the model card: free generation (length mode with the argmax length, and fixed
    mode cut at the first <eos>), an acrostic and a fill-in-the-blank."""
    M, out = tok.mask, []

    def show(ids):
        ids = ids[2:]
        return tok.decode(ids[:ids.index(tok.eos)] if tok.eos in ids else ids)

    for form in ("wuyan-jueju", "qiyan-jueju", "wuyan-lvshi"):
        f = tok.forms[form]
        L = int(model.length_logits(torch.tensor([[tok.len, f]]))[0].argmax())
        out.append({"mode": "length", "form": form, "predicted_length": L,
                    "one_pass": show(model.mask_predict([tok.len, f] + [M] * L, M, 1)),
                    "mask_predict_10": show(model.mask_predict([tok.len, f] + [M] * L, M, iterations))})
        seq = [tok.fixed, f] + [M] * model.cfg.max_len_fixed
        out.append({"mode": "fixed", "form": form, "one_pass": show(model.mask_predict(seq, M, 1)),
                    "mask_predict_10": show(model.mask_predict(seq, M, iterations))})
    # acrostic (藏头诗): wuyan jueju, heads 春 夏 秋 冬; punctuation and newline given too
    heads = "春夏秋冬"
    text = "".join(h + "\uff3f" * 4 + ("，" if i % 2 == 0 else "。") + ("\n" if i == 1 else "") for i, h in enumerate(heads))
    seq = [tok.len, tok.forms["wuyan-jueju"]] + [M if ch == "\uff3f" else tok.index[ch] for ch in text]
    out.append({"mode": "length", "task": "acrostic 春夏秋冬", "mask_predict_10": show(model.mask_predict(seq, M, iterations))})
    # fill in the blank: 静夜思 with the middle of each line masked
    poem = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"
    seq, col = [tok.len, tok.forms["wuyan-jueju"]], 0
    for ch in poem:  # mask the 3rd and 4th character of every line
        seq.append(M if col in (2, 3) else tok.index[ch])
        col = 0 if ch in "，。\n" else col + 1
    out.append({"mode": "length", "task": "fill-in " + show(seq).replace("<mask>", "＿"),
                "mask_predict_10": show(model.mask_predict(seq, M, iterations))})
    for o in out:
        print(o, flush=True)
    return out


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
    torch.set_flush_denormal(True)  # tiny CMLM gradients hit float32 denormals, which are ~10x slower on x86
    tok = CharTokenizer.load()
    data = load_splits(tok)

    if args.eval_only:
        ck = torch.load(CKPT)
        model = CMLM(CMLMConfig(**ck["config"]))
        model.load_state_dict(ck["model"])
        model.eval()
        report = {"step": ck["step"], "wall_seconds": ck["wall_seconds"], "history": ck["history"],
                  "resumed": ck.get("resumed", []), "params": ck["params"]}
        for s in ("val", "test"):
            report[s] = evaluate(model, data[s], tok)
            print(s, report[s], flush=True)
        report["samples"] = samples(model, tok)
        with open(os.path.join(CACHE_DIR, "poet-nat-eval.json"), "w", encoding="utf-8") as f:
            json.dump(report, f, ensure_ascii=False, indent=1)
        return

    tc = TrainConfig(steps=args.steps)
    cfg = CMLMConfig(vocab_size=len(tok), d_model=args.d_model, n_layers=args.n_layers, d_ff=args.d_ff)
    torch.manual_seed(tc.seed)
    gen = torch.Generator().manual_seed(tc.seed)
    model = CMLM(cfg)
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
    batches, t0, step, epoch = [], time.time(), start, 0
    total = args.time_steps or tc.steps
    while step < total:
        if not batches:
            coin = torch.rand(len(train), generator=gen).tolist()
            for mode in (LENGTH, FIXED):
                idx = [i for i, e in enumerate(train) if (mode == FIXED) == (coin[i] < 0.5 and len(e[1]) <= cfg.max_len_fixed)]
                lens = [len(train[i][1]) for i in idx]
                batches += [(mode, [idx[j] for j in b]) for b in length_bucketed_batches(lens, tc.batch_size, gen)]
            batches = [batches[i] for i in torch.randperm(len(batches), generator=gen).tolist()]
            epoch += 1
        mode, idx = batches.pop()
        x, y, kv, lengths = make_batch(train, idx, mode, cfg, tok, gen)
        lr = cosine_lr(step, tc.steps, tc.warmup, tc.lr, tc.min_lr)
        if step < ramp_end:
            lr *= (step - start + 1) / (ramp_end - start)
        for g in opt.param_groups:
            g["lr"] = lr
        loss, tok_loss, len_loss = loss_fn(model, x, y, kv, lengths, mode, tc)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
        opt.step()
        step += 1
        if step % 50 == 0 or args.time_steps:
            print(f"step {step} epoch {epoch} mode {'LF'[mode]} loss {loss.item():.4f} tok {tok_loss.item():.4f} "
                  f"len {len_loss.item():.4f} lr {lr:.2e} {(time.time() - t0) / (step - start):.3f}s/step "
                  f"elapsed {time.time() - t0:.0f}s", flush=True)
        if args.time_steps:
            continue
        if step % tc.eval_every == 0 or step == tc.steps:
            ev = evaluate(model, data["val"], tok)
            history.append({"step": step, "train_loss": loss.item(), "val": ev, "elapsed": prev_wall + time.time() - t0})
            print(f"EVAL {history[-1]}", flush=True)
        if step % tc.ckpt_every == 0 or step == tc.steps:
            save_atomic({"config": asdict(cfg), "train_config": asdict(tc), "model": model.state_dict(),
                         "step": step, "epoch": epoch, "history": history, "params": n_params,
                         "optimizer": opt.state_dict(), "resumed": resumed,
                         "wall_seconds": prev_wall + time.time() - t0, "threads": torch.get_num_threads()}, CKPT)
    print(f"done {step} steps in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
