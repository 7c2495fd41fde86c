"""Prepare the Tang-poetry data for poet-at and poet-nat.

    /usr/bin/python3 models/data/prepare_poetry.py

Reads   models/data/node_modules/chinese-poetry/dist/quantangshi/poet.tang.*.json (traditional characters)
Writes  models/data/poetry/tokenizer.json    the tokenizer JSON that ships in the weight files
        models/data/poetry/split.json        split rule, counts, sha256 of each split's id list, val/test ids
        models/data/poetry/stats.json        counts per split and form, vocab size, dropped counts
        models/data/poetry/test_prompts.txt  200 test poems as `form<TAB>first line` (e.g. "wuyan-jueju\t白日依山尽，")
        models/data/poetry/test_poems.txt    the same 200 poems in full, `form<TAB>text` (line breaks written \\n)
        models/data/poetry/val_prompts.txt   the same for the first 200 val poems: decoding settings are chosen on
        models/data/poetry/val_poems.txt     these (guidance_sweep.py --prompts), then reported on the test prompts
        models/data/cache/poetry.json        the full cleaned splits (gitignored; regenerate with this script)

Pipeline (deterministic; no randomness anywhere):
 1. every poem's paragraphs are joined and sent through ONE `opencc -c t2s.json` call (traditional -> simplified);
 2. half-width ',' '.' become '，' '。'; a poem with any other non-CJK character (other punctuation, brackets,
    notes, digits, □ ○, characters outside U+4E00..U+9FFF) is dropped;
 3. the text is cut into lines, each ending in '，' or '。'; a poem is kept only if it has an even number of lines,
    the punctuation alternates '，' '。', and every line has 5 or 7 characters.  Form:
      4 lines, all 5 -> wuyan-jueju;  8 lines, all 5 -> wuyan-lvshi;  4 x 7 -> qiyan-jueju;  8 x 7 -> qiyan-lvshi;
      anything else passing the line test with <= MAX_TOKENS poem tokens -> free;  longer -> dropped;
 4. canonical text: couplets "白日依山尽，黄河入海流。" joined by "\n";  poem tokens = chars + '，' '。' + '\n';
 5. exact-duplicate texts are dropped (first one in file order kept), so a poem cannot sit in two splits;
 6. split by sha1(canonical text) mod 100: 0..95 train, 96..97 val, 98..99 test
    (hashing the text rather than the record id keeps re-posted copies of a poem in the same split);
 7. vocabulary: characters with train frequency >= MIN_FREQ; a poem (any split) containing a character
    outside the vocabulary is dropped ("rare/garbled"), so no kept poem ever needs <unk>.
"""
import collections
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "node_modules", "chinese-poetry", "dist", "quantangshi")
OUT = os.path.join(HERE, "poetry")
CACHE = os.path.join(HERE, "cache")

MAX_TOKENS = 110
MIN_FREQ = 3
SPECIALS = ["<pad>", "<bos>", "<eos>", "<mask>", "<unk>", "\n", "<len>", "<fixed>"]
FORMS = ["wuyan-jueju", "wuyan-lvshi", "qiyan-jueju", "qiyan-lvshi", "free"]
PUNCT = ["，", "。"]


def load_raw():
    poems = []
    files = sorted(glob.glob(os.path.join(SRC, "poet.tang.*.json")), key=lambda p: int(p.split(".")[-2]))
    if not files:
        sys.exit(f"no poet.tang.*.json under {SRC}: run `npm install` in models/data")
    for path in files:
        with open(path, encoding="utf-8") as f:
            for p in json.load(f):
                poems.append(
                    {
                        "id": p["id"],
                        "author": p.get("author", ""),
                        "title": p.get("title", ""),
                        "text": "".join(p.get("paragraphs", [])),
                    }
                )
    return poems


