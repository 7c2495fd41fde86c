"""Importing one model folder's script from outside it (tests, benchmarks, the fuzz corpus writer).

Each folder under models/ has its own model.py, and its scripts say `from model import ...`. Importing two
folders' scripts into one process would let the second find the first's cached `model`; load_script imports a
file under a unique module name with its own folder first on sys.path and a fresh `model`.
"""
import importlib.util
import os
import sys


def load_script(path, name):
    """Imports the Python file at `path` as module `name` (unique per file) and returns the module."""
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        sys.modules.pop("model", None)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(folder)
