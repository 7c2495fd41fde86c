"""Train poet-nat (CMLM + length head, with the fixed-length-with-END mode) on the Tang-poetry split, with the
shared loop (models/common/train_loop.py).

    /usr/bin/python3 models/poet-nat/train.py > models/poet-nat/train.log 2>&1 &     # train from scratch (d 256)
    /usr/bin/python3 models/poet-nat/train.py --resume --d-model 192 --d-ff 512 >> models/poet-nat/train.log 2>&1 &
                                                    # continue the committed model (d 192, d_ff 512) up to --steps
    /usr/bin/python3 models/poet-nat/train.py --time-steps 20       # time a few steps, then exit (no checkpoint)
    /usr/bin/python3 models/poet-nat/train.py --eval-only           # val + test metrics and samples of model.safetensors
    /usr/bin/python3 models/poet-nat/export.py                      # best weights -> model.safetensors + golden

Each epoch every poem gets a mode at random (50/50; poems longer than max_len_fixed always length mode),
batches hold one mode each (so fixed-mode batches need no padding); the first token (<len> / <fixed>) says which.
Masking (CMLM): k ~ Uniform{1..M} of the M target positions (M = L in length mode, N in fixed mode, <eos>
positions included) are replaced by <mask>; loss = mean CE over masked positions
+ length_weight * CE(length_logits(<len> <form> y1 .. yk), min(L, max_len)) on length-mode batches, where the
length logits come from a SEPARATE forward of just <len> <form> and the poem's first k characters, k drawn
uniformly from 0 .. the first line's length (the prompt a user may type; in the full sequence position 0 would
see, and simply count, the L target positions).
--data raw|distilled|mixed: train on the poems, on poet-at's rewrites of them (sequence-level knowledge
distillation: models/poet-nat/distill.py), or on both.
Validation ("val" for early stopping): the masked-token NLL of the val split in length mode (masks drawn with
seed 0, the same every evaluation); with --data distilled, of poet-at's rewrites of the val poems
(distill.py --split val), the raw poems' report kept as "raw_val"; with --data mixed, the mean of the two
(the rewrites' report at the top level, the raw poems' as "raw_val"); the history keeps the whole report.
"""
import argparse
import collections
import json
import os
import random
import re
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from common import train_loop  # noqa: E402
from common.text import CACHE_DIR, CharTokenizer, length_bucketed_batches, load_splits  # noqa: E402
from export import NAME, load_exported  # noqa: E402
from model import CMLM, CMLMConfig, first_line_length  # noqa: E402

LENGTH, FIXED = 0, 1
DEFAULTS = train_loop.TrainConfig(
    steps=3000,
    batch_size=32,
    lr=1.5e-3,
    min_lr=1e-4,
    warmup=200,
    weight_decay=0.1,
    seed=4242,
    eval_every=500,
    patience=4,
    resume_warmup=50,
)


def make_batch(examples, idx, mode, cfg, tok, gen, prompt_chars=None):
    """-> x [B, T] (with <mask>s), y [B, T] (-100 except at masked positions), key_valid [B, T], lengths [B],
    prefix [B, P] and prefix_valid [B, P]: the length pass's input <len> <form> y1 .. yk, k drawn uniformly
    from 0 .. the first line's length (the prompt a user may type), or k = prompt_chars(ys) if given."""
    rows, lengths, prefixes = [], [], []
    for i in idx:
        form, ys = examples[i]
        lengths.append(min(len(ys), cfg.max_len))
        if mode == LENGTH:
            rows.append([tok.len, form] + ys[: cfg.max_len])
        else:
            rows.append([tok.fixed, form] + ys + [tok.eos] * (cfg.max_len_fixed - len(ys)))
        k = (
            prompt_chars(ys)
            if prompt_chars
            else int(torch.randint(0, first_line_length(ys, tok) + 1, (1,), generator=gen))
        )
        prefixes.append([tok.len, form] + ys[:k])
    T = max(len(r) for r in rows)
    x = torch.full((len(rows), T), tok.pad, dtype=torch.long)
    y = torch.full((len(rows), T), -100, dtype=torch.long)
    for r, row in enumerate(rows):
        row = torch.tensor(row)
        M = len(row) - 2
        k = int(torch.randint(1, M + 1, (1,), generator=gen))
        pos = 2 + torch.randperm(M, generator=gen)[:k]
        x[r, : len(row)] = row
        y[r, pos] = row[pos]
        x[r, pos] = tok.mask
    P = max(len(p) for p in prefixes)
    prefix = torch.full((len(rows), P), tok.pad, dtype=torch.long)
    for r, p in enumerate(prefixes):
        prefix[r, : len(p)] = torch.tensor(p)
    return x, y, x != tok.pad, torch.tensor(lengths), prefix, prefix != tok.pad


