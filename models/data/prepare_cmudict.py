"""Prepare CMUdict for the grapheme-to-phoneme (Pronounce) models.

    /usr/bin/python3 models/data/prepare_cmudict.py

Reads   models/data/node_modules/cmu-pronouncing-dictionary/index.js (npm, `export const dictionary = {...}`;
        alternates as "word(2)", "word(3)")
Writes  models/data/cmudict/tokenizer.json   letters and phonemes, with the specials the models need
        models/data/cmudict/split.json       the split rule, counts, sha256 of each split's word list, test words
        models/data/cmudict/stats.json       dropped counts, pronunciations per word, lengths
        models/data/cmudict/test500.txt      a fixed 500-word subset of test (the C++ WER test's words)
        models/data/cache/cmudict.json       {"train"|"val"|"test": [[word, [pron, ...]], ...]} (gitignored)

Rules (deterministic), as in the published G2P tables (Yao & Zweig 2015; Yolchuyeva et al. 2019):
 1. words of letters a-z and the apostrophe only (dropped: "a.d.", "abc-news", digits, ...);
 2. stress removed (AH0 -> AH): 39 phonemes; a word's alternates become its list of pronunciations (an output
    equal to any of them is correct), duplicates after stress removal merged, the first one kept first;
 3. split by sha1(word) mod 100: 0..84 train, 85..89 val, 90..99 test (about 10% test), so a word and its
    alternates always sit in one split.
"""
import collections
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "node_modules", "cmu-pronouncing-dictionary", "index.js")
OUT = os.path.join(HERE, "cmudict")
CACHE = os.path.join(HERE, "cache")
LETTERS = list("abcdefghijklmnopqrstuvwxyz'")
PHONEMES = [
    "AA",
    "AE",
    "AH",
    "AO",
    "AW",
    "AY",
    "B",
    "CH",
    "D",
    "DH",
    "EH",
    "ER",
    "EY",
    "F",
    "G",
    "HH",
    "IH",
    "IY",
    "JH",
    "K",
    "L",
    "M",
    "N",
    "NG",
    "OW",
    "OY",
    "P",
    "R",
    "S",
    "SH",
    "T",
    "TH",
    "UH",
    "UW",
    "V",
    "W",
    "Y",
    "Z",
    "ZH",
]
SPECIALS = ["<pad>", "<bos>", "<eos>", "<mask>", "<unk>"]
ENTRY = re.compile(r'^\s*"([^"]+)":\s*"([^"]*)",?\s*$')


def split_of(word):
    h = int(hashlib.sha1(word.encode("utf-8")).hexdigest(), 16) % 100
    return "train" if h < 85 else ("val" if h < 90 else "test")


def main():
    if not os.path.exists(SRC):
        sys.exit(f"{SRC} missing: run `npm install` in models/data")
    prons = collections.OrderedDict()
    dropped = collections.Counter()
    with open(SRC, encoding="utf-8") as f:
        for line in f:
            m = ENTRY.match(line)
            if not m:
                continue
            key, phones = m.groups()
            word = re.sub(r"\(\d+\)$", "", key)
            if not re.fullmatch(r"[a-z']+", word):
                dropped["characters other than a-z and '"] += 1
                continue
            phones = phones.split("#")[0]  # a few entries carry a comment: "AO1 L B AO0 R G # place, danish"
            pron = " ".join(re.sub(r"\d", "", p) for p in phones.split())
            if any(p not in PHONEMES for p in pron.split()) or not pron:
                dropped["unknown phoneme"] += 1
                continue
            lst = prons.setdefault(word, [])
            if pron in lst:
                dropped["alternate equal after stress removal"] += 1
            else:
                lst.append(pron)
    splits = {"train": [], "val": [], "test": []}
    for word in sorted(prons):
        splits[split_of(word)].append([word, prons[word]])
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, "cmudict.json"), "w", encoding="utf-8") as f:
        json.dump(splits, f)
    tokenizer = {
        "type": "word",
        "tokens": SPECIALS + LETTERS + PHONEMES,
        "specials": {name.strip("<>"): i for i, name in enumerate(SPECIALS)},
        "letters": LETTERS,
        "phonemes": PHONEMES,
    }
    with open(os.path.join(OUT, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, indent=1)
    digest = {s: hashlib.sha256("\n".join(w for w, _ in v).encode()).hexdigest() for s, v in splits.items()}
    with open(os.path.join(OUT, "split.json"), "w", encoding="utf-8") as f:
        json.dump(
            {
                "rule": "sha1(word) mod 100: <85 train, 85-89 val, 90-99 test",
                "counts": {s: len(v) for s, v in splits.items()},
                "words_sha256": digest,
            },
            f,
            indent=1,
        )
    # every 10th test word in alphabetical order, the first 500: a fixed, spread-out subset
    with open(os.path.join(OUT, "test500.txt"), "w", encoding="utf-8") as f:
        for word, ps in splits["test"][::10][:500]:
            f.write(word + "\t" + "\t".join(ps) + "\n")
    lengths = [len(w) for v in splits.values() for w, _ in v]
    stats = {
        "words": len(prons),
        "dropped": dict(dropped),
        "words_with_alternates": sum(len(p) > 1 for p in prons.values()),
        "pronunciations": sum(len(p) for p in prons.values()),
        "max_letters": max(lengths),
        "max_phonemes": max(len(p.split()) for ps in prons.values() for p in ps),
    }
    with open(os.path.join(OUT, "stats.json"), "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=1)
    print(json.dumps({"counts": {s: len(v) for s, v in splits.items()}, **stats}))


if __name__ == "__main__":
    main()
