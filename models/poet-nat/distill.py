"""Sequence-level knowledge distillation data for poet-nat (Kim & Rush 2016; Gu et al. 2018; Mask-Predict):
poet-at, the teacher, rewrites every training poem, and poet-nat learns from the teacher's poems.

    /usr/bin/python3 models/poet-nat/distill.py [--limit N] [--beam 4]     # resumable; ~0.1 s per poem

Why: a non-autoregressive model predicts every position independently given the input, so when the data holds
many different poems for the same input it mixes them ("multi-modality": 不人不人人). The teacher's outputs are
far less varied for a given input (one mode per input, chosen by beam search), which is what a one-pass model
can learn. The cost: the student can only be as good as the teacher.

For each training poem: the teacher gets the poem's form and its first line (the NAT tasks' typical given
positions: a prompt, and for acrostics and blanks some characters), writes the rest with beam search, and
the result must have the form (checked with atnat's own form check; poems that fail keep the original).
Output: models/data/cache/poetry-distilled.json = {"train": [{"id", "form", "text"}, ...]}, the same layout
as poetry.json, so poet-nat's trainer can read either (`--data raw|distilled|mixed`, next step).
The teacher is the committed models/poet-at/model.safetensors, run by the native CLI (build/native-release).
"""
import argparse
import json
import os
import re
import subprocess
import time

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


def teacher(form, first_line, beam):
    args = [CLI, "generate", "--model", "models/poet-at", "--form", form, "--prompt", first_line, "--json",
            "--strategy", "beam", "--beam", str(beam)]
    return json.loads(subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout)["text"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="first N training poems only (0 = all)")
    ap.add_argument("--beam", type=int, default=4)
    args = ap.parse_args()
    with open(os.path.join(CACHE, "poetry.json"), encoding="utf-8") as f:
        train = json.load(f)["train"]
    if args.limit:
        train = train[:args.limit]
    out_path = os.path.join(CACHE, "poetry-distilled.json")
    done = {}
    if os.path.exists(out_path):
        with open(out_path, encoding="utf-8") as f:
            done = {p["id"]: p for p in json.load(f)["train"]}
    t0, kept = time.time(), 0
    for i, poem in enumerate(train):
        if poem["id"] in done:
            continue
        first_line = re.split("[，。]", poem["text"])[0]
        text = teacher(poem["form"], first_line, args.beam)
        ok = has_form(text, poem["form"])
        kept += ok
        done[poem["id"]] = {"id": poem["id"], "form": poem["form"], "text": text if ok else poem["text"],
                            "distilled": ok}
        if (i + 1) % 500 == 0 or i + 1 == len(train):
            tmp = out_path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"train": [done[p["id"]] for p in train if p["id"] in done]}, f, ensure_ascii=False)
            os.replace(tmp, out_path)
            print(f"{i + 1}/{len(train)} poems, {time.time() - t0:.0f}s, form kept in {kept} new ones", flush=True)


if __name__ == "__main__":
    main()