def epoch_batches(train, max_len_fixed, batch_size, gen):
    """One epoch of (mode, example indices) batches: a 50/50 mode per poem, length-bucketed within each mode,
    the batches of both modes shuffled together."""
    coin = torch.rand(len(train), generator=gen).tolist()
    batches = []
    for mode in (LENGTH, FIXED):
        idx = [i for i, e in enumerate(train) if (mode == FIXED) == (coin[i] < 0.5 and len(e[1]) <= max_len_fixed)]
        lens = [len(train[i][1]) for i in idx]
        batches += [(mode, [idx[j] for j in b]) for b in length_bucketed_batches(lens, batch_size, gen)]
    return [batches[i] for i in torch.randperm(len(batches), generator=gen).tolist()]


def loss_fn(model, batch, length_mode, length_weight):
    x, y, key_valid, lengths, prefix, prefix_valid = batch
    h = model.hidden(x, key_valid)  # [B, T, d]
    sel = y != -100
    logits = h[sel] @ model.tok_emb.weight.t()  # [n_masked, V]: only masked positions are scored
    loss = F.cross_entropy(logits, y[sel])
    if length_mode:  # separate forward of <len> <form> y1 .. yk: see length_logits() in model.py
        loss = loss + length_weight * F.cross_entropy(model.length_logits(prefix, prefix_valid), lengths)
    return loss


@torch.no_grad()
def evaluate(model, examples, tok, seed=0, batch_size=64):
    """Deterministic (seeded) CMLM masking as in training, both modes over every example (fixed mode only for
    L <= N). -> masked-token NLL/accuracy per mode, length-head accuracy (exact, within +-2) in length mode, over
    all poems and over <free> poems only (for the four regular forms the form token fixes L)."""
    cfg = model.cfg
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for mode, name in ((LENGTH, "length"), (FIXED, "fixed")):
        idx = [i for i in range(len(examples)) if mode == LENGTH or len(examples[i][1]) <= cfg.max_len_fixed]
        idx.sort(key=lambda i: len(examples[i][1]))
        nll, correct, n, len_exact, len_pm2, n_len, len_nll = 0.0, 0, 0, 0, 0, 0, 0.0
        free_exact, free_pm2, n_free = 0, 0, 0
        first_free_exact = 0
        for b in range(0, len(idx), batch_size):
            batch = make_batch(
                examples,
                idx[b : b + batch_size],
                mode,
                cfg,
                tok,
                gen,
                prompt_chars=lambda ys: first_line_length(ys, tok),
            )
            x, y, kv, lengths, prefix, prefix_valid = (t.to(device) for t in batch)
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
                given = model.length_logits(prefix, prefix_valid)[free].argmax(-1)
                first_free_exact += int((given == len_f).sum())
                pred = ll.argmax(-1)
                len_exact += int((pred == lengths).sum())
                len_pm2 += int(((pred - lengths).abs() <= 2).sum())
                len_nll += F.cross_entropy(ll, lengths, reduction="sum").item()
                n_len += len(lengths)
        out[name] = {"masked_nll": nll / n, "masked_acc": correct / n, "masked_tokens": n, "examples": len(idx)}
        if mode == LENGTH:
            out[name].update(
                length_acc=len_exact / n_len,
                length_acc_pm2=len_pm2 / n_len,
                length_nll=len_nll / n_len,
                free_length_acc=free_exact / max(1, n_free),
                free_length_acc_pm2=free_pm2 / max(1, n_free),
                free_examples=n_free,
                free_length_acc_first_line_given=first_free_exact / max(1, n_free),
            )
    return out


