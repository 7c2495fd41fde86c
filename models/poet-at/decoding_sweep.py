"""Which decoding settings read best? poet-at's strategies measured on the 200 test prompts with the C++ CLI.

    /usr/bin/python3 models/poet-at/decoding_sweep.py [--limit 200]      # writes models/poet-at/decoding.md

For every setting and every prompt ("FORM<TAB>first line", models/data/poetry/test_prompts.txt) it runs
`atnat generate` (seed = prompt index for sampling), then scores all outputs with `atnat score` (poet-at's own
per-token perplexity of the text: low means "what the model finds most likely", which greedy and beam maximise
and which is not the same as good). Measures per setting:
  AT-ppl         exp(mean NLL per token) of the outputs under poet-at (atnat score)
  form           share of poems with the requested form (line count, line lengths, punctuation)
  adjacent rep.  identical neighbouring characters / neighbouring pairs (春风吹落花，夜夜夜来春: 1/8)
  distinct-1     mean over poems of unique characters / characters (a real poem: about 0.9)
  same ending    share of poems whose last line is the most common last line (one closing line for every
                 prompt is the collapse greedy decoding shows)
"""
import argparse
import collections
import json
import os
import re
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLI = os.path.join(ROOT, "build", "native-release", "atnat")
PROMPTS = os.path.join(ROOT, "models", "data", "poetry", "test_prompts.txt")
FORM_LINES = {"wuyan-jueju": (4, 5), "wuyan-lvshi": (8, 5), "qiyan-jueju": (4, 7), "qiyan-lvshi": (8, 7)}

SETTINGS = [
    ("greedy", ["--strategy", "greedy"]),
    ("greedy, repetition penalty 1.2", ["--strategy", "greedy", "--repetition-penalty", "1.2"]),
    ("beam 4, α 1", ["--strategy", "beam", "--beam", "4", "--length-penalty", "1"]),
    ("beam 4, α 0.8", ["--strategy", "beam", "--beam", "4", "--length-penalty", "0.8"]),
    ("beam 4 (α 0.5, the default)", ["--strategy", "beam", "--beam", "4"]),
    ("beam 4, α 0.5, the form's layout given (the page's beam)", ["--strategy", "beam", "--beam", "4", "--layout"]),
    ("sample T=1", ["--strategy", "sample", "--temperature", "1"]),
    ("sample T=0.8, top-p 0.9", ["--strategy", "sample", "--temperature", "0.8", "--top-p", "0.9"]),
    (
        "sample T=0.8, top-p 0.9, penalty 1.1",
        ["--strategy", "sample", "--temperature", "0.8", "--top-p", "0.9", "--repetition-penalty", "1.1"],
    ),
    (
        "sample T=0.7, top-k 40, penalty 1.2",
        ["--strategy", "sample", "--temperature", "0.7", "--top-k", "40", "--repetition-penalty", "1.2"],
    ),
]


def lines_of(text):
    return [x for x in re.split("[，。\n]", text) if x]


def form_ok(text, form):
    lines = lines_of(text)
    if form == "free":
        return len(lines) >= 2 and len(lines) % 2 == 0 and all(len(x) in (5, 7) for x in lines)
    n, k = FORM_LINES[form]
    return len(lines) == n and all(len(x) == k for x in lines)


def measures(poems):
    pairs = repeated = 0
    distinct = []
    for _, text in poems:
        for line in lines_of(text):
            pairs += max(0, len(line) - 1)
            repeated += sum(a == b for a, b in zip(line, line[1:]))
        chars = [c for c in text if c not in "，。\n"]
        if chars:
            distinct.append(len(set(chars)) / len(chars))
    endings = collections.Counter(lines_of(t)[-1] if lines_of(t) else "" for _, t in poems)
    return {
        "form": sum(form_ok(t, f) for f, t in poems) / len(poems),
        "adjacent_rep": repeated / max(1, pairs),
        "distinct1": sum(distinct) / max(1, len(distinct)),
        "same_ending": endings.most_common(1)[0][1] / len(poems),
        "most_common_ending": endings.most_common(1)[0][0],
    }


def generate(prompts, args):
    out = []
    for i, (form, first) in enumerate(prompts):
        cmd = [CLI, "generate", "--model", "models/poet-at", "--form", form, "--prompt", first, "--json"]
        if "sample" in args:
            cmd += ["--seed", str(i)]
        flags = [a for a in args if a != "--layout" or form != "free"]  # a free poem has no layout to give
        r = json.loads(subprocess.run(cmd + flags, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
        out.append((form, r["text"]))
    return out


def at_ppl(poems):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for form, text in poems:
            f.write(form + "\t" + text.replace("\n", "\\n") + "\n")
    r = json.loads(
        subprocess.run(
            [CLI, "score", "--model", "models/poet-at", "--text-file", f.name, "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    os.unlink(f.name)
    return r["total"]["ppl"] if "total" in r else r["ppl"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=200)
    args = ap.parse_args()
    prompts = [tuple(line.rstrip("\n").split("\t", 1)) for line in open(PROMPTS, encoding="utf-8")][: args.limit]
    rows = []
    for name, flags in SETTINGS:
        poems = generate(prompts, flags)
        m = measures(poems)
        m.update(name=name, at_ppl=at_ppl(poems), example=poems[0][1])
        rows.append(m)
        print(json.dumps(m, ensure_ascii=False), flush=True)
    with open(os.path.join(HERE, "decoding.md"), "w", encoding="utf-8") as f:
        f.write(
            f"# poet-at: decoding settings compared\n\nGenerated by `/usr/bin/python3 models/poet-at/decoding_sweep.py"
            f"` on the first {len(prompts)} test prompts (see the script's docstring for each measure).\n\n"
        )
        f.write("| setting | AT-ppl | form | adjacent rep. | distinct-1 | same ending | most common last line |\n")
        f.write("|---|---:|---:|---:|---:|---:|---|\n")
        for r in rows:
            f.write(
                f"| {r['name']} | {r['at_ppl']:.1f} | {100 * r['form']:.1f}% | {100 * r['adjacent_rep']:.2f}% | "
                f"{r['distinct1']:.3f} | {100 * r['same_ending']:.1f}% | {r['most_common_ending']} |\n"
            )
        f.write("\nFirst prompt, every setting:\n\n")
        for r in rows:
            f.write(f"- **{r['name']}**: {r['example'].replace(chr(10), ' ')}\n")


if __name__ == "__main__":
    main()
