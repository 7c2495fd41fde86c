"""Tests of the g2p model's Python side: what the C++ core mirrors (one unpadded word = its row of a padded
batch, the AT decoder causal, the NAT decoder bidirectional), the export round trip (models/g2p/export.py) and
the committed golden fixture against the committed weights.

    /usr/bin/python3 -m unittest discover -s tests/python -p 'test_g2p*.py'
"""
import json
import os
import sys
import tempfile
import unittest

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(REPO, "models")
sys.path.insert(0, MODELS)
from common.safetensors_io import read, write  # noqa: E402
from common.modules import load_script  # noqa: E402


MODEL = load_script(os.path.join(MODELS, "g2p", "model.py"), "g2p_model")
EXPORT = load_script(os.path.join(MODELS, "g2p", "export.py"), "g2p_export")
BOS, EOS, MASK, PAD = 1, 2, 3, 0


def tiny():
    torch.manual_seed(0)
    return MODEL.G2P(
        MODEL.G2PConfig(
            vocab_size=71, d_model=16, n_heads=2, d_ff=24, enc_layers=2, dec_layers=2, max_letters=12, max_phonemes=10
        )
    ).eval()


def run(model, letters, at_in, nat_in):
    """-> (memory, length logits, AT logits, NAT logits) of one unpadded word."""
    x = torch.tensor([letters])
    valid = torch.ones_like(x, dtype=torch.bool)
    memory = model.encode(x, valid)
    return (
        memory[0],
        model.length_logits(memory, valid)[0],
        model.decode(model.at, torch.tensor([at_in]), memory, valid, causal=True)[0],
        model.decode(model.nat, torch.tensor([nat_in]), memory, valid, causal=False)[0],
    )


class G2PModelTest(unittest.TestCase):
    @torch.no_grad()
    def test_a_padded_batch_row_equals_the_unpadded_word(self):
        """The C++ core runs one word without padding; training pads: the two must agree."""
        m = tiny()
        words = [[12, 9, 16, 16, 19], [6, 30]]
        at_in = [[BOS, 47, 34, 52, 56], [BOS, 38]]
        nat_in = [[47, MASK, 52, MASK], [MASK]]
        letters = torch.tensor([w + [PAD] * (5 - len(w)) for w in words])
        valid = letters != PAD
        memory = m.encode(letters, valid)
        length = m.length_logits(memory, valid)
        at = m.decode(m.at, torch.tensor([a + [PAD] * (5 - len(a)) for a in at_in]), memory, valid, causal=True)
        nat_tok = torch.tensor([n + [PAD] * (4 - len(n)) for n in nat_in])
        nat = m.decode(m.nat, nat_tok, memory, valid, causal=False, token_valid=nat_tok != PAD)
        for b in range(2):
            mem1, len1, at1, nat1 = run(m, words[b], at_in[b], nat_in[b])
            S, T, N = len(words[b]), len(at_in[b]), len(nat_in[b])
            self.assertTrue(torch.allclose(memory[b, :S], mem1, atol=1e-5))
            self.assertTrue(torch.allclose(length[b], len1, atol=1e-5))
            self.assertTrue(torch.allclose(at[b, :T], at1, atol=1e-5))
            self.assertTrue(torch.allclose(nat[b, :N], nat1, atol=1e-5))

    @torch.no_grad()
    def test_at_is_causal_and_nat_is_bidirectional(self):
        m = tiny()
        _, _, at1, nat1 = run(m, [12, 9, 16], [BOS, 47, 34, 52], [47, MASK, 52])
        _, _, at2, nat2 = run(m, [12, 9, 16], [BOS, 47, 34, 60], [47, MASK, 60])
        self.assertTrue(torch.equal(at1[:3], at2[:3]))
        self.assertFalse(torch.allclose(nat1[0], nat2[0]))


