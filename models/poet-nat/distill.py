"""Sequence-level knowledge distillation data for poet-nat (Kim & Rush 2016; Gu et al. 2018; Mask-Predict):
poet-at, the teacher, rewrites every training poem, and poet-nat learns from the teacher's poems.

    /usr/bin/python3 models/poet-nat/distill.py [--limit N] [--strategy beam|greedy] [--beam 4] [--repetition-penalty 1.2] [--chunk 500]
                                                [--workers 1] [--out PATH]     # resumable

Why: a non-autoregressive model predicts every position independently given the input, so when the data holds
many different poems for the same input it mixes them ("multi-modality": 不人不人人). The teacher's outputs are
far less varied for a given input (one mode per input, chosen by beam search), which is what a one-pass model
can learn. The cost: the student can only be as good as the teacher.

For each training poem: the teacher gets the poem's form and its first line (the NAT tasks' typical given
positions: a prompt, and for acrostics and blanks some characters), writes the rest with beam search, and
the result must have the form (checked with atnat's own form check; poems that fail keep the original).
Output: models/data/cache/poetry-distilled.json = {"train": [{"id", "form", "text"}, ...], "val": [...]}, the
same layout as poetry.json, so poet-nat's trainer can read either (`--data raw|distilled|mixed`); "val"
(`--split val`, the val poems' rewrites) is what a distilled student validates on.
The teacher is the committed models/poet-at/model.safetensors, run by the native CLI (build/native-release):
one `atnat generate --prompts FILE --json` call per chunk of poems (the model loads once per chunk, one JSON
result per line; `--workers N` runs N such calls at once, one per core); after every round of chunks the output
file is rewritten atomically, so an interrupted run resumes at the first poem not yet written.
Throughput (the first 200 training poems, chunks of 100, one thread at nice 10 on the project's 2-vCPU machine
with a training job beside it, load average ~5): greedy 10.7 poems/s (19 s; one process per poem, as before,
measured on 20 of them: 3.8 poems/s), beam 4 1.4 poems/s (146 s; beam search is ~9 forward passes per token at batch 1, the model load
no longer matters). So the 38,589 training poems take about an hour greedy and about 8 hours with beam 4;
with `--workers 2` and nothing else running (chunks of 500, session 14) greedy took 21 minutes (30.7 poems/s).
Form kept: greedy 200/200; beam 4 without a repetition penalty 144/200 (on free-form poems the length-normalised
beam prefers a loop, 不知何处处处处..., until the token limit); with the teacher's repetition penalty 1.2 (the
page's default, --repetition-penalty) 30/30 of the first 30 poems, against 18/30 without it.
"""
import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CACHE = os.path.join(ROOT, "models", "data", "cache")
CLI = os.path.join(ROOT, "build", "native-release", "atnat")
FORM_LINES = {"wuyan-jueju": (4, 5), "wuyan-lvshi": (8, 5), "qiyan-jueju": (4, 7), "qiyan-lvshi": (8, 7)}


def has_form(text, form):
    lines = [x for x in re.split("[，。\n]", text) if x]
    if form == "free":
        return len(lines) >= 2 and len(lines) % 2 == 0 and all(len(x) in (5, 7) for x in lines)
    n, k = FORM_LINES[form]
    return len(lines) == n and all(len(x) == k for x in lines)


def teacher(prompts, strategy, beam, penalty):
    """[(form, first line), ...] -> the teacher's poems, from one CLI call."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.writelines(f"{form}\t{line}\n" for form, line in prompts)
    args = [
        CLI,
        "generate",
        "--model",
        "models/poet-at",
        "--prompts",
        f.name,
        "--json",
        "--strategy",
        strategy,
        "--repetition-penalty",
        str(penalty),
    ]
    if strategy == "beam":
        args += ["--beam", str(beam)]
    try:
        out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    finally:
        os.remove(f.name)
    texts = [json.loads(line)["text"] for line in out.splitlines()]
    assert len(texts) == len(prompts), f"{len(texts)} results for {len(prompts)} prompts"
    return texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="first N training poems only (0 = all)")
    ap.add_argument("--strategy", choices=("beam", "greedy"), default="beam")
    ap.add_argument("--beam", type=int, default=4)
    ap.add_argument(
        "--repetition-penalty",
        type=float,
        default=1.2,
        help="the teacher's (1 = off; without it beam search loops on free-form poems)",
    )
    ap.add_argument("--chunk", type=int, default=500, help="poems per CLI call (and per write of the output)")
    ap.add_argument("--workers", type=int, default=1, help="CLI calls at once (each is one thread)")
    ap.add_argument("--out", default=os.path.join(CACHE, "poetry-distilled.json"))
    ap.add_argument(
        "--split",
        choices=("train", "val"),
        default="train",
        help="val: the rewrites a distilled poet-nat validates on (train.py --data distilled)",
    )
    args = ap.parse_args()
    with open(os.path.join(CACHE, "poetry.json"), encoding="utf-8") as f:
        poems = json.load(f)[args.split]
    if args.limit:
        poems = poems[: args.limit]
    written = {}  # every split already in the file, kept as it is
    if os.path.exists(args.out):
        with open(args.out, encoding="utf-8") as f:
            written = json.load(f)
    done = {p["id"]: p for p in written.get(args.split, [])}
    todo = [p for p in poems if p["id"] not in done]
    t0, kept = time.time(), 0
    per_round = args.chunk * args.workers
    with ThreadPoolExecutor(args.workers) as pool:
        for c in range(0, len(todo), per_round):
            chunks = [todo[i : i + args.chunk] for i in range(c, min(c + per_round, len(todo)), args.chunk)]
            prompts = [[(p["form"], re.split("[，。]", p["text"])[0]) for p in chunk] for chunk in chunks]
            results = pool.map(lambda ps: teacher(ps, args.strategy, args.beam, args.repetition_penalty), prompts)
            for chunk, texts in zip(chunks, results):
                for poem, text in zip(chunk, texts):
                    ok = has_form(text, poem["form"])
                    kept += ok
                    done[poem["id"]] = {
                        "id": poem["id"],
                        "form": poem["form"],
                        "text": text if ok else poem["text"],
                        "distilled": ok,
                    }
            tmp = args.out + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                written[args.split] = [done[p["id"]] for p in poems if p["id"] in done]
                json.dump(written, f, ensure_ascii=False)
            os.replace(tmp, args.out)
            n, seconds = min(c + per_round, len(todo)), time.time() - t0
            print(
                f"{len(poems) - len(todo) + n}/{len(poems)} poems, {seconds:.0f}s ({n / seconds:.1f} poems/s), "
                f"form kept in {kept} of {n} new ones",
                flush=True,
            )


if __name__ == "__main__":
    main()
