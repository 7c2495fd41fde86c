"""Export g2p to models/g2p/model.safetensors (arch "g2p") and write tests/fixtures/g2p-golden.json.

    /usr/bin/python3 models/g2p/export.py
    /usr/bin/python3 models/g2p/export.py --int8     # model.safetensors -> model-int8.safetensors (only)

The weights are the best (by validation) of the training checkpoint models/data/cache/g2p.pt (train.py).
Tensor names are the PyTorch parameter names without ".weight" (emb, enc_pos, enc_blocks.0.attn.wq,
at.blocks.2.cross_attn.wk, nat.norm, length_head, ...); Linear weights keep PyTorch's [out, in] layout. The
metadata holds the config and the tokenizer (models/data/cmudict/tokenizer.json: tokens, specials, letters,
phonemes).

The fixture is computed from the EXPORTED file (weights read back into a fresh G2P), one unpadded word at a
time, so it checks exactly what the C++ core loads: per word the encoder memory, the length logits, the AT
decoder's logits for the teacher-forced reference (or, for a made-up word, its greedy output), the NAT
decoder's logits for a half-masked input, and the reference greedy / mask-predict outputs.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from common import exporting, train_loop  # noqa: E402
from common.safetensors_io import Loader, read, write  # noqa: E402
from common.text import f32_list, sha256_file, to_numpy  # noqa: E402
from model import G2P, G2PConfig, at_greedy, nat_mask_predict  # noqa: E402

NAME = "g2p"
OUT = os.path.join(HERE, "model.safetensors")
GOLDEN = os.path.join(REPO, "tests", "fixtures", "g2p-golden.json")
TOKENIZER = os.path.join(os.path.dirname(HERE), "data", "cmudict", "tokenizer.json")
TEST500 = os.path.join(os.path.dirname(HERE), "data", "cmudict", "test500.txt")
CONFIG_KEYS = (
    "vocab_size",
    "d_model",
    "n_heads",
    "d_ff",
    "enc_layers",
    "dec_layers",
    "max_letters",
    "max_phonemes",
    "norm_eps",
)
# Real test words (two with alternates, one with an apostrophe, a long one) and a made-up word, whose
# teacher-forced input is the pronunciation given here.
WORDS = ("aalen", "b'nai", "differentiating", "blorft")
MADE_UP = {"blorft": "B L AO R F T"}
NAT_ITERATIONS = 4


def load_tokenizer():
    with open(TOKENIZER, encoding="utf-8") as f:
        return json.load(f)


def exported_tensors(model):
    """name -> Parameter, in file order: the PyTorch names without the ".weight" suffix. The tied output
    matrix is emb itself (named_parameters lists a shared parameter once)."""
    return {name[: -len(".weight")] if name.endswith(".weight") else name: p for name, p in model.named_parameters()}


def load_best():
    """The best weights (by validation) of the training checkpoint, in a G2P built from the checkpoint's
    model config. -> (model in eval mode, the checkpoint's summary)."""
    return train_loop.load_best(
        NAME, lambda mc: G2P(G2PConfig(**mc) if mc else G2PConfig(vocab_size=len(load_tokenizer()["tokens"])))
    )


def export(model, out_path):
    config = {k: getattr(model.cfg, k) for k in CONFIG_KEYS}
    write(out_path, to_numpy(exported_tensors(model)), "g2p", config, load_tokenizer())


@torch.no_grad()
def load_exported(path=OUT):
    """-> (G2P in eval mode, tensors, metadata); every tensor used once, every shape checked."""
    tensors, meta = read(path)
    assert meta["arch"] == "g2p", meta["arch"]
    model = G2P(G2PConfig(**meta["config"]))
    loader = Loader(tensors)
    for name, p in exported_tensors(model).items():
        if name not in loader.tensors:
            raise ValueError(f"{path}: tensor {name!r} is missing")
        loader.put(p, name)
    if loader.left():
        raise ValueError(f"{path}: unused tensors {loader.left()}")
    model.eval()
    return model, tensors, meta


def references():
    """word -> [pronunciation strings] of the fixed test subset (and of the made-up words)."""
    out = {w: [p] for w, p in MADE_UP.items()}
    with open(TEST500, encoding="utf-8") as f:
        for line in f:
            word, *prons = line.rstrip("\n").split("\t")
            out[word] = prons
    return out


def logits_case(tokens, logits, decoder):
    """The poets' case layout (tokens, argmax and top-5 at every position, full logits at every position),
    plus the cross-attention weights of the pass: [L, H, T, S] flattened, from Attention.last_weights."""
    top = logits.topk(5, dim=-1)
    cross = torch.stack([b.cross_attn.last_weights[0] for b in decoder.blocks])  # [L, H, T, S]
    return {
        "tokens": tokens,
        "argmax": logits.argmax(-1).tolist(),
        "top5_ids": top.indices.tolist(),
        "top5_logits": [f32_list(r) for r in top.values],
        "logits": {str(p): f32_list(logits[p]) for p in range(logits.shape[0])},
        "cross_attention": {"shape": list(cross.shape), "values": f32_list(cross)},
    }


@torch.no_grad()
def golden(path):
    model, tensors, meta = load_exported(path)
    spec = meta["tokenizer"]
    index = {t: i for i, t in enumerate(spec["tokens"])}
    s = spec["specials"]
    bos, eos, mask = s["bos"], s["eos"], s["mask"]
    allowed = torch.zeros(len(spec["tokens"]), dtype=torch.bool)
    allowed[[index[p] for p in spec["phonemes"]]] = True
    refs = references()
    words = []
    for word in WORDS:
        letters = [index[c] for c in word]
        x = torch.tensor([letters])
        valid = torch.ones_like(x, dtype=torch.bool)
        memory = model.encode(x, valid)  # [1, S, d]
        length_logits = model.length_logits(memory, valid)[0]  # [max_phonemes + 1]
        greedy = at_greedy(model, x, valid, bos, eos)[0]
        prons = [[index[p] for p in pron.split()] for pron in refs[word]]
        target = prons[0]
        at_in = [bos] + target  # teacher forcing: predicts target + <eos>
        at_logits = model.decode(model.at, torch.tensor([at_in]), memory, valid, causal=True)[0]
        at_case = logits_case(at_in, at_logits, model.at)
        nat_in = [mask if i % 2 == 0 else t for i, t in enumerate(target)]  # every other phoneme masked
        nat_logits = model.decode(model.nat, torch.tensor([nat_in]), memory, valid, causal=False)[0]
        nat_case = logits_case(nat_in, nat_logits, model.nat)
        words.append(
            {
                "word": word,
                "made_up": word in MADE_UP,
                "letters": letters,
                "references": prons,
                "memory": [f32_list(row) for row in memory[0]],
                "length_logits": f32_list(length_logits),
                "at": at_case,
                "nat": nat_case,
                "at_greedy": greedy,
                "at_greedy_arpabet": " ".join(spec["tokens"][i] for i in greedy),
                "nat_mask_predict": nat_mask_predict(model, x, valid, mask, NAT_ITERATIONS, allowed)[0],
            }
        )
    return {
        "model": "models/g2p/model.safetensors",
        "sha256": sha256_file(path),
        "n_params": int(sum(t.size for t in tensors.values())),
        "note": "one unpadded word per forward. memory [S, d] = encode(letters); length_logits [max_phonemes+1]; "
        "at: AT decoder logits of <bos> + the first reference (made-up words: a plausible one), row p predicts "
        "token p+1; nat: NAT decoder logits of the reference with even positions masked; at_greedy: "
        "model.at_greedy (argmax over the whole vocabulary, <eos> cut); nat_mask_predict: "
        f"model.nat_mask_predict with T = {NAT_ITERATIONS}; cross_attention: the softmax weights of every "
        "cross-attention head, [L, H, T, S] flattened. Floats rounded to 7 significant digits: "
        "compare with atol ~1e-4.",
        "nat_iterations": NAT_ITERATIONS,
        "words": words,
    }


def main():
    exporting.export_main(
        out=OUT,
        golden_path=GOLDEN,
        load_best=load_best,
        export=export,
        golden=golden,
        describe=lambda g: "\n".join(f"  {w['word']}: AT greedy {w['at_greedy_arpabet']!r}" for w in g["words"]),
        int8_keep=("enc_pos", "at.pos", "nat.pos", "length_head"),
    )


if __name__ == "__main__":
    main()
