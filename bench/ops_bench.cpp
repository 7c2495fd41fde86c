// Kernel benchmarks (native, Google Benchmark): GEMV and GEMM on square sizes, GFLOP/s as a counter,
// and the scalar references at 256 for scale; GEMV on the models' decode shapes, one matrix at a time and
// streaming through a whole model. The same kernels in wasm: bench/wasm_bench.mjs (squares) and
// bench/side_by_side.mjs (decode, with --baseline for a before/after).
//   ./atnat_bench --benchmark_filter=gemm
#include <benchmark/benchmark.h>

#include <algorithm>
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

// --- decode shapes -------------------------------------------------------------------------------
// One token of autoregressive decoding multiplies a vector by every weight matrix of the model once: the
// weights stream through the caches (poet-at: 18 MB per token against a 2 MB L2), unlike a square GEMV
// repeated on one L2-resident matrix. Shapes as [out, in]; per layer: attn_mats [d, d] matrices, then
// w_gate, w_up [f, d] and w_down [d, f]; then the output matrix [vocab, d].
struct DecodeModel {
    size_t d, f, vocab, layers, attn_mats;
};
constexpr DecodeModel kPoetAt{256, 688, 5242, 4, 4};   // q k v o
constexpr DecodeModel kPoetNat{192, 512, 5242, 4, 4};  // its shapes, were it decoded token by token
constexpr DecodeModel kG2pAt{192, 512, 71, 3, 6};      // self-attention q k v o, cross-attention q o

struct Matrix {
    size_t out, in;
    std::vector<float> w;
};

std::vector<Matrix> decode_matrices(const DecodeModel& m) {
    std::vector<Matrix> mats;
    uint32_t seed = 1;
    auto add = [&](size_t out, size_t in) { mats.push_back({out, in, filled(out * in, seed++)}); };
    for (size_t l = 0; l < m.layers; ++l) {
        for (size_t i = 0; i < m.attn_mats; ++i) add(m.d, m.d);
        add(m.f, m.d);
        add(m.f, m.d);
        add(m.d, m.f);
    }
    add(m.vocab, m.d);
    return mats;
}

// Every matrix of one decode step, in forward order; counters: FLOP/s and weight bytes read per second.
template <auto Gemv>
void run_decode_gemvs(benchmark::State& state, const DecodeModel& model) {
    const std::vector<Matrix> mats = decode_matrices(model);
    const std::vector<float> x = filled(std::max(model.d, model.f), 7);
    std::vector<float> y(std::max({model.vocab, model.f, model.d}));
    double macs = 0;
    for (const Matrix& m : mats) macs += double(m.out) * double(m.in);
    for (auto _ : state) {
        for (const Matrix& m : mats) Gemv(m.w.data(), x.data(), y.data(), m.out, m.in);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * macs);
    state.counters["weight_bytes"] =
        benchmark::Counter(4.0 * macs, benchmark::Counter::kIsIterationInvariantRate);
}

void decode_gemvs(benchmark::State& state, DecodeModel model) {
    run_decode_gemvs<ops::gemv>(state, model);
}

void ref_decode_gemvs(benchmark::State& state, DecodeModel model) {
    run_decode_gemvs<ops::ref::gemv>(state, model);
}

// One decode-shape matrix [out, in], called again and again: L2-resident when it fits.
void bm_gemv_shape(benchmark::State& state) {
    const size_t out = size_t(state.range(0)), in = size_t(state.range(1));
    const std::vector<float> W = filled(out * in, 1), x = filled(in, 2);
    std::vector<float> y(out);
    for (auto _ : state) {
        ops::gemv(W.data(), x.data(), y.data(), out, in);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * double(out) * double(in));
}

BENCHMARK_CAPTURE(decode_gemvs, poet_at, kPoetAt);
BENCHMARK_CAPTURE(decode_gemvs, poet_nat, kPoetNat);
BENCHMARK_CAPTURE(decode_gemvs, g2p_at, kG2pAt);
BENCHMARK_CAPTURE(ref_decode_gemvs, poet_at, kPoetAt);
BENCHMARK(bm_gemv_shape)
    ->Name("gemv_shape")
    ->ArgNames({"out", "in"})
    ->Args({256, 256})
    ->Args({688, 256})
    ->Args({256, 688})
    ->Args({5242, 256})
    ->Args({192, 192})
    ->Args({512, 192})
    ->Args({192, 512})
    ->Args({5242, 192})
    ->Args({71, 192});

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
