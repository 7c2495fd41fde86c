#include "core/ops/bench.hpp"

#include <chrono>
#include <vector>

#include "core/ops/ops.hpp"

namespace atnat::ops {

double bench_matmul(const std::string& kind, int n, int reps) {
    const bool is_gemv = kind == "gemv";
    if ((!is_gemv && kind != "gemm") || n < 1 || n > 4096 || reps < 1 || reps > 100000) return -1;
    const size_t N = static_cast<size_t>(n);
    const size_t rows = is_gemv ? 1 : N;
    std::vector<float> W(N * N), X(rows * N), Y(rows * N);
    // Deterministic values in [-0.5, 0.5): a fixed multiplicative sequence, no <random> involved.
    uint32_t state = 12345u;
    auto next = [&] {
        state = state * 1664525u + 1013904223u;
        return static_cast<float>(state >> 8) / 16777216.f - 0.5f;
    };
    for (float& w : W) w = next();
    for (float& x : X) x = next();

    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) {
        if (is_gemv)
            gemv(W.data(), X.data(), Y.data(), N, N);
        else
            gemm(X.data(), W.data(), Y.data(), N, N, N);
    }
    const auto stop = std::chrono::steady_clock::now();
    // Keep the result observable so no call can be dropped.
    volatile float sink = Y[0];
    (void)sink;
    return std::chrono::duration<double, std::milli>(stop - start).count();
}

}  // namespace atnat::ops
