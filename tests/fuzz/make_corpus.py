"""Writes the libFuzzer seed corpus (deterministic; run from anywhere, commit the output):

    /usr/bin/python3 tests/fuzz/make_corpus.py

corpus/weights/    tiny valid weight files of every arch the core loads (gpt, cmlm, pixelcnn, pixnat, g2p), written
                   by the same tensor naming as the export scripts, with random weights; and the reader's
                   fixture tests/fixtures/weights/good.safetensors
corpus/json/       small documents: a weight-file header, a request, escapes, numbers, nesting at and past the
                   depth limit
corpus/tokenizer/  "<tokenizer JSON>\\0<text>" pairs: a poet-style char tokenizer with forms, a word one, and g2p's
                   (letters and phonemes, models/data/cmudict/tokenizer.json) with a word
corpus/request/    requests as the page and the CLI send them (generate, poem, NAT, hybrid, image, pronounce),
                   every field of every request type at least once, and a few that must be refused
The fuzzers grow their own scratch corpus under build/native-fuzz/ (scripts/fuzz.sh); this one stays small.
"""
import json
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "models"))
from models.common import safetensors_io  # noqa: E402
from models.common.modules import load_script  # noqa: E402
from models.common.text import to_numpy, transformer_tensors  # noqa: E402
from models.pixelcnn.export import tensors_and_config as pixelcnn_tensors  # noqa: E402
from models.pixelcnn.model import GatedPixelCNN, PixelCNNConfig  # noqa: E402
from models.pixnat.export import tensors_and_config as pixnat_tensors  # noqa: E402
from models.pixnat.model import PixNAT, PixNATConfig  # noqa: E402

OUT = os.path.join(HERE, "corpus")
TEXT_CONFIG_KEYS = ("vocab_size", "d_model", "n_layers", "n_heads", "d_ff", "context", "rope_theta", "norm_eps")


def poet_tokenizer():
    """A poet-style char tokenizer (the specials and forms of models/common/text.py) over 12 characters."""
    forms = ["wuyan-jueju", "wuyan-lvshi", "qiyan-jueju", "qiyan-lvshi", "free"]
    specials = ["<pad>", "<bos>", "<eos>", "<mask>", "<unk>", "\n", "<len>", "<fixed>"]
    tokens = specials + [f"<{f}>" for f in forms] + list("，。山风月花春水天人心归")
    return {
        "type": "char",
        "tokens": tokens,
        "specials": {"pad": 0, "bos": 1, "eos": 2, "mask": 3, "unk": 4, "newline": 5, "len": 6, "fixed": 7},
        "forms": {f: f"<{f}>" for f in forms},
    }


def g2p_tokenizer():
    """The Pronounce models' tokenizer: specials, letters a-z and ', 39 ARPAbet phonemes."""
    with open(os.path.join(REPO, "models", "data", "cmudict", "tokenizer.json"), encoding="utf-8") as f:
        return json.load(f)


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


def weights(out):
    torch.manual_seed(0)
    tok = poet_tokenizer()
    v = len(tok["tokens"])
    gpt_module = load_script(os.path.join(REPO, "models", "poet-at", "model.py"), "poet_at_model")
    gpt = gpt_module.GPT(gpt_module.GPTConfig(vocab_size=v, d_model=8, n_layers=1, n_heads=2, d_ff=16, context=24))
    config = {k: getattr(gpt.cfg, k) for k in TEXT_CONFIG_KEYS}
    safetensors_io.write(os.path.join(out, "gpt.safetensors"), to_numpy(transformer_tensors(gpt)), "gpt", config, tok)

    cmlm_module = load_script(os.path.join(REPO, "models", "poet-nat", "model.py"), "poet_nat_model")
    cmlm = cmlm_module.CMLM(
        cmlm_module.CMLMConfig(
            vocab_size=v, d_model=8, n_layers=1, n_heads=2, d_ff=16, context=24, max_len=20, max_len_fixed=16
        )
    )
    t = transformer_tensors(cmlm)
    t["length_head"] = cmlm.length_head.weight
    config = {k: getattr(cmlm.cfg, k) for k in TEXT_CONFIG_KEYS + ("max_len", "max_len_fixed")}
    config["causal"] = False
    safetensors_io.write(os.path.join(out, "cmlm.safetensors"), to_numpy(t), "cmlm", config, tok)

    pixelcnn = GatedPixelCNN(
        PixelCNNConfig(levels=4, channels=4, layers=2, first_kernel=3, head_channels=4, n_classes=2, height=4, width=4)
    ).eval()
    t, config = pixelcnn_tensors(pixelcnn)
    safetensors_io.write(os.path.join(out, "pixelcnn.safetensors"), t, "pixelcnn", config)

    pixnat = PixNAT(PixNATConfig(levels=4, channels=4, dilations=[1, 2], n_classes=2, height=4, width=4)).eval()
    t, config = pixnat_tensors(pixnat)
    safetensors_io.write(os.path.join(out, "pixnat.safetensors"), t, "pixnat", config)

    g2p_export = load_script(os.path.join(REPO, "models", "g2p", "export.py"), "g2p_export")
    g2p = g2p_export.G2P(
        g2p_export.G2PConfig(
            vocab_size=len(g2p_tokenizer()["tokens"]),
            d_model=8,
            n_heads=2,
            d_ff=16,
            enc_layers=1,
            dec_layers=1,
            max_letters=8,
            max_phonemes=8,
        )
    )
    g2p_export.export(g2p, os.path.join(out, "g2p.safetensors"))

    shutil.copy(os.path.join(REPO, "tests", "fixtures", "weights", "good.safetensors"), out)


