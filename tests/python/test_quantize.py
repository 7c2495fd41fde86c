"""The int8 quantiser (models/common/quantize.py): the round trip, the file layout the C++ loader expects."""
import os
import tempfile
import unittest

import numpy as np

from models.common import quantize, safetensors_io


class QuantizeRows(unittest.TestCase):
    def test_round_trip_is_within_half_a_step_and_the_row_maximum_is_exact(self):
        w = np.random.default_rng(0).normal(size=(5, 37)).astype(np.float32)
        w[2] = 0  # an all-zero row: scale 0, q 0
        q, scale = quantize.quantize_rows(w)
        self.assertEqual((q.dtype, scale.dtype, q.shape, scale.shape), (np.int8, np.float32, (5, 37), (5,)))
        self.assertEqual(np.abs(q).max(), 127)
        self.assertEqual(scale[2], 0)
        self.assertTrue((q[2] == 0).all())
        back = quantize.dequantize(q, scale)
        self.assertTrue((np.abs(back - w) <= scale[:, None] / 2 * (1 + 1e-6)).all())
        for r in (0, 1, 3, 4):  # the largest |w| of a row maps to ±127 and back to itself
            k = np.abs(w[r]).argmax()
            self.assertAlmostEqual(float(back[r, k]), float(w[r, k]), places=6)

    def test_tensors_keep_vectors_and_kept_names_and_dequantize_back(self):
        f32 = {
            "emb": np.ones((3, 4), np.float32),
            "norm": np.ones(4, np.float32),
            "head": np.full((2, 4), 0.5, np.float32),
            "ids": np.arange(3, dtype=np.int32),
        }
        t = quantize.quantize_tensors(f32, keep=("head",))
        self.assertEqual(list(t), ["emb", "emb.scale", "norm", "head", "ids"])  # file order: scale after its matrix
        self.assertEqual(t["emb"].dtype, np.int8)
        self.assertEqual(t["head"].dtype, np.float32)
        back = quantize.dequantize_tensors(t)
        self.assertEqual(list(back), ["emb", "norm", "head", "ids"])
        for name, a in f32.items():
            np.testing.assert_array_equal(back[name], a)

    def test_file_has_the_same_metadata_and_i8_matrices(self):
        with tempfile.TemporaryDirectory() as d:
            src, dst = os.path.join(d, "f32.safetensors"), os.path.join(d, "int8.safetensors")
            w = np.linspace(-1, 1, 64, dtype=np.float32).reshape(4, 16)
            safetensors_io.write(
                src, {"w": w, "n": np.ones(16, np.float32)}, "gpt", {"d_model": 16}, {"type": "char", "tokens": ["春"]}
            )
            quantize.quantize_file(src, dst)
            tensors, meta = safetensors_io.read(dst)
            self.assertEqual((meta["arch"], meta["config"]), ("gpt", {"d_model": 16}))
            self.assertEqual(meta["tokenizer"]["tokens"], ["春"])
            self.assertEqual(tensors["w"].dtype, np.int8)
            self.assertEqual(tensors["w.scale"].shape, (4,))
            np.testing.assert_allclose(quantize.dequantize_tensors(tensors)["w"], w, atol=1 / 127 / 2 + 1e-7)


if __name__ == "__main__":
    unittest.main()
