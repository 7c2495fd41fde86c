// Rotary embedding, rotate-half convention: each head's first and second halves are the two
// coordinates of head_dim / 2 independent 2-D rotations.
#include "core/ops/ops.hpp"
#include "core/ops/simd.hpp"

namespace atnat::ops {

using detail::batch;
using detail::lanes;

void rope(float* x, const float* cos, const float* sin, size_t n_heads, size_t head_dim) {
    const size_t h = head_dim / 2;
    for (size_t head = 0; head < n_heads; ++head) {
        float* lo = x + head * head_dim;
        float* hi = lo + h;
        size_t i = 0;
        for (; i + lanes <= h; i += lanes) {
            const batch a = batch::load_unaligned(lo + i), b = batch::load_unaligned(hi + i);
            const batch c = batch::load_unaligned(cos + i), s = batch::load_unaligned(sin + i);
            (a * c - b * s).store_unaligned(lo + i);
            (b * c + a * s).store_unaligned(hi + i);
        }
        for (; i < h; ++i) {
            const float a = lo[i], b = hi[i];
            lo[i] = a * cos[i] - b * sin[i];
            hi[i] = b * cos[i] + a * sin[i];
        }
    }
}

}  // namespace atnat::ops
