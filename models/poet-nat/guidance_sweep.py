"""How strong should prompt guidance be? Mask-predict with the repetition penalty and guidance G (core/decode/nat.hpp)
on a prompt file, for several G and T = 1, 4, 10, with the C++ CLI.

    /usr/bin/python3 models/poet-nat/guidance_sweep.py [--guidance 0,0.25,0.5,0.75,1,1.5,2] [--penalty 1.5]
                                                       [--prompts models/data/poetry/val_prompts.txt] [--model DIR]

Settings are chosen on the 200 val prompts (the default) and then reported on the test prompts (`atnat compare`),
so the test figures are not the ones the choice was fitted to.

For every setting it runs `atnat generate --strategy nat --prompts FILE --json` (argmax picks, predicted lengths,
as in `atnat compare`), scores the outputs with `atnat score` under poet-at and prints one markdown row per G:
  AT-ppl       poet-at's corpus perplexity of the outputs, exp(Σ NLL / Σ tokens): `atnat compare`'s column
  same ending  the share of prompts whose output ends with the most common closing couplet (compare's column)
  长安 endings  of the 七言律诗 prompts, the outputs that end 不知何处是长安 (the template guidance is for)
  passes, ms   forward passes and milliseconds per poem (one thread; the ms depend on the machine and its load)
"""
import argparse
import collections
import json
import math
import os
import re
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLI = os.path.join(ROOT, "build", "native-release", "atnat")
PROMPTS = os.path.join(ROOT, "models", "data", "poetry", "val_prompts.txt")
TEMPLATE = "不知何处是长安。"


def closing_couplet(text):
    """The last two lines (core/decode/metrics.cpp closing_couplet)."""
    lines = [x for x in re.split("[，。\n]", text) if x]
    return "，".join(lines[-2:])


def measure(model, prompts, forms, iterations, penalty, guidance):
    out = subprocess.run(
        [CLI, "generate", "--model", model, "--strategy", "nat"]
        + ["--prompts", prompts, "--json", "--iterations", str(iterations)]
        + ["--repetition-penalty", str(penalty), "--guidance", str(guidance)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    results = [json.loads(line) for line in out.splitlines() if line.strip()]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        for form, r in zip(forms, results):
            f.write(form + "\t" + r["text"].replace("\n", "\\n") + "\n")
        texts_path = f.name
    try:
        scored = subprocess.run(
            [CLI, "score", "--model", os.path.join(ROOT, "models", "poet-at"), "--text-file", texts_path, "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.remove(texts_path)
    lines = json.loads(scored)["lines"]
    ppl = math.exp(sum(x["total_nll"] for x in lines) / sum(x["tokens"] for x in lines))
    top = collections.Counter(closing_couplet(r["text"]) for r in results).most_common(1)[0][1]
    template = sum(f == "qiyan-lvshi" and r["text"].endswith(TEMPLATE) for f, r in zip(forms, results))
    n = len(results)
    return {
        "ppl": ppl,
        "same": 100 * top / n,
        "template": template,
        "passes": sum(r["forward_passes"] for r in results) / n,
        "ms": sum(r["ms"] for r in results) / n,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--guidance", default="0,0.25,0.5,0.75,1,1.5,2", help="comma-separated G values")
    ap.add_argument("--penalty", type=float, default=1.5, help="the repetition penalty R on the canvas")
    ap.add_argument("--prompts", default=PROMPTS, help="FORM<TAB>first line per line (default: the val prompts)")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "poet-nat"), help="the NAT model")
    args = ap.parse_args()
    with open(args.prompts, encoding="utf-8") as f:
        forms = [line.split("\t")[0] for line in f.read().splitlines()]
    n_lvshi = forms.count("qiyan-lvshi")
    print(
        f"{os.path.relpath(args.prompts, ROOT)}: argmax, predicted length, repetition penalty {args.penalty:g}, "
        "T = 1 / 4 / 10\n"
    )
    print(f"| G | AT-ppl | same ending | 长安 endings (of {n_lvshi} 七言律诗) | forward passes | ms |")
    print("|---|---|---|---|---|---|")
    for g in args.guidance.split(","):
        rows = [measure(args.model, args.prompts, forms, t, args.penalty, float(g)) for t in (1, 4, 10)]

        def cells(key, fmt):
            return " / ".join(fmt.format(r[key]) for r in rows)

        print(
            f"| {float(g):g} | {cells('ppl', '{:.1f}')} | {cells('same', '{:.1f}')}% | {cells('template', '{}')} "
            f"| {cells('passes', '{:.0f}')} | {cells('ms', '{:.0f}')} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
