"""Train g2p (one encoder, an AT and a NAT decoder) on CMUdict with the shared loop (models/common/train_loop.py).

    /usr/bin/python3 models/data/prepare_cmudict.py                                  # once: the splits
    nohup /usr/bin/python3 models/g2p/train.py > models/g2p/train.log 2>&1 &        # train (one CPU thread)
    /usr/bin/python3 models/g2p/train.py --resume --steps N ...                      # continue
    /usr/bin/python3 models/g2p/train.py --time-steps 5                              # time a few steps

Examples: every (word, pronunciation) pair of the train split (a word with alternates gives one pair each).
Loss per batch, both decoders at once over one encoder pass:
    AT   cross-entropy of y1 .. yT <eos> given <bos> y1 .. yT (teacher forcing)
    NAT  CMLM: k ~ U{1..L} of the L phonemes replaced by <mask>, cross-entropy at the masked positions
    len  0.1 x cross-entropy of L under the length head (--length-weight)
With --nat-targets teacher the NAT decoder and the length head learn the AT teacher's greedy pronunciation of
each word instead (sequence-level knowledge distillation, models/g2p/distill.py); the AT decoder keeps the
dictionary's.
Validation ("val", early stopping): the training loss on the val split, AT + NAT + length-weight x length
cross-entropy (masks from a fixed seed; the NAT and length terms against the teacher's outputs with --nat-targets
teacher, so "val" changes meaning at such a restart, and until session 8 it had no length term: resume such a
checkpoint with --revalidate 1); the history also records greedy AT and NAT (T = 4) WER and PER and the length
head's accuracy on the first VAL_DECODE val words. WER = share of words whose output equals none of their
pronunciations; PER = phoneme edit distance / reference length, against the closest pronunciation.
"""
import argparse
import dataclasses
import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from common import train_loop  # noqa: E402
from export import load_exported  # noqa: E402
from model import G2P, G2PConfig, at_greedy, nat_mask_predict  # noqa: E402

NAME = "g2p"
DATA = os.path.join(os.path.dirname(HERE), "data")
VAL_DECODE = 500
DISTILLED = os.path.join(DATA, "cache", "g2p-distilled.json")  # distill.py's output: the AT teacher's pronunciations
LENGTH_WEIGHT = 0.1  # the length term's weight (--length-weight), as Mask-Predict's
DEFAULTS = train_loop.TrainConfig(
    steps=20000,
    batch_size=128,
    lr=1e-3,
    min_lr=5e-5,
    warmup=500,
    weight_decay=0.05,
    seed=2024,
    eval_every=1000,
    patience=5,
)


class Vocab:
    def __init__(self):
        with open(os.path.join(DATA, "cmudict", "tokenizer.json")) as f:
            spec = json.load(f)
        self.tokens = spec["tokens"]  # id -> text
        self.index = {t: i for i, t in enumerate(self.tokens)}
        s = spec["specials"]
        self.pad, self.bos, self.eos, self.mask = s["pad"], s["bos"], s["eos"], s["mask"]
        self.phoneme_ids = [self.index[p] for p in spec["phonemes"]]
        self.size = len(self.tokens)

    def letters(self, word):
        return [self.index[c] for c in word]

    def phonemes(self, pron):
        return [self.index[p] for p in pron.split()]


def load_splits(vocab):
    with open(os.path.join(DATA, "cache", "cmudict.json")) as f:
        raw = json.load(f)
    return {s: [(vocab.letters(w), [vocab.phonemes(p) for p in prons]) for w, prons in v] for s, v in raw.items()}


def pad(rows, value):
    T = max(len(r) for r in rows)
    out = torch.full((len(rows), T), value, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r, dtype=torch.long)
    return out


def make_batch(pairs, vocab, gen):
    """pairs: [(letters, phonemes)] or [(letters, phonemes, NAT phonemes)] (the NAT decoder's and the length
    head's target, if not the AT decoder's) -> letters, AT input, AT target, NAT input, NAT target, lengths."""
    letters = pad([p[0] for p in pairs], vocab.pad)
    at_in = pad([[vocab.bos] + p[1] for p in pairs], vocab.pad)
    at_out = pad([p[1] + [vocab.eos] for p in pairs], -100)
    nat_targets = [p[-1] for p in pairs]
    nat_in, nat_out = [], []
    for y in nat_targets:
        k = int(torch.randint(1, len(y) + 1, (1,), generator=gen))
        masked = set(torch.randperm(len(y), generator=gen)[:k].tolist())
        nat_in.append([vocab.mask if i in masked else t for i, t in enumerate(y)])
        nat_out.append([t if i in masked else -100 for i, t in enumerate(y)])
    return (
        letters,
        at_in,
        at_out,
        pad(nat_in, vocab.pad),
        pad(nat_out, -100),
        torch.tensor([len(y) for y in nat_targets]),
    )


def losses(model, batch, vocab):
    letters, at_in, at_out, nat_in, nat_out, lengths = batch
    valid = letters != vocab.pad
    memory = model.encode(letters, valid)
    at = model.decode(model.at, at_in, memory, valid, causal=True)
    nat = model.decode(model.nat, nat_in, memory, valid, causal=False, token_valid=nat_in != vocab.pad)
    at_ce = F.cross_entropy(at.flatten(0, 1), at_out.flatten(), ignore_index=-100)
    nat_ce = F.cross_entropy(nat.flatten(0, 1), nat_out.flatten(), ignore_index=-100)
    len_ce = F.cross_entropy(model.length_logits(memory, valid), lengths.clamp(max=model.cfg.max_phonemes))
    return at_ce, nat_ce, len_ce


