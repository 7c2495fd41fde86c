"""Tests of the poetry models' Python reference: the math the C++ core mirrors, export round trips, fixtures.

    /usr/bin/python3 -m unittest discover -s tests/python -p 'test_poet*.py'
"""
import json
import math
import os
import sys
import tempfile
import unittest

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(REPO, "models")
sys.path.insert(0, MODELS)
from common.safetensors_io import read  # noqa: E402
from common.modules import load_script  # noqa: E402
from common.text import CharTokenizer, apply_rope, rope_tables  # noqa: E402


AT_MODEL = load_script(os.path.join(MODELS, "poet-at", "model.py"), "poet_at_model")
NAT_MODEL = load_script(os.path.join(MODELS, "poet-nat", "model.py"), "poet_nat_model")
AT_EXPORT = load_script(os.path.join(MODELS, "poet-at", "export.py"), "poet_at_export")
NAT_EXPORT = load_script(os.path.join(MODELS, "poet-nat", "export.py"), "poet_nat_export")


def tiny_at():
    torch.manual_seed(0)
    return AT_MODEL.GPT(AT_MODEL.GPTConfig(vocab_size=40, d_model=16, n_layers=2, n_heads=2, d_ff=24, context=32))


def tiny_nat():
    torch.manual_seed(0)
    return NAT_MODEL.CMLM(
        NAT_MODEL.CMLMConfig(
            vocab_size=40, d_model=16, n_layers=2, n_heads=2, d_ff=24, context=32, max_len=20, max_len_fixed=12
        )
    )


class TokenizerTest(unittest.TestCase):
    def test_fixed_ids(self):
        tok = CharTokenizer.load()
        self.assertEqual(tok.tokens[:8], ["<pad>", "<bos>", "<eos>", "<mask>", "<unk>", "\n", "<len>", "<fixed>"])
        self.assertEqual(
            tok.forms, {"wuyan-jueju": 8, "wuyan-lvshi": 9, "qiyan-jueju": 10, "qiyan-lvshi": 11, "free": 12}
        )
        self.assertEqual(tok.tokens[13:15], ["，", "。"])
        self.assertEqual(len(set(tok.tokens)), len(tok.tokens))
        self.assertTrue(all(len(t) == 1 for t in tok.tokens[15:]))
        self.assertEqual(tok.decode(tok.encode("白日依山尽，黄河入海流。\n")), "白日依山尽，黄河入海流。\n")


