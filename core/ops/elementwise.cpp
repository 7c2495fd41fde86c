// Elementwise kernels: add, mul, scale, the activations (silu, gelu, swiglu, the PixelCNN gate) and
// the embedding gathers (f32 and int8 tables). The activations run their tail through a padded batch
// (detail::map), so an element's value never depends on its position or on the platform's libm.
#include <cstring>

#include "core/ops/ops.hpp"
#include "core/ops/simd.hpp"

namespace atnat::ops {

using detail::batch;
using detail::lanes;

void add(const float* a, const float* b, float* out, size_t n) {
    size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        (batch::load_unaligned(a + i) + batch::load_unaligned(b + i)).store_unaligned(out + i);
    for (; i < n; ++i) out[i] = a[i] + b[i];
}

void mul(const float* a, const float* b, float* out, size_t n) {
    size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        (batch::load_unaligned(a + i) * batch::load_unaligned(b + i)).store_unaligned(out + i);
    for (; i < n; ++i) out[i] = a[i] * b[i];
}

void scale(float* x, float s, size_t n) {
    const batch vs(s);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) (batch::load_unaligned(x + i) * vs).store_unaligned(x + i);
    for (; i < n; ++i) x[i] *= s;
}

void silu(float* x, size_t n) {
    detail::map(x, x, n, [](batch v) { return v * detail::sigmoid(v); });
}

void gelu(float* x, size_t n) {
    const batch inv_sqrt2(0.70710678118654752f), half(0.5f), one(1.f);
    detail::map(x, x, n, [&](batch v) { return v * half * (one + xsimd::erf(v * inv_sqrt2)); });
}

void swiglu(const float* gate, const float* up, float* out, size_t n) {
    detail::map2(gate, up, out, n, [](batch g, batch u) { return g * detail::sigmoid(g) * u; });
}

void tanh_sigmoid_gate(const float* a, const float* b, float* out, size_t n) {
    detail::map2(a, b, out, n, [](batch va, batch vb) { return detail::tanh(va) * detail::sigmoid(vb); });
}

// A gather of rows: memcpy is the vector loop here.
void embedding(const float* table, size_t rows, size_t dim, const int32_t* ids, size_t n, float* out) {
    for (size_t i = 0; i < n; ++i) {
        float* row = out + i * dim;
        if (ids[i] >= 0 && static_cast<size_t>(ids[i]) < rows)
            std::memcpy(row, table + static_cast<size_t>(ids[i]) * dim, dim * sizeof(float));
        else
            std::memset(row, 0, dim * sizeof(float));
    }
}

void embedding_i8(const int8_t* table, const float* scale, size_t rows, size_t dim, const int32_t* ids,
                  size_t n, float* out) {
    const batch unscale(detail::kI8Unscale);
    for (size_t i = 0; i < n; ++i) {
        float* row = out + i * dim;
        if (ids[i] < 0 || static_cast<size_t>(ids[i]) >= rows) {
            std::memset(row, 0, dim * sizeof(float));
            continue;
        }
        const int8_t* q = table + static_cast<size_t>(ids[i]) * dim;
        const float s = scale[ids[i]];
        const batch vs(s);
        size_t k = 0;
        for (; k + detail::kI8Step <= dim; k += detail::kI8Step) {
            batch w[4];
            detail::widen_i8(q + k, w);
            for (size_t j = 0; j < 4; ++j) (w[j] * vs * unscale).store_unaligned(row + k + j * lanes);
        }
        for (; k < dim; ++k) row[k] = s * float(q[k]);
    }
}

}  // namespace atnat::ops
