// A self-contained matmul timing, for the benchmark page and bench/wasm_bench.mjs (through Embind).
#pragma once

#include <string>

namespace atnat::ops {

// Times `reps` calls of gemv (W [n, n] · x [n]) or gemm (X [n, n] · W [n, n]ᵀ) on deterministic data
// and returns the elapsed milliseconds (steady_clock), or -1 if kind is not "gemv"/"gemm", n is
// outside 1..4096 or reps outside 1..100000. FLOPs per call: 2n² (gemv), 2n³ (gemm).
double bench_matmul(const std::string& kind, int n, int reps);

}  // namespace atnat::ops
