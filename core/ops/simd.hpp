// Internal to core/ops (not part of the contract): the xsimd helpers the kernel families share.
// This header and the core/ops/*.cpp files are the only places xsimd appears.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
// GCC 12 warns falsely inside its own AVX-512 intrinsic headers (_mm512_undefined_*, GCC bug
// 105593, fixed in 13) when -march=native reaches them through xsimd: silence just those headers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <xsimd/xsimd.hpp>
#pragma GCC diagnostic pop
#else
#include <xsimd/xsimd.hpp>
#endif

namespace atnat::ops::detail {

using batch = xsimd::batch<float>;
inline constexpr size_t lanes = batch::size;  // 4 for sse4.1 and wasm SIMD128, 8 for AVX2, 16 for AVX-512
inline constexpr float neg_inf = -std::numeric_limits<float>::infinity();

// Loads x[0, n) (n < lanes) into a batch whose remaining lanes hold `pad`.
inline batch load_partial(const float* x, size_t n, float pad) {
    alignas(64) float buf[lanes];
    std::fill(buf, buf + lanes, pad);
    std::copy(x, x + n, buf);
    return batch::load_aligned(buf);
}

// Stores the first n (< lanes) lanes of b to out[0, n).
inline void store_partial(batch b, float* out, size_t n) {
    alignas(64) float buf[lanes];
    b.store_aligned(buf);
    std::copy(buf, buf + n, out);
}

// out[i] = f(x[i]) for f: batch -> batch. The tail goes through one zero-padded batch instead of a
// scalar loop, so every element takes the same xsimd math (exp, erf, tanh) whatever its position:
// a scalar std::exp tail would differ from xsimd::exp by an ulp, and between glibc (native) and
// musl (wasm). out may alias x.
template <class F>
inline void map(const float* x, float* out, size_t n, F f) {
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) f(batch::load_unaligned(x + i)).store_unaligned(out + i);
    if (i < n) store_partial(f(load_partial(x + i, n - i, 0.f)), out + i, n - i);
}

// out[i] = f(a[i], b[i]), same tail rule as map. out may alias a or b.
template <class F>
inline void map2(const float* a, const float* b, float* out, size_t n, F f) {
    size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        f(batch::load_unaligned(a + i), batch::load_unaligned(b + i)).store_unaligned(out + i);
    if (i < n)
        store_partial(f(load_partial(a + i, n - i, 0.f), load_partial(b + i, n - i, 0.f)), out + i, n - i);
}

// Largest lane (xsimd 8.1 has no reduce_max).
inline float hmax(batch b) {
    alignas(64) float buf[lanes];
    b.store_aligned(buf);
    return *std::max_element(buf, buf + lanes);
}

// max of x[0, n), -inf for n == 0. NaN handling is unspecified.
inline float max_of(const float* x, size_t n) {
    batch m(neg_inf);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) m = xsimd::max(m, batch::load_unaligned(x + i));
    float r = hmax(m);
    for (; i < n; ++i) r = std::max(r, x[i]);
    return r;
}

inline batch sigmoid(batch x) {
    return batch(1.f) / (batch(1.f) + xsimd::exp(-x));
}

// Y[i·ldy + o] = dot(X + i·ldx, W + o·ldw, in)  (or += when accumulate), i < n, o < out.
// Every output is summed in one canonical order whatever the blocking: lane-strided partial sums in
// one accumulator, then xsimd::hadd, then the scalar tail in k order. dot, gemv, gemm, conv1x1,
// conv2d and attention scores all go through it, so e.g. gemm row i equals gemv of X row i bit for bit.
// Defined in matmul.cpp.
void matmul_strided(const float* X, size_t ldx, const float* W, size_t ldw, float* Y, size_t ldy, size_t n,
                    size_t out, size_t in, bool accumulate);

}  // namespace atnat::ops::detail
