// Internal to core/ops (not part of the contract): the xsimd helpers the kernel families share.
// This header and the core/ops/*.cpp files are the only places xsimd appears, besides one test
// (tests/cpp/ops_test.cpp, XsimdEquality) that holds exp and tanh below to xsimd's bit for bit.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
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

// Int8 weights are widened kI8Step = 4 · lanes at a time: widen_i8(w, out) sets out[j] lane i to
// float(w[j · lanes + i]) · 2^24 (exact: an int8 needs 8 significant bits). The factor 2^24 comes free
// with the widening (each byte lands in the top byte of a 32-bit lane); sums of these products are exactly
// 2^24 times the unscaled sums (a power of two rounds the same), so callers multiply by kI8Unscale = 2^-24
// once per output.
inline constexpr size_t kI8Step = 4 * lanes;
inline constexpr float kI8Unscale = 0x1p-24f;

inline void widen_i8(const int8_t* w, batch out[4]) {
    if constexpr (lanes == 4) {  // SSE4.1 / SIMD128: 16 bytes, zipped with zeros twice (6 zips, 4 converts)
        using i8x16 = xsimd::batch<int8_t>;
        using i16x8 = xsimd::batch<int16_t>;
        using i32x4 = xsimd::batch<int32_t>;
        const i8x16 v = i8x16::load_unaligned(w), z8(int8_t(0));
        const i16x8 z16(int16_t(0));
        const i16x8 lo = xsimd::bitwise_cast<i16x8>(xsimd::zip_lo(z8, v));  // w[i] << 8, i < 8
        const i16x8 hi = xsimd::bitwise_cast<i16x8>(xsimd::zip_hi(z8, v));  // w[i] << 8, 8 <= i < 16
        out[0] = xsimd::to_float(xsimd::bitwise_cast<i32x4>(xsimd::zip_lo(z16, lo)));  // w[i] << 24
        out[1] = xsimd::to_float(xsimd::bitwise_cast<i32x4>(xsimd::zip_hi(z16, lo)));
        out[2] = xsimd::to_float(xsimd::bitwise_cast<i32x4>(xsimd::zip_lo(z16, hi)));
        out[3] = xsimd::to_float(xsimd::bitwise_cast<i32x4>(xsimd::zip_hi(z16, hi)));
    } else {  // wider ISAs (the native-avx benchmark build): xsimd's element-wise conversion
        for (size_t j = 0; j < 4; ++j) out[j] = batch::load_unaligned(w + j * lanes) * batch(0x1p24f);
    }
}

// exp(a) lane by lane, bit for bit xsimd::exp (its reduction, polynomial and ldexp, called below), without
// its one slow step in wasm: xsimd turns the integer-valued float k into int32 lanes with _mm_cvttps_epi32,
// which Emscripten's SSE emulation (emmintrin.h) runs as four scalar conversions with range checks; that
// made softmax and log_softmax 6-7% of decoding in wasm. Here k + 1.5·2^23 holds k in its low mantissa
// bits, read back exactly (|k| <= 128 wherever the result is used; lanes outside exp's range are replaced
// by 0 or inf, as in xsimd, and NaN stays NaN).
inline batch exp(batch a) {
    namespace xk = xsimd::kernel::detail;
    using reduction = xk::exp_reduction<float, batch::arch_type, xk::exp_tag>;
    using ints = xsimd::batch<int32_t>;
    batch r;
    const batch k = reduction::reduce(a, r);
    const batch magic(0x1.8p23f);
    const ints n = xsimd::bitwise_cast<ints>(k + magic) - xsimd::bitwise_cast<ints>(magic);
    const batch y =
        xsimd::select(a <= reduction::minlog(), batch(0.f), xsimd::ldexp(reduction::approx(r), n));
    return xsimd::select(a >= reduction::maxlog(), batch(std::numeric_limits<float>::infinity()), y);
}

// tanh(a) lane by lane, bit for bit xsimd::tanh (its small-|a| polynomial, else 1 - 2 / (1 + exp(2|a|)), the
// sign restored), over the exp above.
inline batch tanh(batch a) {
    const batch one(1.f), x = xsimd::abs(a), sign = xsimd::bitofsign(a);
    const auto small = x < batch(0.625f);
    batch z = one;
    if (xsimd::any(small)) {
        z = xsimd::kernel::detail::tanh_kernel<batch>::tanh(x);
        if (xsimd::all(small)) return z ^ sign;
    }
    const batch r = xsimd::fma(batch(-2.f), one / (one + exp(x + x)), one);
    return xsimd::select(small, z, r) ^ sign;
}

inline batch sigmoid(batch x) {
    return batch(1.f) / (batch(1.f) + exp(-x));
}

// Y[i·ldy + o] = dot(X + i·ldx, W + o·ldw, in)  (or += when accumulate), i < n, o < out.
// Every output is summed in one canonical order whatever the blocking: lane-strided partial sums in
// one accumulator, then xsimd::hadd, then the scalar tail in k order. dot, gemv, gemm, conv1x1,
// conv2d and attention scores all go through it, so e.g. gemm row i equals gemv of X row i bit for bit.
// Defined in matmul.cpp.
void matmul_strided(const float* X, size_t ldx, const float* W, size_t ldw, float* Y, size_t ldy, size_t n,
                    size_t out, size_t in, bool accumulate);

}  // namespace atnat::ops::detail
