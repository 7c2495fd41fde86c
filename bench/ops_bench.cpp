// Kernel benchmarks (native, Google Benchmark): GEMV and GEMM on square sizes, GFLOP/s as a counter,
// and the scalar references at 256 for scale. The same kernels in wasm: bench/wasm_bench.mjs.
//   ./atnat_bench --benchmark_filter=gemm
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "core/ops/ops.hpp"

namespace {

namespace ops = atnat::ops;

std::vector<float> filled(size_t n, uint32_t seed) {
    std::vector<float> v(n);
    for (float& x : v) {
        seed = seed * 1664525u + 1013904223u;
        x = static_cast<float>(seed >> 8) / 16777216.f - 0.5f;
    }
    return v;
}

void set_flops(benchmark::State& state, double flops_per_call) {
    // FLOP per second (reported in G/s by the library's unit formatting)
    state.counters["FLOPS"] =
        benchmark::Counter(flops_per_call, benchmark::Counter::kIsIterationInvariantRate);
}

template <auto Gemv>
void bm_gemv(benchmark::State& state) {
    const size_t n = static_cast<size_t>(state.range(0));
    const std::vector<float> W = filled(n * n, 1), x = filled(n, 2);
    std::vector<float> y(n);
    for (auto _ : state) {
        Gemv(W.data(), x.data(), y.data(), n, n);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * double(n) * double(n));
}

template <auto Gemm>
void bm_gemm(benchmark::State& state) {
    const size_t n = static_cast<size_t>(state.range(0));
    const std::vector<float> X = filled(n * n, 1), W = filled(n * n, 2);
    std::vector<float> Y(n * n);
    for (auto _ : state) {
        Gemm(X.data(), W.data(), Y.data(), n, n, n);
        benchmark::DoNotOptimize(Y.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * double(n) * double(n) * double(n));
}

BENCHMARK(bm_gemv<ops::gemv>)->Name("gemv")->RangeMultiplier(2)->Range(64, 1024);
BENCHMARK(bm_gemm<ops::gemm>)
    ->Name("gemm")
    ->RangeMultiplier(2)
    ->Range(64, 1024)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_gemv<ops::ref::gemv>)->Name("ref_gemv")->Arg(256);
BENCHMARK(bm_gemm<ops::ref::gemm>)->Name("ref_gemm")->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