@torch.no_grad()
def samples(model, tok, iterations=10):
    """Mask-predict samples for the model card: free generation (length mode with the argmax length, and fixed
    mode cut at the first <eos>), an acrostic and a fill-in-the-blank."""
    M, out = tok.mask, []

    def show(ids):
        ids = ids[2:]
        return tok.decode(ids[: ids.index(tok.eos)] if tok.eos in ids else ids)

    for form in ("wuyan-jueju", "qiyan-jueju", "wuyan-lvshi"):
        f = tok.forms[form]
        L = int(model.length_logits(torch.tensor([[tok.len, f]]))[0].argmax())
        out.append(
            {
                "mode": "length",
                "form": form,
                "predicted_length": L,
                "one_pass": show(model.mask_predict([tok.len, f] + [M] * L, M, 1)),
                "mask_predict_10": show(model.mask_predict([tok.len, f] + [M] * L, M, iterations)),
            }
        )
        seq = [tok.fixed, f] + [M] * model.cfg.max_len_fixed
        out.append(
            {
                "mode": "fixed",
                "form": form,
                "one_pass": show(model.mask_predict(seq, M, 1)),
                "mask_predict_10": show(model.mask_predict(seq, M, iterations)),
            }
        )
    # acrostic (藏头诗): wuyan jueju, heads 春 夏 秋 冬; punctuation and newline given too
    heads = "春夏秋冬"
    text = "".join(
        h + "\uff3f" * 4 + ("，" if i % 2 == 0 else "。") + ("\n" if i == 1 else "") for i, h in enumerate(heads)
    )
    seq = [tok.len, tok.forms["wuyan-jueju"]] + [M if ch == "\uff3f" else tok.index[ch] for ch in text]
    out.append(
        {"mode": "length", "task": "acrostic 春夏秋冬", "mask_predict_10": show(model.mask_predict(seq, M, iterations))}
    )
    # fill in the blank: 静夜思 with the middle of each line masked
    poem = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"
    seq, col = [tok.len, tok.forms["wuyan-jueju"]], 0
    for ch in poem:  # mask the 3rd and 4th character of every line
        seq.append(M if col in (2, 3) else tok.index[ch])
        col = 0 if ch in "，。\n" else col + 1
    out.append(
        {
            "mode": "length",
            "task": "fill-in " + show(seq).replace("<mask>", "＿"),
            "mask_predict_10": show(model.mask_predict(seq, M, iterations)),
        }
    )
    for o in out:
        print(o, flush=True)
    return out