def to_simplified(texts):
    """One opencc call for all texts; newlines inside a text cannot occur (paragraphs are joined)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.txt"), os.path.join(tmp, "out.txt")
        with open(src, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(t.replace("\n", "") + "\n")
        subprocess.run(["opencc", "-c", "t2s.json", "-i", src, "-o", dst], check=True)
        with open(dst, encoding="utf-8") as f:
            out = f.read().split("\n")
    if out and out[-1] == "":
        out.pop()
    assert len(out) == len(texts), (len(out), len(texts))
    return out


def is_cjk(ch):
    return "\u4e00" <= ch <= "\u9fff"


def classify(text):
    """-> (form, canonical text) or (None, reason)."""
    text = text.replace(",", "，").replace(".", "。").strip()
    if not text:
        return None, "empty"
    if any(not (is_cjk(ch) or ch in PUNCT) for ch in text):
        return None, "other_chars"
    lines, cur = [], ""
    for ch in text:
        cur += ch
        if ch in PUNCT:
            lines.append(cur)
            cur = ""
    if cur:
        return None, "unterminated"
    if len(lines) % 2:
        return None, "odd_lines"
    for i, line in enumerate(lines):
        if line[-1] != PUNCT[i % 2]:
            return None, "punct_pattern"
        if len(line) - 1 not in (5, 7):
            return None, "line_length"
    lengths = {len(line) - 1 for line in lines}
    couplets = [lines[i] + lines[i + 1] for i in range(0, len(lines), 2)]
    canon = "\n".join(couplets)
    form = None
    if len(lengths) == 1 and len(lines) in (4, 8):
        form = ("wuyan-" if 5 in lengths else "qiyan-") + ("jueju" if len(lines) == 4 else "lvshi")
    elif len(canon) <= MAX_TOKENS:
        form = "free"
    else:
        return None, "too_long"
    return form, canon


def split_of(canon):
    h = int(hashlib.sha1(canon.encode("utf-8")).hexdigest(), 16) % 100
    return "train" if h < 96 else ("val" if h < 98 else "test")


def write_prompts(split, poems):
    """SPLIT_prompts.txt: `form<TAB>first line` per poem; SPLIT_poems.txt: the same poems in full."""
    with open(os.path.join(OUT, f"{split}_prompts.txt"), "w", encoding="utf-8") as f:
        for p in poems:
            f.write(f"{p['form']}\t{p['text'].split('，')[0]}，\n")
    with open(os.path.join(OUT, f"{split}_poems.txt"), "w", encoding="utf-8") as f:
        for p in poems:
            f.write(p["form"] + "\t" + p["text"].replace("\n", "\\n") + "\n")


def main():
    raw = load_raw()
    simp = to_simplified([p["text"] for p in raw])
    dropped = collections.Counter()
    seen, kept = set(), []
    for p, text in zip(raw, simp):
        form, canon = classify(text)
        if form is None:
            dropped[canon] += 1
            continue
        if canon in seen:
            dropped["duplicate"] += 1
            continue
        seen.add(canon)
        kept.append({"id": p["id"], "form": form, "text": canon, "split": split_of(canon)})

    freq = collections.Counter(ch for p in kept if p["split"] == "train" for ch in p["text"] if is_cjk(ch))
    chars = sorted((c for c, n in freq.items() if n >= MIN_FREQ), key=lambda c: (-freq[c], c))
    vocab = set(chars)
    final = []
    for p in kept:
        if any(is_cjk(ch) and ch not in vocab for ch in p["text"]):
            dropped["rare_char"] += 1
        else:
            final.append(p)

    tokens = SPECIALS + [f"<{f}>" for f in FORMS] + PUNCT + chars
    tokenizer = {
        "type": "char",
        "tokens": tokens,
        "specials": {"pad": 0, "bos": 1, "eos": 2, "mask": 3, "unk": 4, "newline": 5, "len": 6, "fixed": 7},
        "forms": {f: f"<{f}>" for f in FORMS},
    }
    splits = {s: [p for p in final if p["split"] == s] for s in ("train", "val", "test")}
    lengths = sorted(len(p["text"]) for p in final)
    stats = {
        "source": "npm chinese-poetry dist/quantangshi/poet.tang.*.json, opencc t2s",
        "raw_poems": len(raw),
        "kept_poems": len(final),
        "dropped": dict(sorted(dropped.items())),
        "vocab_size": len(tokens),
        "n_chars": len(chars),
        "min_char_freq": MIN_FREQ,
        "counts": {s: dict(collections.Counter(p["form"] for p in v), total=len(v)) for s, v in splits.items()},
        "poem_tokens": {
            "max": lengths[-1],
            "p50": lengths[len(lengths) // 2],
            "p99": lengths[int(0.99 * (len(lengths) - 1))],
            "frac_le_72": sum(n <= 72 for n in lengths) / len(lengths),
        },
        "train_chars": sum(len(p["text"]) for p in splits["train"]),
    }
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(OUT, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    split_info = {
        "rule": "sha1(utf-8 canonical simplified text) mod 100: <96 train, 96-97 val, 98-99 test",
        "counts": {s: len(v) for s, v in splits.items()},
        "ids_sha256": {
            s: hashlib.sha256("\n".join(p["id"] for p in v).encode()).hexdigest() for s, v in splits.items()
        },
        "val_ids": [p["id"] for p in splits["val"]],
        "test_ids": [p["id"] for p in splits["test"]],
    }
    with open(os.path.join(OUT, "split.json"), "w", encoding="utf-8") as f:
        json.dump(split_info, f, ensure_ascii=False, indent=1)
    with open(os.path.join(OUT, "stats.json"), "w", encoding="utf-8") as f:
        json.dump(stats, f, ensure_ascii=False, indent=1)
    for split in ("val", "test"):
        write_prompts(split, splits[split][:200])
    with open(os.path.join(CACHE, "poetry.json"), "w", encoding="utf-8") as f:
        json.dump(
            {s: [{"id": p["id"], "form": p["form"], "text": p["text"]} for p in v] for s, v in splits.items()},
            f,
            ensure_ascii=False,
        )
    print(json.dumps(stats, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
