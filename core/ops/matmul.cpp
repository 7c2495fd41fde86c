// Matrix kernels: gemv, gemm, dot, axpy, conv1x1, all over one register-blocked dot-product tile, and
// gemv_i8 / gemm_i8 over the same tile reading int8 weights.
//
// W is [out, in] row-major, so every output is a dot product of two contiguous rows. A tile holds
// R rows of X and C rows of W and keeps R·C batch accumulators in registers: per step of `lanes`
// columns it loads R + C batches and does R·C multiply-adds, and reduces each accumulator with one
// hadd at the end. No packing, no allocation.
#include <algorithm>
#include <array>
#include <utility>

#include "core/ops/ops.hpp"
#include "core/ops/simd.hpp"

namespace atnat::ops {
namespace {

using detail::batch;
using detail::lanes;

// Tile shapes, measured (GFLOP/s by CPU time, GEMM 256³, wasm in Node 20 / native SSE4.1):
// 4×2 33 / 35, 3×2 33-36 / 33, 4×3 30 / 36, 3×3 28 / 34, 2×4 30 / 34, 6×2 30 / 37. V8 has 16 SIMD
// registers and wants a temporary per multiply, so 12 accumulators spill there; 8 do not.
// GEMV (one X row) walks 4 W rows at once: 4 independent accumulator chains, x loaded once per step.
// Two steps per loop iteration (with constant load offsets) measured slower in V8, so one step it is.
constexpr size_t kGemmRows = 4, kGemmCols = 2;
constexpr size_t kGemvCols = 4;
// Int8 GEMV: 2 W rows side by side. Widening 16 weights costs 6 zips and 4 conversions, as much as their 16
// multiply-adds, so gemv_i8 is bound by that arithmetic, not by the weights' bytes (a quarter of f32's). On
// poet-at's decode (decode_gemvs_i8 in bench/ops_bench.cpp, natively) 2 rows ran 1.9x the f32 GEMV, 4 rows
// 1.5x, 1 row 1.2x; whole-model decode in wasm could not tell 2 from 4 rows apart.
constexpr size_t kGemvColsI8 = 2;
// gemm_i8 over many X rows widens kI8PanelRows W rows at a time into a stack panel of kI8PanelFloats floats
// (32 KB; rows longer than kI8PanelFloats / kI8PanelRows take the int8 tile).
constexpr size_t kI8PanelRows = 8, kI8PanelFloats = 8192;
// the remainder table covers every tile r ≤ kMaxRows, c ≤ kMaxCols
constexpr size_t kMaxRows = kGemmRows, kMaxCols = std::max({kGemmCols, kGemvCols, kGemvColsI8});
// W rows are walked in panels of about this many bytes, so a panel stays in L2 while every block of
// X rows passes over it (matters from ~512² up; smaller problems are a single panel).
constexpr size_t kPanelBytes = 256 * 1024;

// Y[r·ldy + c] (+)= dot(X + r·ldx, W + c·ldw) for r < R, c < C, over `in` columns.
template <size_t R, size_t C, bool Acc>
void tile(const float* X, size_t ldx, const float* W, size_t ldw, float* Y, size_t ldy, size_t in) {
    batch acc[R][C];
    for (size_t r = 0; r < R; ++r)
        for (size_t c = 0; c < C; ++c) acc[r][c] = batch(0.f);
    size_t k = 0;
    for (; k + lanes <= in; k += lanes) {
        batch w[C];
        for (size_t c = 0; c < C; ++c) w[c] = batch::load_unaligned(W + c * ldw + k);
        for (size_t r = 0; r < R; ++r) {
            const batch x = batch::load_unaligned(X + r * ldx + k);
            for (size_t c = 0; c < C; ++c) acc[r][c] = xsimd::fma(x, w[c], acc[r][c]);
        }
    }
    // hadd every accumulator first, in a loop with nothing else inside: it unrolls, so acc stays in registers
    // (reducing inside the tail loop below kept acc on the wasm stack, zeroed by a memset call per tile).
    float sums[R][C];
    for (size_t r = 0; r < R; ++r)
        for (size_t c = 0; c < C; ++c) sums[r][c] = xsimd::hadd(acc[r][c]);
    for (size_t r = 0; r < R; ++r) {
        for (size_t c = 0; c < C; ++c) {
            float s = sums[r][c];
            for (size_t kk = k; kk < in; ++kk) s += X[r * ldx + kk] * W[c * ldw + kk];
            float& y = Y[r * ldy + c];
            y = Acc ? y + s : s;
        }
    }
}

// The int8 tile: Y[r·ldy + c] = scale[c] · Σ_k X[r·ldx + k] · float(W[c·ldw + k]). Per step of kI8Step
// columns each W row is widened once into 4 batches, which enter its accumulators in column order: every
// output is one accumulator of lane-strided partial sums, hadd, the scalar tail in k order, then the scale.
template <size_t R, size_t C>
void tile_i8(const float* X, size_t ldx, const int8_t* W, size_t ldw, const float* scale, float* Y,
             size_t ldy, size_t in) {
    batch acc[R][C];
    for (size_t r = 0; r < R; ++r)
        for (size_t c = 0; c < C; ++c) acc[r][c] = batch(0.f);
    size_t k = 0;
    for (; k + detail::kI8Step <= in; k += detail::kI8Step) {
        batch w[C][4];
        for (size_t c = 0; c < C; ++c) detail::widen_i8(W + c * ldw + k, w[c]);
        for (size_t j = 0; j < 4; ++j) {
            for (size_t r = 0; r < R; ++r) {
                const batch x = batch::load_unaligned(X + r * ldx + k + j * lanes);
                for (size_t c = 0; c < C; ++c) acc[r][c] = xsimd::fma(x, w[c][j], acc[r][c]);
            }
        }
    }
    float sums[R][C];  // as in tile: reduced apart from the tail loop, so acc stays in registers
    for (size_t r = 0; r < R; ++r)
        for (size_t c = 0; c < C; ++c) sums[r][c] = xsimd::hadd(acc[r][c]);
    for (size_t r = 0; r < R; ++r) {
        for (size_t c = 0; c < C; ++c) {
            float s = sums[r][c] * detail::kI8Unscale;
            for (size_t kk = k; kk < in; ++kk) s += X[r * ldx + kk] * float(W[c * ldw + kk]);
            Y[r * ldy + c] = s * scale[c];
        }
    }
}

using tile_fn = void (*)(const float*, size_t, const float*, size_t, float*, size_t, size_t);
using tile_i8_fn = void (*)(const float*, size_t, const int8_t*, size_t, const float*, float*, size_t,
                            size_t);

template <bool Acc, size_t... I>
constexpr std::array<tile_fn, sizeof...(I)> make_tiles(std::index_sequence<I...>) {
    return {&tile<I / kMaxCols + 1, I % kMaxCols + 1, Acc>...};
}
template <size_t... I>
constexpr std::array<tile_i8_fn, sizeof...(I)> make_tiles_i8(std::index_sequence<I...>) {
    return {&tile_i8<I / kMaxCols + 1, I % kMaxCols + 1>...};
}
// tiles<Acc>[(r - 1) · kMaxCols + (c - 1)] is tile<r, c, Acc> (tiles_i8: tile_i8<r, c>): the edges of the
// blocked loop.
template <bool Acc>
constexpr auto tiles = make_tiles<Acc>(std::make_index_sequence<kMaxRows * kMaxCols>{});
constexpr auto tiles_i8 = make_tiles_i8(std::make_index_sequence<kMaxRows * kMaxCols>{});

// The blocked loop over Y[n, out]: W rows in panels of about kPanelBytes (row_bytes each), X rows in blocks
// of R, W rows in blocks of C; calls tile(i, r, o, c) for X rows i .. i+r-1 against W rows o .. o+c-1
// (r <= R, c <= C; r == R and c == C everywhere but the edges).
template <size_t R, size_t C, class Tile>
void blocked(size_t n, size_t out, size_t row_bytes, Tile tile) {
    static_assert(R <= kMaxRows && C <= kMaxCols);
    const size_t panel = std::max(C, kPanelBytes / std::max<size_t>(row_bytes, 1) / C * C);
    for (size_t o0 = 0; o0 < out; o0 += panel) {
        const size_t o1 = std::min(out, o0 + panel);
        for (size_t i = 0; i < n; i += R)
            for (size_t o = o0; o < o1; o += C) tile(i, std::min(R, n - i), o, std::min(C, o1 - o));
    }
}

template <size_t R, size_t C, bool Acc>
void blocked(const float* X, size_t ldx, const float* W, size_t ldw, float* Y, size_t ldy, size_t n,
             size_t out, size_t in) {
    blocked<R, C>(n, out, in * sizeof(float), [&](size_t i, size_t r, size_t o, size_t c) {
        const float* x = X + i * ldx;
        float* y = Y + i * ldy + o;
        if (r == R && c == C)
            tile<R, C, Acc>(x, ldx, W + o * ldw, ldw, y, ldy, in);
        else
            tiles<Acc>[(r - 1) * kMaxCols + (c - 1)](x, ldx, W + o * ldw, ldw, y, ldy, in);
    });
}

template <size_t R, size_t C>
void blocked_i8(const float* X, const int8_t* W, const float* scale, float* Y, size_t n, size_t out,
                size_t in) {
    blocked<R, C>(n, out, in, [&](size_t i, size_t r, size_t o, size_t c) {
        const float* x = X + i * in;
        float* y = Y + i * out + o;
        if (r == R && c == C)
            tile_i8<R, C>(x, in, W + o * in, in, scale + o, y, out, in);
        else
            tiles_i8[(r - 1) * kMaxCols + (c - 1)](x, in, W + o * in, in, scale + o, y, out, in);
    });
}

}  // namespace

namespace detail {

void matmul_strided(const float* X, size_t ldx, const float* W, size_t ldw, float* Y, size_t ldy, size_t n,
                    size_t out, size_t in, bool accumulate) {
    if (n == 1) {
        if (accumulate)
            blocked<1, kGemvCols, true>(X, ldx, W, ldw, Y, ldy, n, out, in);
        else
            blocked<1, kGemvCols, false>(X, ldx, W, ldw, Y, ldy, n, out, in);
    } else {
        if (accumulate)
            blocked<kGemmRows, kGemmCols, true>(X, ldx, W, ldw, Y, ldy, n, out, in);
        else
            blocked<kGemmRows, kGemmCols, false>(X, ldx, W, ldw, Y, ldy, n, out, in);
    }
}

}  // namespace detail

void gemv(const float* W, const float* x, float* y, size_t out, size_t in) {
    detail::matmul_strided(x, 0, W, in, y, 0, 1, out, in, false);
}

void gemm(const float* X, const float* W, float* Y, size_t n, size_t out, size_t in) {
    detail::matmul_strided(X, in, W, in, Y, out, n, out, in, false);
}

void gemv_i8(const int8_t* W, const float* scale, const float* x, float* y, size_t out, size_t in) {
    blocked_i8<1, kGemvColsI8>(x, W, scale, y, 1, out, in);
}

void gemm_i8(const float* X, const int8_t* W, const float* scale, float* Y, size_t n, size_t out, size_t in) {
    if (n < 2 * kGemmRows || in % detail::kI8Step != 0 || in > kI8PanelFloats / kI8PanelRows) {
        blocked_i8<kGemmRows, kGemmCols>(X, W, scale, Y, n, out, in);
        return;
    }
    // Many X rows (a prefill): each panel of W rows is widened once, into floats · 2^24 exactly as tile_i8
    // widens them, and every X row meets it through the f32 tile, instead of being widened again for every
    // block of kGemmRows X rows. With in a multiple of kI8Step the f32 tile adds the same products in the
    // same order as tile_i8 (no scalar tail), so row i is still gemv_i8 of X row i bit for bit.
    alignas(64) float panel[kI8PanelFloats];
    for (size_t o0 = 0; o0 < out; o0 += kI8PanelRows) {
        const size_t rows = std::min(kI8PanelRows, out - o0);
        for (size_t r = 0; r < rows; ++r) {
            for (size_t k = 0; k < in; k += detail::kI8Step) {
                batch w[4];
                detail::widen_i8(W + (o0 + r) * in + k, w);
                for (size_t j = 0; j < 4; ++j) w[j].store_aligned(panel + r * in + k + j * lanes);
            }
        }
        blocked<kGemmRows, kGemmCols, false>(X, in, panel, in, Y + o0, out, n, rows, in);
        for (size_t i = 0; i < n; ++i)
            for (size_t r = 0; r < rows; ++r) {
                float& y = Y[i * out + o0 + r];
                y = y * detail::kI8Unscale * scale[o0 + r];  // as tile_i8: (sum · 2^-24) · scale
            }
    }
}

float dot(const float* a, const float* b, size_t n) {
    float s;
    tile<1, 1, false>(a, 0, b, 0, &s, 0, n);
    return s;
}

void axpy(float a, const float* x, float* y, size_t n) {
    const batch va(a);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        (batch::load_unaligned(y + i) + va * batch::load_unaligned(x + i)).store_unaligned(y + i);
    for (; i < n; ++i) y[i] += a * x[i];
}

void conv1x1(const float* in, size_t P, size_t C_in, const float* weight, const float* bias, size_t C_out,
             float* out) {
    detail::matmul_strided(in, C_in, weight, C_in, out, C_out, P, C_out, C_in, false);
    if (bias)
        for (size_t p = 0; p < P; ++p) add(out + p * C_out, bias, out + p * C_out, C_out);
}

}  // namespace atnat::ops
