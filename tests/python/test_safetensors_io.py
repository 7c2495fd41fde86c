"""The shared writer (models/common/safetensors_io.py): layout facts the C++ reader relies on."""
import json
import os
import struct
import tempfile
import unittest

import numpy as np

from models.common import safetensors_io


class WriterLayout(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "t.safetensors")
        self.tensors = {
            "a": np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
            "ids": np.array([1, -2, 3], dtype=np.int32),
            "mask": np.array([[1, 0, 1]], dtype=np.uint8),
        }
        safetensors_io.write(self.path, self.tensors, "gpt", {"d_model": 8}, {"type": "char", "tokens": ["春"]})

    def tearDown(self):
        self.dir.cleanup()

    def test_header_and_alignment(self):
        raw = open(self.path, "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        self.assertEqual((8 + n) % 16, 0)
        header = json.loads(raw[8 : 8 + n])
        self.assertEqual(header["__metadata__"]["format"], "atnat-1")
        self.assertEqual(json.loads(header["__metadata__"]["config"]), {"d_model": 8})
        self.assertEqual(header["a"], {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]})
        self.assertEqual(header["ids"]["data_offsets"], [32, 44])  # 24 rounded up to 16-byte alignment
        self.assertEqual(header["mask"]["dtype"], "U8")
        self.assertEqual(len(raw), 8 + n + 48 + 3)

    def test_round_trip_is_bit_exact(self):
        tensors, metadata = safetensors_io.read(self.path)
        for name, array in self.tensors.items():
            self.assertEqual(tensors[name].dtype, array.dtype)
            self.assertEqual(tensors[name].tobytes(), array.tobytes())
        self.assertEqual(metadata["tokenizer"]["tokens"], ["春"])

    def test_rejects_unsupported_dtype(self):
        with self.assertRaisesRegex(ValueError, "float64"):
            safetensors_io.write(self.path, {"x": np.zeros(2)}, "gpt", {})


if __name__ == "__main__":
    unittest.main()
