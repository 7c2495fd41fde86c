// Normalizations: rmsnorm and layernorm. Both read all of x before writing out[i] from x[i] alone,
// so out may alias x (the contract does not promise it; the implementation allows it).
#include <cmath>

#include "core/ops/ops.hpp"
#include "core/ops/simd.hpp"

namespace atnat::ops {

using detail::batch;
using detail::lanes;

namespace {

float sum_of(const float* x, size_t n) {
    batch acc(0.f);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) acc += batch::load_unaligned(x + i);
    float s = xsimd::hadd(acc);
    for (; i < n; ++i) s += x[i];
    return s;
}

// Σ (x[i] - c)²
float sum_sq_dev(const float* x, float c, size_t n) {
    const batch vc(c);
    batch acc(0.f);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        const batch d = batch::load_unaligned(x + i) - vc;
        acc = xsimd::fma(d, d, acc);
    }
    float s = xsimd::hadd(acc);
    for (; i < n; ++i) s += (x[i] - c) * (x[i] - c);
    return s;
}

}  // namespace

void rmsnorm(const float* x, const float* w, float* out, size_t n, float eps) {
    const float inv = 1.f / std::sqrt(sum_sq_dev(x, 0.f, n) / static_cast<float>(n) + eps);
    const batch vinv(inv);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        (batch::load_unaligned(x + i) * vinv * batch::load_unaligned(w + i)).store_unaligned(out + i);
    for (; i < n; ++i) out[i] = x[i] * inv * w[i];
}

void layernorm(const float* x, const float* w, const float* b, float* out, size_t n, float eps) {
    const float mean = sum_of(x, n) / static_cast<float>(n);
    const float inv = 1.f / std::sqrt(sum_sq_dev(x, mean, n) / static_cast<float>(n) + eps);
    const batch vmean(mean), vinv(inv);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        const batch xh = (batch::load_unaligned(x + i) - vmean) * vinv;
        (xh * batch::load_unaligned(w + i) + batch::load_unaligned(b + i)).store_unaligned(out + i);
    }
    for (; i < n; ++i) out[i] = (x[i] - mean) * inv * w[i] + b[i];
}

}  // namespace atnat::ops
