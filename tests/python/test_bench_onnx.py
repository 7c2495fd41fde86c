"""The models behind bench/side_by_side.mjs's ONNX Runtime and PyTorch engines (bench/cached_gpt.py): the KV-cache
forward equals poet-at's own full forward, the GroupQueryAttention layout computes the same, and both export.
(ONNX Runtime's side is checked by the runner: its logits against PyTorch's, its greedy tokens against every
other engine's.)

    /usr/bin/python3 -m unittest discover -s tests/python -p 'test_bench_onnx.py'
"""
import importlib.util
import os
import sys
import tempfile
import unittest

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "bench"))
from cached_gpt import CachedGPT, FusedCachedGPT, export_onnx  # noqa: E402


def poet_at_model_module():
    folder = os.path.join(REPO, "models", "poet-at")
    spec = importlib.util.spec_from_file_location("poet_at_model_for_bench", os.path.join(folder, "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tiny_gpt():
    m = poet_at_model_module()
    torch.manual_seed(0)
    gpt = m.GPT(m.GPTConfig(vocab_size=40, d_model=16, n_layers=2, n_heads=2, d_ff=24, context=32)).eval()
    with torch.no_grad():  # weights larger than the training init's, so that greedy decoding wanders
        for p in gpt.parameters():
            if p.dim() == 2:
                p.normal_(0.0, 0.5)
    return gpt


class CachedGPTTest(unittest.TestCase):
    @torch.no_grad()
    def check_against_full_forward(self, cached):
        gpt = cached.gpt
        tokens = [1, 9, 15, 22, 7, 30, 12, 5, 18, 33, 2]
        full = gpt(torch.tensor([tokens]))[0]  # [T, V]: logits at every position
        # prefill 4 tokens, then 2 more in one call, then one at a time: each call's logits = full[last]
        out = cached(torch.tensor([tokens[:4]]), *cached.empty_cache())
        torch.testing.assert_close(out[0][0], full[3], rtol=1e-5, atol=1e-5)
        out = cached(torch.tensor([tokens[4:6]]), *out[1:])
        torch.testing.assert_close(out[0][0], full[5], rtol=1e-5, atol=1e-5)
        for p in range(6, len(tokens)):
            out = cached(torch.tensor([[tokens[p]]]), *out[1:])
            torch.testing.assert_close(out[0][0], full[p], rtol=1e-5, atol=1e-5)
        self.assertEqual(tuple(out[1].shape), (1, 2, len(tokens), 8))  # present k0 [1, H, P+T, hd]

    def test_cached_forward_equals_full_forward(self):
        self.check_against_full_forward(CachedGPT(tiny_gpt()))

    def test_fused_layout_equals_full_forward(self):
        self.check_against_full_forward(FusedCachedGPT(tiny_gpt()))

    def test_greedy_equals_the_models_own(self):
        gpt = tiny_gpt()
        prompt = [1, 9, 15]
        want = gpt.generate_greedy(prompt, 12, eos=39)
        self.assertGreater(len(set(want)), 3)  # not a degenerate repetition
        self.assertEqual(CachedGPT(gpt).generate_greedy(prompt, 12, 39), want)

    def test_both_variants_export(self):
        gpt = tiny_gpt()
        with tempfile.TemporaryDirectory() as tmp:
            for fused in (False, True):
                path = os.path.join(tmp, f"tiny-{fused}.onnx")
                export_onnx(gpt, path, fused=fused)
                with open(path, "rb") as f:
                    data = f.read()
                # an ONNX ModelProto naming its inputs and outputs; the fused one uses the contrib op
                for name in (b"tokens", b"past_k0", b"present_v1", b"logits"):
                    self.assertIn(name, data)
                self.assertEqual(b"GroupQueryAttention" in data, fused)


if __name__ == "__main__":
    unittest.main()
