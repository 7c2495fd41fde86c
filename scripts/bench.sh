#!/usr/bin/env bash
# Reproduces docs/benchmarks.md: kernel GFLOP/s natively (Google Benchmark; squares and the decode shapes) and
# in wasm (node, warmed up), model speed wasm vs native in one run, then poet-at side by side with ONNX Runtime
# Web and PyTorch (bench/side_by_side.mjs). Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${ATNAT_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
source scripts/common.sh
build_preset native-release atnat atnat_bench atnat_forward_loop
build_preset wasm atnat_web atnat_forward_loop
echo "== native kernels (SSE4.1, the wasm build's code path)"
build/native-release/atnat_bench --benchmark_filter='gemv|gemm' --benchmark_min_time=0.2 2>/dev/null
echo "== wasm kernels (node $(node --version), warmed up)"
node bench/wasm_bench.mjs build/wasm
echo "== models, native vs wasm"
node bench/models_bench.mjs "$@"
echo "== poet-at side by side: atnat (page API, forward loop, native), ONNX Runtime Web, PyTorch"
/usr/bin/python3 bench/export_onnx.py
node bench/side_by_side.mjs