def json_documents(out):
    with open(os.path.join(OUT, "weights", "gpt.safetensors"), "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = f.read(n)
    docs = {
        "header.json": header,
        "request.json": json.dumps(
            {
                "prompt": "春风",
                "form": "wuyan-jueju",
                "strategy": "sample",
                "temperature": 0.7,
                "top_k": 40,
                "top_p": 0.9,
                "seed": 7,
                "constraints": [{"position": 3, "text": "山"}],
            },
            ensure_ascii=False,
        ).encode(),
        "escapes.json": b'{"a":"\\u0000\\ud83d\\ude00\\n\\"","b":[1e308,-0.0,12345678901234567890,true,false,null]}',
        "depth-64.json": b"[" * 64 + b"]" * 64,
        "depth-65.json": b"[" * 65 + b"]" * 65,
        "deep-objects.json": b'{"a":' * 70 + b"1" + b"}" * 70,
    }
    for name, data in docs.items():
        write(os.path.join(out, name), data)


def tokenizer_pairs(out):
    poet = json.dumps(poet_tokenizer(), ensure_ascii=False).encode()
    word = json.dumps(
        {
            "type": "word",
            "tokens": ["<pad>", "<bos>", "<eos>", "<unk>", "AA", "B", "K"],
            "specials": {"pad": 0, "bos": 1, "eos": 2, "unk": 3},
        }
    ).encode()
    write(os.path.join(out, "poet.bin"), poet + b"\0" + "春风山月\n花<eos>人\xff".encode("utf-8", "surrogateescape"))
    write(os.path.join(out, "poet-invalid-utf8.bin"), poet + b"\0\xe6\x98\xa5\xe6\x98\xc3\x28\xed\xa0\x80")
    write(os.path.join(out, "word.bin"), word + b"\0AA B  K <unk> ZZ")
    write(os.path.join(out, "g2p.bin"), json.dumps(g2p_tokenizer()).encode() + b"\0O'Brien")


def requests(out):
    docs = {
        "generate-sample.json": {
            "prompt": "春风",
            "form": "wuyan-jueju",
            "strategy": "sample",
            "temperature": 0.7,
            "top_k": 40,
            "top_p": 0.9,
            "repetition_penalty": 1.2,
            "seed": 18446744073709551615,
            "max_tokens": 24,
            "top_n": 3,
            "constraints": [{"position": 6, "text": "山"}],
        },
        "generate-beam.json": {"prompt": "月", "strategy": "beam", "beam": 8, "length_penalty": 0.6, "max_memory": 256},
        "poem.json": {
            "prompt": "",
            "form": "qiyan-jueju",
            "mode": "length",
            "length": "form",
            "acrostic": "春夏秋冬",
            "layout": True,
        },
        "nat.json": {
            "strategy": "nat",
            "blank_text": "春眠不觉晓，处处闻啼□。",
            "length": 12,
            "length_beam": 3,
            "iterations": 10,
            "decoding": "sample",
            "temperature": 0.9,
            "seed": 7,
            "top_n": 5,
        },
        "hybrid.json": {"strategy": "hybrid", "prompt": "山", "mode": "fixed", "length": "auto", "iterations": 4},
        "image.json": {
            "class": 7,
            "seed": 3,
            "temperature": 1.5,
            "greedy": False,
            "method": "naive",
            "steps": 8,
            "gumbel": 0.5,
            "max_memory": 512,
        },
        "pronounce.json": {
            "word": "o'brien",
            "strategy": "nat",
            "iterations": 4,
            "length_beam": 2,
            "decoding": "argmax",
            "beam": 4,
            "length_penalty": 1.0,
            "top_n": 2,
        },
        "refused-key.json": {"prompt": "春", "colour": "red"},
        "refused-range.json": {"beam": 9, "temperature": 1e300, "max_memory": 0, "top_k": -1},
        "refused-constraint.json": {"constraints": [{"position": -1, "text": 5, "extra": True}]},
    }
    for name, doc in docs.items():
        write(os.path.join(out, name), json.dumps(doc, ensure_ascii=False).encode())


def main():
    for sub, make in (
        ("weights", weights),
        ("json", json_documents),
        ("tokenizer", tokenizer_pairs),
        ("request", requests),
    ):
        path = os.path.join(OUT, sub)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        make(path)
    for sub in sorted(os.listdir(OUT)):
        files = sorted(os.listdir(os.path.join(OUT, sub)))
        print(sub, len(files), "files,", sum(os.path.getsize(os.path.join(OUT, sub, f)) for f in files), "bytes")


if __name__ == "__main__":
    main()