def eval_only(tok, data):
    torch.set_num_threads(1)
    model, _, meta = load_exported()  # what the page loads; a fresh machine has no training checkpoint
    report = {"weights": "models/poet-nat/model.safetensors", "config": meta["config"]}
    report["params"] = sum(p.numel() for p in model.parameters())
    for s in ("val", "test"):
        report[s] = evaluate(model, data[s], tok)
        print(s, report[s], flush=True)
    report["samples"] = samples(model, tok)
    with open(os.path.join(CACHE_DIR, "poet-nat-eval.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)


def distilled_split(split):
    """poet-at's rewrites of the split's poems (models/data/cache/poetry-distilled.json, written by distill.py;
    a poem whose rewrite failed the form check keeps the original): [{"form", "text", ...}, ...]."""
    path = os.path.join(CACHE_DIR, "poetry-distilled.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} missing: run /usr/bin/python3 models/poet-nat/distill.py")
    with open(path, encoding="utf-8") as f:
        poems = json.load(f).get(split)
    if poems is None:
        raise FileNotFoundError(
            f"{path} has no {split!r}: run /usr/bin/python3 models/poet-nat/distill.py --split {split}"
        )
    return poems


def encode_poems(poems, tok):
    return [(tok.forms[p["form"]], tok.encode(p["text"])) for p in poems]


def poem_lines(text):
    """The poem's lines after the first (the first is the prompt the teacher was given); lines end at ，/。 as in
    distill.py's has_form and core/decode/metrics.cpp."""
    return set([x for x in re.split("[，。\n]", text) if x][1:])


def cap_repeated_lines(train, val, cap, seed):
    """Drops the teacher's clichés: goes through the training rewrites in a seeded random order and keeps one only
    while each of its lines (past the first) has been kept fewer than `cap` times; a val rewrite is kept only if
    none of its lines reached the cap in training. Greedy poet-at ends many poems alike (不知此地无人见 is in 1,954
    of the 38,589 training rewrites, 莫问西陵路 in 520), and a mask-predict student run for many passes settles on
    such lines whatever the prompt: the share of poems with the same closing couplet grows with T."""
    order = list(range(len(train)))
    random.Random(seed).shuffle(order)
    kept, counts = [], collections.Counter()
    for i in order:
        lines = poem_lines(train[i]["text"])
        if all(counts[x] < cap for x in lines):
            kept.append(train[i])
            counts.update(lines)
    return kept, [p for p in val if all(counts[x] < cap for x in poem_lines(p["text"]))]


def training_examples(which, raw, distilled):
    """raw: the poems; distilled: poet-at's rewrite of each; mixed: both."""
    if which == "raw":
        return raw
    return distilled if which == "distilled" else raw + distilled


def main():
    ap = argparse.ArgumentParser()
    train_loop.add_arguments(ap, DEFAULTS)
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--length-weight", type=float, default=0.1)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--n-layers", type=int, default=4)
    ap.add_argument("--d-ff", type=int, default=688)
    ap.add_argument(
        "--data",
        choices=("raw", "distilled", "mixed"),
        default="raw",
        help="training targets: the poems, poet-at's rewrites of them (distill.py), or both",
    )
    ap.add_argument(
        "--line-cap",
        type=int,
        default=0,
        help="with distilled data: keep a rewrite only while each of its lines is in fewer than N kept ones "
        "(cap_repeated_lines; 0 = keep all)",
    )
    args = ap.parse_args()
    tok = CharTokenizer.load()
    data = load_splits(tok)
    if args.eval_only:
        return eval_only(tok, data)
    tc = train_loop.config_from_args(args)
    cfg = CMLMConfig(vocab_size=len(tok), d_model=args.d_model, n_layers=args.n_layers, d_ff=args.d_ff)
    print(f"model {cfg}\nlength_weight {args.length_weight}", flush=True)
    torch.manual_seed(tc.seed)
    model = CMLM(cfg)
    val_distilled = None
    distilled = []
    if args.data != "raw":
        distilled, val_distilled = distilled_split("train"), distilled_split("val")
        if args.line_cap:
            n_train, n_val = len(distilled), len(val_distilled)
            distilled, val_distilled = cap_repeated_lines(distilled, val_distilled, args.line_cap, tc.seed)
            print(
                f"line cap {args.line_cap}: {len(distilled)} of {n_train} training rewrites kept, "
                f"{len(val_distilled)} of {n_val} val rewrites",
                flush=True,
            )
        distilled, val_distilled = encode_poems(distilled, tok), encode_poems(val_distilled, tok)
    train, batches = training_examples(args.data, data["train"], distilled), []
    print(f"data {args.data}: {len(train)} training poems", flush=True)

    def next_batch(gen):
        if not batches:
            batches.extend(epoch_batches(train, cfg.max_len_fixed, tc.batch_size, gen))
        mode, idx = batches.pop()
        return make_batch(train, idx, mode, cfg, tok, gen)

    def loss(model, batch):
        return loss_fn(model, batch, bool(batch[0][0, 0] == tok.len), args.length_weight)

    # A distilled student is selected on the teacher's rewrites of the val poems: on the raw poems its NLL
    # rises while it learns the teacher's modes (steps 1,000 -> 1,500 of session 6's run: 7.01 -> 7.05 nats,
    # masked accuracy 18.8% -> 20.0%). The raw poems' figures stay in the history ("raw_val"). A mixed run
    # trains on both halves equally, so it is selected on the mean of the two NLLs.
    def validate(model):
        ev = evaluate(model, data["val"], tok)
        if val_distilled is None:
            return {"val": ev["length"]["masked_nll"], **ev}
        ev_d = evaluate(model, val_distilled, tok)
        nll_d, nll_raw = ev_d["length"]["masked_nll"], ev["length"]["masked_nll"]
        val = nll_d if args.data == "distilled" else (nll_d + nll_raw) / 2
        return {"val": val, **ev_d, "raw_val": ev}

    def load_committed(model):
        committed = load_exported()[0]
        if committed.cfg != model.cfg:
            raise ValueError(
                f"model.safetensors holds {committed.cfg}, not {model.cfg}: pass its --d-model, " "--n-layers, --d-ff"
            )
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
