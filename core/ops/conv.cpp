// 2-D convolution, channels-last, stride 1, with per-tap masks.
//
// For each output row and each live tap (ty, tx) the contribution is one GEMM: the run of output
// pixels whose input pixel (oy + ty - pad_top, ox + tx - pad_left) lies inside the image, times the
// tap's [C_out, C_in] weight, accumulated into out. Every output value is therefore
//   bias + d(tap 0) + d(tap 1) + ...   (live, in-image taps in raster order),
// each d summed in the canonical matmul order, which is exactly what conv2d_at computes for one
// pixel: the cached sampler gets the same floats as the full convolution, bit for bit.
#include <algorithm>
#include <cstring>

#include "core/ops/ops.hpp"
#include "core/ops/simd.hpp"

namespace atnat::ops {

namespace {

void fill_bias(float* out, const float* bias, size_t pixels, size_t C_out) {
    if (!bias) {
        std::memset(out, 0, pixels * C_out * sizeof(float));
        return;
    }
    for (size_t p = 0; p < pixels; ++p) std::memcpy(out + p * C_out, bias, C_out * sizeof(float));
}

}  // namespace

void conv2d(const float* in, size_t H, size_t W, size_t C_in, const float* weight, const float* bias,
            const uint8_t* tap_mask, size_t C_out, size_t kh, size_t kw, size_t pad_top, size_t pad_bottom,
            size_t pad_left, size_t pad_right, float* out) {
    // Signed geometry: a kernel larger than the padded image has no output (not a wrapped size_t).
    const ptrdiff_t H_out = ptrdiff_t(H + pad_top + pad_bottom) - ptrdiff_t(kh) + 1;
    const ptrdiff_t W_out = ptrdiff_t(W + pad_left + pad_right) - ptrdiff_t(kw) + 1;
    if (H_out <= 0 || W_out <= 0) return;
    const size_t tap_size = C_out * C_in;
    for (ptrdiff_t oy = 0; oy < H_out; ++oy) {
        float* out_row = out + size_t(oy) * size_t(W_out) * C_out;
        fill_bias(out_row, bias, size_t(W_out), C_out);
        for (size_t ty = 0; ty < kh; ++ty) {
            const ptrdiff_t iy = oy + ptrdiff_t(ty) - ptrdiff_t(pad_top);
            if (iy < 0 || iy >= ptrdiff_t(H)) continue;
            for (size_t tx = 0; tx < kw; ++tx) {
                if (tap_mask && !tap_mask[ty * kw + tx]) continue;
                // ox such that ix = ox + tx - pad_left is in [0, W)
                const ptrdiff_t shift = ptrdiff_t(tx) - ptrdiff_t(pad_left);
                const ptrdiff_t ox0 = std::max<ptrdiff_t>(0, -shift);
                const ptrdiff_t ox1 = std::min<ptrdiff_t>(W_out, ptrdiff_t(W) - shift);
                if (ox0 >= ox1) continue;
                const float* x = in + (size_t(iy) * W + size_t(ox0 + shift)) * C_in;
                detail::matmul_strided(x, C_in, weight + (ty * kw + tx) * tap_size, C_in,
                                       out_row + size_t(ox0) * C_out, C_out, size_t(ox1 - ox0), C_out, C_in,
                                       true);
            }
        }
    }
}

void conv2d_at(const float* in, size_t H, size_t W, size_t C_in, const float* weight, const float* bias,
               const uint8_t* tap_mask, size_t C_out, size_t kh, size_t kw, size_t pad_top, size_t pad_left,
               size_t oy, size_t ox, float* out) {
    fill_bias(out, bias, 1, C_out);
    const size_t tap_size = C_out * C_in;
    for (size_t ty = 0; ty < kh; ++ty) {
        const ptrdiff_t iy = ptrdiff_t(oy + ty) - ptrdiff_t(pad_top);
        if (iy < 0 || iy >= ptrdiff_t(H)) continue;
        for (size_t tx = 0; tx < kw; ++tx) {
            if (tap_mask && !tap_mask[ty * kw + tx]) continue;
            const ptrdiff_t ix = ptrdiff_t(ox + tx) - ptrdiff_t(pad_left);
            if (ix < 0 || ix >= ptrdiff_t(W)) continue;
            detail::matmul_strided(in + (size_t(iy) * W + size_t(ix)) * C_in, 0,
                                   weight + (ty * kw + tx) * tap_size, C_in, out, 0, 1, C_out, C_in, true);
        }
    }
}

}  // namespace atnat::ops
