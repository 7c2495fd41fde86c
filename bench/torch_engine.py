"""PyTorch engine of bench/side_by_side.mjs: poet-at with a KV cache (bench/cached_gpt.py), one thread.

    /usr/bin/python3 bench/torch_engine.py [MODEL.safetensors]

Speaks the line protocol of bench/loop/forward_loop.cpp on stdin / stdout:
    prefill T0 T1 ...               -> ARGMAX CPU_MS WALL_MS
    generate MAX_NEW EOS T0 T1 ...  -> CPU_MS WALL_MS ID ID ...   (greedy; stops after EOS or MAX_NEW ids)
CPU time is this process's (time.process_time), around the computation only.
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cached_gpt import CachedGPT, load_poet_at  # noqa: E402


def main():
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    gpt, _ = load_poet_at(*sys.argv[1:2])
    model = CachedGPT(gpt).eval()
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command, args = words[0], [int(w) for w in words[1:]]
        c0, w0 = time.process_time(), time.perf_counter()
        with torch.inference_mode():
            if command == "prefill":
                answer = [int(model(torch.tensor([args]), *model.empty_cache())[0][0].argmax())]
            elif command == "generate":
                answer = model.generate_greedy(args[2:], args[0], args[1])
            else:
                print(f"error: {line.strip()}", flush=True)
                continue
        c, w = (time.process_time() - c0) * 1e3, (time.perf_counter() - w0) * 1e3
        times = [f"{c:.4f}", f"{w:.4f}"]
        fields = answer[:1] + times if command == "prefill" else times + answer
        print(" ".join(str(x) for x in fields), flush=True)


if __name__ == "__main__":
    main()
