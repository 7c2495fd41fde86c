"""Export poet-at to models/poet-at/model.safetensors (arch "gpt") and write tests/fixtures/poet-at-golden.json.

    /usr/bin/python3 models/poet-at/export.py
    /usr/bin/python3 models/poet-at/export.py --int8     # model.safetensors -> model-int8.safetensors (only)

--int8 quantises the exported f32 file (models/common/quantize.py: every matrix, the tied embedding included,
int8 with one f32 scale per row); the page ships that variant (README.md: its size, speed and perplexity).

The weights are the best (by validation) of the training checkpoint models/data/cache/poet-at.pt (train.py).
The fixture is computed from the EXPORTED file (weights read back into a fresh GPT), with the no-cache
full-sequence forward, so it checks exactly what the C++ core loads.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from common import exporting, train_loop  # noqa: E402
from common.safetensors_io import read, write  # noqa: E402
from common.text import (
    CharTokenizer,
    f32_list,
    load_splits,
    load_tensors,
    sha256_file,  # noqa: E402
    to_numpy,
    transformer_tensors,
)
from model import GPT, GPTConfig  # noqa: E402

NAME = "poet-at"
OUT = os.path.join(HERE, "model.safetensors")
GOLDEN = os.path.join(REPO, "tests", "fixtures", "poet-at-golden.json")
CONFIG_KEYS = ("vocab_size", "d_model", "n_layers", "n_heads", "d_ff", "context", "rope_theta", "norm_eps")


def load_best():
    """The best weights (by validation) of the training checkpoint, in a GPT built from the checkpoint's model
    config (the trainer's default config if it has none). -> (model in eval mode, the checkpoint's summary)."""
    return train_loop.load_best(
        NAME, lambda mc: GPT(GPTConfig(**mc) if mc else GPTConfig(vocab_size=len(CharTokenizer.load())))
    )


def export(model, out_path):
    config = {k: getattr(model.cfg, k) for k in CONFIG_KEYS}
    write(out_path, to_numpy(transformer_tensors(model)), "gpt", config, CharTokenizer.load().spec)


def load_exported(path):
    tensors, meta = read(path)
    assert meta["arch"] == "gpt", meta["arch"]
    model = GPT(GPTConfig(**meta["config"]))
    load_tensors(transformer_tensors(model), tensors)
    model.eval()
    return model, tensors, meta


@torch.no_grad()
def golden(path, tok):
    model, tensors, meta = load_exported(path)
    test = load_splits(tok)["test"]
    lvshi = next(p for p in test if p[0] == tok.forms["wuyan-lvshi"])
    prompt = [tok.bos, tok.forms["wuyan-jueju"], tok.index["春"]]
    long_seq = ([tok.bos, lvshi[0]] + lvshi[1])[:40]
    cases = []
    for name, seq, positions in (("short", prompt, [2]), ("test_poem_40", long_seq, [5, 21, 39])):
        logits = model(torch.tensor([seq]))[0]  # [T, V]
        top = logits.topk(5, dim=-1)
        cases.append(
            {
                "name": name,
                "tokens": seq,
                "text": tok.decode(seq),
                "argmax": logits.argmax(-1).tolist(),
                "top5_ids": top.indices.tolist(),
                "top5_logits": [f32_list(r) for r in top.values],
                "logits": {str(p): f32_list(logits[p]) for p in positions},
            }
        )
    cont = model.generate_greedy(prompt, 30, tok.eos)
    return {
        "model": "models/poet-at/model.safetensors",
        "sha256": sha256_file(path),
        "n_params": int(sum(t.size for t in tensors.values())),
        "note": "logits[p] = full vocab logits at position p (predicting token p+1); floats rounded to 7 "
        "significant digits: compare with rtol ~1e-4 / atol ~1e-4. argmax and top5 at every position.",
        "cases": cases,
        "greedy": {
            "prompt": prompt,
            "prompt_text": tok.decode(prompt),
            "max_new": 30,
            "stop": "eos (included)",
            "tokens": cont,
            "text": tok.decode(cont),
        },
    }


def main():
    tok = CharTokenizer.load()
    exporting.export_main(
        out=OUT,
        golden_path=GOLDEN,
        load_best=load_best,
        export=export,
        golden=lambda path: golden(path, tok),
        describe=lambda g: f"greedy: {g['greedy']['text']!r}",
    )


if __name__ == "__main__":
    main()