class G2PExportTest(unittest.TestCase):
    def test_round_trip(self):
        m = tiny()
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "m.safetensors")
            EXPORT.export(m, out)
            tensors, meta = read(out)
            loaded, _, _ = EXPORT.load_exported(out)
            self.assertEqual(meta["arch"], "g2p")
            self.assertEqual(
                meta["config"],
                {
                    "vocab_size": 71,
                    "d_model": 16,
                    "n_heads": 2,
                    "d_ff": 24,
                    "enc_layers": 2,
                    "dec_layers": 2,
                    "max_letters": 12,
                    "max_phonemes": 10,
                    "norm_eps": 1e-5,
                },
            )
            tok = meta["tokenizer"]
            self.assertEqual(len(tok["letters"]), 27)
            self.assertEqual(len(tok["phonemes"]), 39)
            self.assertEqual(tok["specials"], {"pad": 0, "bos": 1, "eos": 2, "mask": 3, "unk": 4})
            # the names the C++ loader asks for: PyTorch's without ".weight", the tied output matrix once
            self.assertEqual(tensors["emb"].shape, (71, 16))
            self.assertEqual(tensors["at.blocks.1.cross_attn.wk"].shape, (16, 16))
            self.assertEqual(tensors["nat.blocks.0.mlp.w_down"].shape, (16, 24))
            self.assertEqual(tensors["length_head"].shape, (11, 16))
            self.assertEqual(len(tensors), 4 + 2 * 9 + 2 * (2 + 2 * 14))  # enc blocks 9, dec blocks 14
            self.assertEqual(sum(t.size for t in tensors.values()), sum(p.numel() for p in m.parameters()))
            with torch.no_grad():
                args = ([12, 9, 16, 16, 19], [BOS, 47, 34], [MASK, 34, MASK])
                for a, b in zip(run(m, *args), run(loaded, *args)):
                    self.assertTrue(torch.equal(a, b))
            # a file missing a tensor, or holding one too many, is refused
            del tensors["nat.norm"]
            write(out, tensors, "g2p", meta["config"], tok)
            with self.assertRaisesRegex(ValueError, "nat.norm"):
                EXPORT.load_exported(out)
            tensors["nat.norm"] = tensors["enc_norm"]
            tensors["extra"] = tensors["enc_norm"]
            write(out, tensors, "g2p", meta["config"], tok)
            with self.assertRaisesRegex(ValueError, "unused tensors \\['extra'\\]"):
                EXPORT.load_exported(out)


class G2PFixtureTest(unittest.TestCase):
    """The committed fixture must match the committed weights (recomputed here from the file)."""

    @torch.no_grad()
    def test_fixture(self):
        path = os.path.join(MODELS, "g2p", "model.safetensors")
        fixture = os.path.join(REPO, "tests", "fixtures", "g2p-golden.json")
        if not (os.path.exists(path) and os.path.exists(fixture)):
            self.skipTest("no exported model")
        with open(fixture, encoding="utf-8") as f:
            g = json.load(f)
        model, tensors, _ = EXPORT.load_exported(path)
        self.assertEqual(g["n_params"], sum(t.size for t in tensors.values()))

        def close(got, want):
            return torch.allclose(got.reshape(-1), torch.tensor(want).reshape(-1), rtol=1e-5, atol=1e-5)

        for w in g["words"]:
            memory, length, at, nat = run(model, w["letters"], w["at"]["tokens"], w["nat"]["tokens"])
            self.assertTrue(close(memory, w["memory"]))
            self.assertTrue(close(length, w["length_logits"]))
            for got, case in ((at, w["at"]), (nat, w["nat"])):
                self.assertEqual(got.argmax(-1).tolist(), case["argmax"])
                for p, ref in case["logits"].items():
                    self.assertTrue(close(got[int(p)], ref))
            x = torch.tensor([w["letters"]])
            self.assertEqual(
                MODEL.at_greedy(model, x, torch.ones_like(x, dtype=torch.bool), BOS, EOS)[0], w["at_greedy"]
            )


if __name__ == "__main__":
    unittest.main()