def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def wer_per(outputs, references):
    """outputs: [ids]; references: [[ids, ...]] -> (WER, PER) over the words."""
    wrong, edits, length = 0, 0, 0
    for out, refs in zip(outputs, references):
        best = min(refs, key=lambda r: edit_distance(out, r))
        d = edit_distance(out, best)
        wrong += d > 0
        edits += d
        length += len(best)
    return wrong / len(outputs), edits / length


@torch.no_grad()
def evaluate(model, words, vocab, decode=VAL_DECODE, nat_targets=None, length_weight=LENGTH_WEIGHT):
    """ "val" = the training loss on the val words: AT + NAT + length_weight x length cross-entropy (until
    session 8 it left the length term out). nat_targets: per word, the NAT decoder's and the length head's target
    (teacher_targets) where not the first pronunciation (the WER and PER always count every pronunciation of the
    dictionary as right)."""
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(0)
    nat_targets = nat_targets or [None] * len(words)
    pairs = [(x, prons[0], t or prons[0]) for (x, prons), t in zip(words, nat_targets)]
    at_sum = nat_sum = len_sum = 0.0
    for i in range(0, len(pairs), 256):
        batch = tuple(t.to(device) for t in make_batch(pairs[i : i + 256], vocab, gen))
        at_ce, nat_ce, len_ce = losses(model, batch, vocab)
        at_sum += at_ce.item() * len(batch[0])
        nat_sum += nat_ce.item() * len(batch[0])
        len_sum += len_ce.item() * len(batch[0])
    report = {
        "val": (at_sum + nat_sum + length_weight * len_sum) / len(pairs),
        "val_at_ce": at_sum / len(pairs),
        "val_nat_ce": nat_sum / len(pairs),
        "val_len_ce": len_sum / len(pairs),
    }
    if decode:
        sub = words[:decode]
        letters = pad([x for x, _ in sub], vocab.pad).to(device)
        valid = letters != vocab.pad
        allowed = torch.zeros(vocab.size, dtype=torch.bool, device=device)
        allowed[vocab.phoneme_ids] = True
        refs = [prons for _, prons in sub]
        report["at_wer"], report["at_per"] = wer_per(at_greedy(model, letters, valid, vocab.bos, vocab.eos), refs)
        report["nat4_wer"], report["nat4_per"] = wer_per(
            nat_mask_predict(model, letters, valid, vocab.mask, 4, allowed), refs
        )
        lengths = model.length_logits(model.encode(letters, valid), valid).argmax(-1).tolist()
        targets = [len(t) for _, _, t in pairs[:decode]]
        report["length_acc"] = sum(a == b for a, b in zip(lengths, targets)) / len(targets)
    return report


def teacher_targets(words, vocab, split):
    """The AT teacher's pronunciation of every word of words = data[split] (DISTILLED, written by distill.py), as
    phoneme ids; None where the teacher's output is empty."""
    if not os.path.exists(DISTILLED):
        raise FileNotFoundError(f"{DISTILLED} missing: run /usr/bin/python3 models/g2p/distill.py")
    with open(DISTILLED) as f:
        teacher = json.load(f)[split]
    phonemes = set(vocab.phoneme_ids)
    out = []
    for x, _ in words:
        t = vocab.phonemes(teacher["".join(vocab.tokens[i] for i in x)])
        out.append(t if t and all(i in phonemes for i in t) else None)
    return out


def main():
    ap = argparse.ArgumentParser()
    train_loop.add_arguments(ap, DEFAULTS)
    ap.add_argument("--dropout", type=float, default=0.0, help="model dropout (training only)")
    ap.add_argument(
        "--nat-targets",
        choices=("gold", "teacher"),
        default="gold",
        help="the NAT decoder's targets: the dictionary's, or the AT teacher's greedy output (distill.py)",
    )
    ap.add_argument(
        "--length-weight", type=float, default=LENGTH_WEIGHT, help="weight of the length head's cross-entropy"
    )
    args = ap.parse_args()
    tc = train_loop.config_from_args(args)
    vocab = Vocab()
    data = load_splits(vocab)
    pairs = [(x, y) for x, prons in data["train"] for y in prons]
    val_nat = None
    if args.nat_targets == "teacher":  # the teacher's, or where it wrote nothing the dictionary's
        teacher = teacher_targets(data["train"], vocab, "train")
        pairs = [(x, y, t or y) for (x, prons), t in zip(data["train"], teacher) for y in prons]
        val_nat = teacher_targets(data["val"], vocab, "val")
    cfg = G2PConfig(vocab_size=vocab.size, dropout=args.dropout)
    torch.manual_seed(tc.seed)  # the initial weights
    model = G2P(cfg)
    indices = train_loop.shuffled_batches(len(pairs), tc.batch_size)

    def next_batch(gen):
        return make_batch([pairs[i] for i in indices(gen).tolist()], vocab, gen)

    def loss(model, batch):
        at_ce, nat_ce, len_ce = losses(model, batch, vocab)
        return at_ce + nat_ce + args.length_weight * len_ce

    def load_committed(model):
        committed = load_exported()[0]
        if dataclasses.replace(committed.cfg, dropout=model.cfg.dropout) != model.cfg:
            raise ValueError(f"model.safetensors holds {committed.cfg}, not {model.cfg}")
        model.load_state_dict(committed.state_dict())

    print(f"model {cfg}\ntrain pairs {len(pairs)}", flush=True)
    train_loop.train(
        NAME,
        model,
        tc,
        next_batch,
        loss,
        lambda m: evaluate(m, data["val"], vocab, nat_targets=val_nat, length_weight=args.length_weight),
        load_committed,
        resume=args.resume,
        time_steps=args.time_steps,
        log=lambda m: print(m, flush=True),
    )


if __name__ == "__main__":
    main()