class RopeTest(unittest.TestCase):
    def test_rotate_half_is_complex_rotation_of_pairs_i_and_i_plus_half(self):
        hd, T = 8, 5
        cos, sin = rope_tables(hd, T, 10000.0)
        x = torch.randn(1, 1, T, hd)
        y = apply_rope(x, cos, sin)
        for p in range(T):
            for i in range(hd // 2):
                a = p * 10000.0 ** (-2 * i / hd)
                z = complex(x[0, 0, p, i], x[0, 0, p, i + hd // 2]) * complex(math.cos(a), math.sin(a))
                self.assertAlmostEqual(float(y[0, 0, p, i]), z.real, places=5)
                self.assertAlmostEqual(float(y[0, 0, p, i + hd // 2]), z.imag, places=5)

    def test_position_zero_is_identity(self):
        cos, sin = rope_tables(8, 3, 10000.0)
        x = torch.randn(1, 1, 3, 8)
        self.assertTrue(torch.equal(apply_rope(x, cos, sin)[..., 0, :], x[..., 0, :]))


class MaskTest(unittest.TestCase):
    def test_gpt_is_causal(self):
        m = tiny_at().eval()
        a = torch.tensor([[1, 8, 20, 21, 22, 23]])
        b = a.clone()
        b[0, 4:] = torch.tensor([30, 31])
        la, lb = m(a), m(b)
        self.assertTrue(torch.allclose(la[0, :4], lb[0, :4], atol=1e-6))
        self.assertFalse(torch.allclose(la[0, 4:], lb[0, 4:], atol=1e-3))

    def test_cmlm_is_bidirectional_and_padding_free_path_matches(self):
        m = tiny_nat().eval()
        a = torch.tensor([[6, 8, 3, 21, 3, 23]])
        b = a.clone()
        b[0, 5] = 30
        (la, lena), (lb, lenb) = m(a), m(b)
        self.assertFalse(torch.allclose(la[0, 0], lb[0, 0], atol=1e-4))
        self.assertFalse(torch.allclose(lena, lenb, atol=1e-4))
        # the training path with an all-true key mask equals the inference path
        h = m.hidden(a, torch.ones_like(a, dtype=torch.bool))
        self.assertTrue(torch.allclose(h @ m.tok_emb.weight.t(), la, atol=1e-5))

    def test_cmlm_padding_is_invisible(self):
        m = tiny_nat().eval()
        a = torch.tensor([[6, 8, 3, 21, 3, 23]])
        padded = torch.tensor([[6, 8, 3, 21, 3, 23, 0, 0]])
        h = m.hidden(padded, padded != 0)[:, :6]
        self.assertTrue(torch.allclose(h, m.hidden(a), atol=1e-5))


class ExportRoundTripTest(unittest.TestCase):
    def _round_trip(self, model, export_mod, arch, extra_names):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "m.safetensors")
            export_mod.export(model, out)
            tensors, meta = read(out)
            loaded, _, _ = export_mod.load_exported(out)
        self.assertEqual(meta["arch"], arch)
        self.assertEqual(meta["tokenizer"]["specials"]["newline"], 5)
        d, f = model.cfg.d_model, model.cfg.d_ff
        self.assertEqual(tensors["tok_emb"].shape, (model.cfg.vocab_size, d))
        self.assertEqual(tensors["layers.1.w_gate"].shape, (f, d))
        self.assertEqual(tensors["layers.1.w_down"].shape, (d, f))
        expected = {"tok_emb", "final_norm", *extra_names} | {
            f"layers.{i}.{n}"
            for i in range(model.cfg.n_layers)
            for n in ("attn_norm", "wq", "wk", "wv", "wo", "mlp_norm", "w_gate", "w_up", "w_down")
        }
        self.assertEqual(set(tensors), expected)
        return loaded, meta

    def test_gpt(self):
        m = tiny_at().eval()
        loaded, meta = self._round_trip(m, AT_EXPORT, "gpt", [])
        self.assertEqual(meta["config"]["rope_theta"], 10000.0)
        x = torch.tensor([[1, 8, 20, 21]])
        self.assertTrue(torch.equal(m(x), loaded(x)))

    def test_cmlm(self):
        m = tiny_nat().eval()
        loaded, meta = self._round_trip(m, NAT_EXPORT, "cmlm", ["length_head"])
        self.assertEqual(
            (
                meta["config"]["max_len"],
                meta["config"]["max_len_fixed"],
                meta["config"]["causal"],
                meta["config"]["length_prompt"],
            ),
            (20, 12, False, True),
        )
        x = torch.tensor([[6, 8, 3, 3, 21]])
        self.assertTrue(torch.equal(m(x)[1], loaded(x)[1]))


class FixtureTest(unittest.TestCase):
    """The committed fixtures must match the committed weights (recomputed here from the file)."""

    def _check(self, name, export_mod):
        path = os.path.join(MODELS, name, "model.safetensors")
        fixture = os.path.join(REPO, "tests", "fixtures", f"{name}-golden.json")
        if not (os.path.exists(path) and os.path.exists(fixture)):
            self.skipTest("no exported model")
        with open(fixture, encoding="utf-8") as f:
            g = json.load(f)
        model, tensors, _ = export_mod.load_exported(path)
        self.assertEqual(g["n_params"], sum(t.size for t in tensors.values()))
        for case in g["cases"]:
            out = model(torch.tensor([case["tokens"]]))
            logits = (out[0] if isinstance(out, tuple) else out)[0]
            self.assertEqual(logits.argmax(-1).tolist(), case["argmax"])
            for p, ref in case["logits"].items():
                self.assertTrue(torch.allclose(logits[int(p)], torch.tensor(ref), rtol=1e-5, atol=1e-5))
        return g, model

    def test_at(self):
        g, model = self._check("poet-at", AT_EXPORT)
        gr = g["greedy"]
        self.assertEqual(model.generate_greedy(gr["prompt"], gr["max_new"], 2), gr["tokens"])

    def test_nat(self):
        g, model = self._check("poet-nat", NAT_EXPORT)
        lm = g["one_pass"]["length_mode"]
        logits, _ = model(torch.tensor([lm["tokens"]]))
        self.assertEqual(logits[0, 2:].argmax(-1).tolist(), lm["fill_argmax"])
        len_logits = model.length_logits(torch.tensor([lm["length_prefix"]]))[0]
        self.assertEqual(len_logits.topk(5).indices.tolist(), lm["top5_lengths"])
        self.assertTrue(torch.allclose(len_logits, torch.tensor(lm["length_logits"]), rtol=1e-5, atol=1e-5))

    def test_nat_tiny_length_prompt(self):
        """tests/fixtures/weights/poet-nat-tiny.*: the length distribution of each prompt, recomputed here."""
        path = os.path.join(REPO, "tests", "fixtures", "weights", "poet-nat-tiny")
        with open(path + ".json", encoding="utf-8") as f:
            g = json.load(f)
        model, _, meta = NAT_EXPORT.load_exported(path + ".safetensors")
        self.assertIs(meta["config"]["length_prompt"], True)
        tok = CharTokenizer(meta["tokenizer"])
        for case in g["cases"]:
            ids = tok.encode(case["prompt"])
            self.assertEqual(len(ids), case["prompt_tokens"])
            prefix = [tok.len, tok.forms[case["form"]]] + ids[: NAT_MODEL.first_line_length(ids, tok)]
            self.assertEqual(prefix, case["length_prefix"])
            got = model.length_logits(torch.tensor([prefix]))[0].log_softmax(-1)
            self.assertTrue(torch.allclose(got, torch.tensor(case["length_logprobs"]), rtol=1e-5, atol=1e-5))


class LineCapTest(unittest.TestCase):
    """models/poet-nat/train.py cap_repeated_lines: the teacher's clichés thinned out of the distilled data."""

    def test_a_line_is_kept_at_most_cap_times(self):
        train_script = load_script(os.path.join(MODELS, "poet-nat", "train.py"), "poet_nat_train")
        cliche = "不知何处去"
        train = [{"text": f"{first}，{cliche}。"} for first in ("春风一夜来", "秋月照江流", "白日依山尽", "孤舟泊远岸")]
        train.append({"text": "山中无甲子，寒尽不知年。"})
        val = [
            {"text": f"明月出天山，{cliche}。"},  # the cliché reached the cap in training: dropped
            {"text": f"{cliche}，青山独自闲。"},  # the cliché is the prompt (first line): kept
            {"text": "床前明月光，疑是地上霜。"},
        ]
        kept, kept_val = train_script.cap_repeated_lines(train, val, cap=2, seed=0)
        self.assertEqual(sum(p["text"].endswith(cliche + "。") for p in kept), 2)
        self.assertIn(train[4], kept)
        self.assertEqual(len(kept), 3)
        self.assertEqual(kept_val, val[1:])
        again, _ = train_script.cap_repeated_lines(train, val, cap=2, seed=0)
        self.assertEqual(again, kept)  # seeded: the same poems every run


if __name__ == "__main__":
    unittest.main()
