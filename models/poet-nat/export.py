"""Export poet-nat to models/poet-nat/model.safetensors (arch "cmlm") and write tests/fixtures/poet-nat-golden.json.

    /usr/bin/python3 models/poet-nat/export.py
    /usr/bin/python3 models/poet-nat/export.py --int8     # model.safetensors -> model-int8.safetensors (only)

--int8 quantises the exported f32 file (models/common/quantize.py: every matrix int8 with one f32 scale per row,
except the small length head, which stays F32); the page ships that variant (README.md: its size and quality).

The weights are the best (by validation) of the training checkpoint models/data/cache/poet-nat.pt (train.py).
The fixture is computed from the EXPORTED file (weights read back into a fresh CMLM) with a single full,
unpadded, bidirectional forward per input.
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
from model import CMLM, CMLMConfig  # noqa: E402

NAME = "poet-nat"
OUT = os.path.join(HERE, "model.safetensors")
GOLDEN = os.path.join(REPO, "tests", "fixtures", "poet-nat-golden.json")
CONFIG_KEYS = (
    "vocab_size",
    "d_model",
    "n_layers",
    "n_heads",
    "d_ff",
    "context",
    "rope_theta",
    "norm_eps",
    "max_len",
    "max_len_fixed",
)


def exported_tensors(model):
    t = transformer_tensors(model)
    t["length_head"] = model.length_head.weight  # [max_len+1, d]
    return t


def load_best():
    """The best weights (by validation) of the training checkpoint, in a CMLM built from the checkpoint's model
    config (the trainer's default config if it has none). -> (model in eval mode, the checkpoint's summary)."""
    return train_loop.load_best(
        NAME, lambda mc: CMLM(CMLMConfig(**mc) if mc else CMLMConfig(vocab_size=len(CharTokenizer.load())))
    )


def export(model, out_path, tokenizer=None):
    """tokenizer: the spec to write (default: the poets' tokenizer). "length_prompt": true tells the C++ length
    pass to forward the prompt after <len> <form>, as train.py trains the head (CMLM.length_logits); files
    without the key (the weights exported before that training) get the two tokens alone."""
    config = {k: getattr(model.cfg, k) for k in CONFIG_KEYS}
    config["causal"] = False
    config["length_prompt"] = True
    write(out_path, to_numpy(exported_tensors(model)), "cmlm", config, tokenizer or CharTokenizer.load().spec)


def load_exported(path=OUT):
    tensors, meta = read(path)
    assert meta["arch"] == "cmlm", meta["arch"]
    cfg = {k: v for k, v in meta["config"].items() if k in CONFIG_KEYS}
    model = CMLM(CMLMConfig(**cfg))
    load_tensors(exported_tensors(model), tensors)
    model.eval()
    return model, tensors, meta


@torch.no_grad()
def golden(path, tok):
    model, tensors, meta = load_exported(path)
    N = model.cfg.max_len_fixed
    test = load_splits(tok)["test"]
    jueju = next(p for p in test if p[0] == tok.forms["wuyan-jueju"])
    qiyan = next(p for p in test if p[0] == tok.forms["qiyan-jueju"])
    M = tok.mask
    # length mode: a wuyan jueju with every other character of lines 2-4 masked and line 1 given
    ys = list(jueju[1])
    len_in = [tok.len, jueju[0]] + [M if (i >= 6 and i % 2 == 0) else t for i, t in enumerate(ys)]
    # fixed mode: a qiyan jueju padded with <eos> to N, second half and all padding masked
    zs = list(qiyan[1]) + [tok.eos] * (N - len(qiyan[1]))
    fix_in = [tok.fixed, qiyan[0]] + [t if i < 16 else M for i, t in enumerate(zs)]
    cases = []
    for name, seq, positions in (("length_mode_masked", len_in, [8, 20]), ("fixed_mode_masked", fix_in, [20, 50])):
        logits, len_logits = model(torch.tensor([seq]))
        logits = logits[0]
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
                "length_logits": f32_list(len_logits[0]),
            }
        )
    one_pass = {}
    wj = tok.forms["wuyan-jueju"]
    seq = [tok.len, wj] + [M] * 25
    logits, _ = model(torch.tensor([seq]))
    fill = logits[0, 2:].argmax(-1).tolist()
    prefix = [tok.len, wj]
    len_logits = model(torch.tensor([prefix]))[1][0]  # the length is read from the 2-token forward
    top = len_logits.log_softmax(-1).topk(5)
    one_pass["length_mode"] = {
        "tokens": seq,
        "fill_argmax": fill,
        "fill_text": tok.decode(fill),
        "length_prefix": prefix,
        "length_logits": f32_list(len_logits),
        "top5_lengths": top.indices.tolist(),
        "top5_length_logprobs": f32_list(top.values),
    }
    free_prefix = [tok.len, tok.forms["free"]]
    top = model(torch.tensor([free_prefix]))[1][0].log_softmax(-1).topk(5)
    one_pass["length_free"] = {
        "length_prefix": free_prefix,
        "top5_lengths": top.indices.tolist(),
        "top5_length_logprobs": f32_list(top.values),
    }
    seq = [tok.fixed, wj] + [M] * N
    logits, _ = model(torch.tensor([seq]))
    fill = logits[0, 2:].argmax(-1).tolist()
    cut = fill.index(tok.eos) if tok.eos in fill else len(fill)
    one_pass["fixed_mode"] = {"tokens": seq, "fill_argmax": fill, "text_until_first_eos": tok.decode(fill[:cut])}
    return {
        "model": "models/poet-nat/model.safetensors",
        "sha256": sha256_file(path),
        "n_params": int(sum(t.size for t in tensors.values())),
        "note": "logits[p] = full vocab logits at position p; length_logits = length head at position 0 of the "
        "given input (in use, lengths come from the 2-token input <len> <form>: one_pass.length_mode."
        "length_prefix); floats rounded to 7 "
        "significant digits: compare with rtol ~1e-4 / atol ~1e-4. argmax and top5 at every position "
        "(positions 0-1 hold <len>/<fixed> and the form: their argmax is meaningless but deterministic).",
        "cases": cases,
        "one_pass": one_pass,
    }


def describe(g):
    op = g["one_pass"]
    return (
        f"length mode: {op['length_mode']['fill_text']!r} lengths {op['length_mode']['top5_lengths']}\n"
        f"fixed mode: {op['fixed_mode']['text_until_first_eos']!r}"
    )


def main():
    tok = CharTokenizer.load()
    exporting.export_main(
        out=OUT,
        golden_path=GOLDEN,
        load_best=load_best,
        export=export,
        golden=lambda path: golden(path, tok),
        describe=describe,
        int8_keep=("length_head",),
    )


if __name__ == "__main__":
    main()
