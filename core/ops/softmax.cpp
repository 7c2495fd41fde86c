// softmax, log_softmax and single-query attention.
#include "core/ops/ops.hpp"
#include "core/ops/simd.hpp"

namespace atnat::ops {

using detail::batch;
using detail::lanes;
using detail::neg_inf;

namespace {

// x[i] = exp(x[i] - m) in place; returns Σ x[i]. The tail is padded with -inf, whose exp is 0.
float exp_shift_sum(float* x, size_t n, float m) {
    const batch vm(m);
    batch acc(0.f);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        const batch e = detail::exp(batch::load_unaligned(x + i) - vm);
        e.store_unaligned(x + i);
        acc += e;
    }
    if (i < n) {
        const batch e = detail::exp(detail::load_partial(x + i, n - i, neg_inf) - vm);
        detail::store_partial(e, x + i, n - i);
        acc += e;
    }
    return xsimd::hadd(acc);
}

}  // namespace

void softmax(float* x, size_t n, const uint8_t* mask) {
    if (mask)
        for (size_t i = 0; i < n; ++i)
            if (!mask[i]) x[i] = neg_inf;  // exp(-inf - m) is exactly 0
    const float m = detail::max_of(x, n);
    if (m == neg_inf) {  // every entry excluded (or -inf): the row is all zeros
        for (size_t i = 0; i < n; ++i) x[i] = 0.f;
        return;
    }
    scale(x, 1.f / exp_shift_sum(x, n, m), n);
}

LogNormaliser log_normaliser(const float* x, size_t n) {
    const float m = detail::max_of(x, n);
    // Σ exp(x - m) without touching x, tail padded with -inf (exp = 0).
    const batch vm(m);
    batch acc(0.f);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) acc += detail::exp(batch::load_unaligned(x + i) - vm);
    if (i < n) acc += detail::exp(detail::load_partial(x + i, n - i, neg_inf) - vm);
    // log through xsimd too, so the value is the same natively and in wasm (no libm involved).
    return {m, xsimd::log(batch(xsimd::hadd(acc))).get(0)};
}

void log_softmax(float* x, size_t n) {
    const LogNormaliser z = log_normaliser(x, n);
    const batch vm(z.max), log_sum(z.log_sum);
    detail::map(x, x, n, [&](batch v) { return (v - vm) - log_sum; });
}

void attention(const float* q, const float* K, const float* V, float* out, float* scores, size_t n_keys,
               size_t head_dim, size_t kv_stride, float score_scale, const uint8_t* mask) {
    // scores[j] = scale · dot(q, K[j]): a GEMV over the strided key rows.
    detail::matmul_strided(q, 0, K, kv_stride, scores, 0, 1, n_keys, head_dim, false);
    scale(scores, score_scale, n_keys);
    softmax(scores, n_keys, mask);
    // out = Σ_j p[j] V[j], j in order, out kept in registers 4 batches at a time.
    constexpr size_t B = 4;
    size_t d = 0;
    for (; d + B * lanes <= head_dim; d += B * lanes) {
        batch acc[B];
        for (size_t b = 0; b < B; ++b) acc[b] = batch(0.f);
        for (size_t j = 0; j < n_keys; ++j) {
            const batch p(scores[j]);
            const float* v = V + j * kv_stride + d;
            for (size_t b = 0; b < B; ++b) acc[b] += p * batch::load_unaligned(v + b * lanes);
        }
        for (size_t b = 0; b < B; ++b) acc[b].store_unaligned(out + d + b * lanes);
    }
    for (; d + lanes <= head_dim; d += lanes) {
        batch acc(0.f);
        for (size_t j = 0; j < n_keys; ++j)
            acc += batch(scores[j]) * batch::load_unaligned(V + j * kv_stride + d);
        acc.store_unaligned(out + d);
    }
    for (; d < head_dim; ++d) {
        float s = 0.f;
        for (size_t j = 0; j < n_keys; ++j) s += scores[j] * V[j * kv_stride + d];
        out[d] = s;
    }
}

}  // namespace atnat::ops
