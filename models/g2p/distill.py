"""Sequence-level knowledge distillation targets for g2p's NAT decoder: the AT decoder's greedy pronunciation
of every training word.

    /usr/bin/python3 models/g2p/distill.py            # -> models/data/cache/g2p-distilled.json (~10 min, 1 thread)
    /usr/bin/python3 models/g2p/train.py --resume --nat-targets teacher ...   # then train on them

Why: the NAT decoder predicts every phoneme independently given the letters. Where the training data gives one
word several pronunciations (6.4% of CMUdict's training words: "either" = IY DH ER and AY DH ER), or where
similar spellings are pronounced differently, it is trained towards a mixture of them and can emit a blend
that is neither (the lecture's multi-modality problem). The AT teacher's greedy output is one pronunciation
per word, and a consistent one across similar spellings, which is what a one-pass decoder can learn (Gu et
al. 2018; Mask-Predict; the poets do the same: models/poet-nat/distill.py). The AT decoder keeps learning
from the dictionary itself.

The teacher is the committed models/g2p/model.safetensors. Output: {"teacher_sha256": the weights' sha256, "train": {word: "PH ON EMES"}, "val": {...}}, one entry per
word of the train and val splits (train.py's validation scores the NAT decoder against the teacher too).
"""
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from common.text import sha256_file  # noqa: E402
from export import OUT, load_exported  # noqa: E402
from model import at_greedy  # noqa: E402
from train import DATA, DISTILLED, Vocab, pad  # noqa: E402

BATCH = 512


def main():
    torch.set_num_threads(1)
    vocab = Vocab()
    model = load_exported()[0]
    with open(os.path.join(DATA, "cache", "cmudict.json")) as f:
        splits = json.load(f)
    out = {"teacher_sha256": sha256_file(OUT)}
    for split in ("train", "val"):
        words, out[split], t0 = [w for w, _ in splits[split]], {}, time.time()
        with torch.no_grad():
            for i in range(0, len(words), BATCH):
                chunk = words[i : i + BATCH]
                letters = pad([vocab.letters(w) for w in chunk], vocab.pad)
                ys = at_greedy(model, letters, letters != vocab.pad, vocab.bos, vocab.eos)
                for w, y in zip(chunk, ys):
                    out[split][w] = " ".join(vocab.tokens[t] for t in y)
                print(f"{split}: {i + len(chunk)}/{len(words)} words, {time.time() - t0:.0f}s", flush=True)
    with open(DISTILLED + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(DISTILLED + ".tmp", DISTILLED)
    print(f"wrote {DISTILLED}", flush=True)


if __name__ == "__main__":
    main()
