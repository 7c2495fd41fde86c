"""n-gram baselines for poet-at: what a model must beat to have learnt more than character statistics.

    /usr/bin/python3 models/poet-at/baselines.py            # prints the table, writes baselines.json (~30 s)

Fitted on the train split, measured on the val and test splits with exactly poet-at's counting (train.py
`evaluate`): sequence <bos> <form> c1 .. cN <eos>; every target after the form token is predicted (characters,
'，', '。', '\\n' and <eos>); "per character" averages over the Chinese characters only (ids >= 15), each
predicted in its full context. The form token is part of the history, as it is for the model.

Models (interpolated Witten-Bell, the classic smoothing for character n-grams; Chen & Goodman 1998):
    P_0(w)        = 1 / V                                           (uniform over the vocabulary)
    P_n(w | h)    = (c(h, w) + T(h) * P_{n-1}(w | h')) / (c(h) + T(h))
where h is the n-1 previous tokens, h' drops the oldest, c counts train n-grams and T(h) is the number of
distinct tokens seen after h. An unseen history (c(h) = 0) backs off to P_{n-1} entirely.
"""
import json
import math
import os
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from common.text import CharTokenizer, load_splits  # noqa: E402

FIRST_CHAR_ID = 15  # ids >= 15 are Chinese characters (after the specials, the forms, '，' '。')


def sequences(examples, tok):
    return [[tok.bos, form] + body + [tok.eos] for form, body in examples]


class WittenBell:
    def __init__(self, order, train_seqs, vocab_size):
        self.order, self.V = order, vocab_size
        self.counts = [defaultdict(Counter) for _ in range(order)]  # counts[k][history of k tokens][w]
        for s in train_seqs:
            for i in range(2, len(s)):  # targets after <bos> <form>, as in training
                for k in range(order):
                    if i - k >= 0:
                        self.counts[k][tuple(s[i - k : i])][s[i]] += 1
        self.totals = [{h: (sum(c.values()), len(c)) for h, c in ck.items()} for ck in self.counts]

    def prob(self, history, w):
        p = 1.0 / self.V
        for k in range(self.order):  # from the unigram (k = 0 history tokens) up
            if k > len(history):
                break
            h = tuple(history[len(history) - k :]) if k else ()
            total = self.totals[k].get(h)
            if total is None:
                continue
            n, types = total
            p = (self.counts[k][h][w] + types * p) / (n + types)
        return p


def evaluate(model, seqs):
    nll, n, nll_c, n_c = 0.0, 0, 0.0, 0
    for s in seqs:
        for i in range(2, len(s)):
            lp = -math.log(model.prob(s[:i], s[i]))
            nll, n = nll + lp, n + 1
            if s[i] >= FIRST_CHAR_ID:
                nll_c, n_c = nll_c + lp, n_c + 1
    return {
        "ppl_per_token": round(math.exp(nll / n), 1),
        "ppl_per_char": round(math.exp(nll_c / n_c), 1),
        "tokens": n,
        "chars": n_c,
    }


def main():
    tok = CharTokenizer.load()
    data = load_splits(tok)
    train = sequences(data["train"], tok)
    out = {}
    for order, name in ((1, "unigram"), (2, "bigram"), (3, "trigram")):
        model = WittenBell(order, train, len(tok))
        out[name] = {s: evaluate(model, sequences(data[s], tok)) for s in ("val", "test")}
        print(name, json.dumps(out[name]), flush=True)
    with open(os.path.join(HERE, "baselines.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
