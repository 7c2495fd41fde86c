#!/usr/bin/env bash
# Shows that the release wasm's GEMV kernel is SIMD128 code: relinks the release objects of build/wasm with
# function names kept (--profiling-funcs; the optimised code is the same) and counts the f32x4 instructions
# in the function gemv runs (ops::detail::matmul_strided).
set -euo pipefail
cd "$(dirname "$0")/../build/wasm"
export NODE_PATH=/usr/share/nodejs
out="$(mktemp -d)"
link="$(ninja -t commands atnat_web | tail -1 | sed -e 's/^: && //' -e 's/ && :$//' -e "s| -o atnat.mjs | -o $out/atnat.mjs |")"
eval "$link --profiling-funcs"
wasm2wat "$out/atnat.wasm" | awk '/^  \(func \$atnat::ops::detail::matmul_strided/ {inside = 1; next} /^  \(func / {inside = 0} inside' \
  | grep -oE 'f32x4\.(mul|add)|v128\.load' | sort | uniq -c
rm -rf "$out"
