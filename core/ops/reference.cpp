// Scalar references: the definition of every kernel, written for obviousness, not speed.
// Plain loops in the natural summation order, std:: math. The tests compare each SIMD kernel to these.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/ops/ops.hpp"

namespace atnat::ops::ref {

void gemv(const float* W, const float* x, float* y, size_t out, size_t in) {
    for (size_t o = 0; o < out; ++o) {
        float s = 0.f;
        for (size_t k = 0; k < in; ++k) s += W[o * in + k] * x[k];
        y[o] = s;
    }
}

void gemm(const float* X, const float* W, float* Y, size_t n, size_t out, size_t in) {
    for (size_t i = 0; i < n; ++i)
        for (size_t o = 0; o < out; ++o) {
            float s = 0.f;
            for (size_t k = 0; k < in; ++k) s += X[i * in + k] * W[o * in + k];
            Y[i * out + o] = s;
        }
}

void gemv_i8(const int8_t* W, const float* scale, const float* x, float* y, size_t out, size_t in) {
    for (size_t o = 0; o < out; ++o) {
        float s = 0.f;
        for (size_t k = 0; k < in; ++k) s += float(W[o * in + k]) * x[k];
        y[o] = scale[o] * s;
    }
}

void gemm_i8(const float* X, const int8_t* W, const float* scale, float* Y, size_t n, size_t out, size_t in) {
    for (size_t i = 0; i < n; ++i) gemv_i8(W, scale, X + i * in, Y + i * out, out, in);
}

float dot(const float* a, const float* b, size_t n) {
    float s = 0.f;
    for (size_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
}

void axpy(float a, const float* x, float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void add(const float* a, const float* b, float* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void mul(const float* a, const float* b, float* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

void scale(float* x, float s, size_t n) {
    for (size_t i = 0; i < n; ++i) x[i] *= s;
}

void softmax(float* x, size_t n, const uint8_t* mask) {
    float m = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n; ++i)
        if (!mask || mask[i]) m = std::max(m, x[i]);
    if (m == -std::numeric_limits<float>::infinity()) {  // nothing included (or all -inf)
        for (size_t i = 0; i < n; ++i) x[i] = 0.f;
        return;
    }
    float sum = 0.f;
    for (size_t i = 0; i < n; ++i) {
        x[i] = (!mask || mask[i]) ? std::exp(x[i] - m) : 0.f;
        sum += x[i];
    }
    for (size_t i = 0; i < n; ++i) x[i] /= sum;
}

void log_softmax(float* x, size_t n) {
    float m = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n; ++i) m = std::max(m, x[i]);
    float sum = 0.f;
    for (size_t i = 0; i < n; ++i) sum += std::exp(x[i] - m);
    const float log_sum = std::log(sum);
    for (size_t i = 0; i < n; ++i) x[i] = (x[i] - m) - log_sum;
}

LogNormaliser log_normaliser(const float* x, size_t n) {
    float m = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n; ++i) m = std::max(m, x[i]);
    float sum = 0.f;
    for (size_t i = 0; i < n; ++i) sum += std::exp(x[i] - m);
    return {m, std::log(sum)};
}

void rmsnorm(const float* x, const float* w, float* out, size_t n, float eps) {
    float ss = 0.f;
    for (size_t i = 0; i < n; ++i) ss += x[i] * x[i];
    const float rms = std::sqrt(ss / static_cast<float>(n) + eps);
    for (size_t i = 0; i < n; ++i) out[i] = x[i] / rms * w[i];
}

void layernorm(const float* x, const float* w, const float* b, float* out, size_t n, float eps) {
    float sum = 0.f;
    for (size_t i = 0; i < n; ++i) sum += x[i];
    const float mean = sum / static_cast<float>(n);
    float var = 0.f;
    for (size_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
    var /= static_cast<float>(n);
    const float sd = std::sqrt(var + eps);
    for (size_t i = 0; i < n; ++i) out[i] = (x[i] - mean) / sd * w[i] + b[i];
}

static float sigmoid(float v) {
    return 1.f / (1.f + std::exp(-v));
}

void silu(float* x, size_t n) {
    for (size_t i = 0; i < n; ++i) x[i] = x[i] * sigmoid(x[i]);
}

void gelu(float* x, size_t n) {
    for (size_t i = 0; i < n; ++i) x[i] = x[i] * 0.5f * (1.f + std::erf(x[i] / std::sqrt(2.f)));
}

void swiglu(const float* gate, const float* up, float* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
}

void tanh_sigmoid_gate(const float* a, const float* b, float* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = std::tanh(a[i]) * sigmoid(b[i]);
}

void rope(float* x, const float* cos, const float* sin, size_t n_heads, size_t head_dim) {
    const size_t h = head_dim / 2;
    for (size_t head = 0; head < n_heads; ++head) {
        float* v = x + head * head_dim;
        for (size_t i = 0; i < h; ++i) {
            const float a = v[i], b = v[i + h];
            v[i] = a * cos[i] - b * sin[i];
            v[i + h] = b * cos[i] + a * sin[i];
        }
    }
}

void embedding(const float* table, size_t rows, size_t dim, const int32_t* ids, size_t n, float* out) {
    for (size_t i = 0; i < n; ++i) {
        const bool valid = ids[i] >= 0 && static_cast<size_t>(ids[i]) < rows;
        for (size_t d = 0; d < dim; ++d) out[i * dim + d] = valid ? table[size_t(ids[i]) * dim + d] : 0.f;
    }
}

void embedding_i8(const int8_t* table, const float* scale, size_t rows, size_t dim, const int32_t* ids,
                  size_t n, float* out) {
    for (size_t i = 0; i < n; ++i) {
        const bool valid = ids[i] >= 0 && static_cast<size_t>(ids[i]) < rows;
        for (size_t d = 0; d < dim; ++d)
            out[i * dim + d] = valid ? scale[ids[i]] * float(table[size_t(ids[i]) * dim + d]) : 0.f;
    }
}

void attention(const float* q, const float* K, const float* V, float* out, float* scores, size_t n_keys,
               size_t head_dim, size_t kv_stride, float score_scale, const uint8_t* mask) {
    for (size_t j = 0; j < n_keys; ++j) scores[j] = score_scale * dot(q, K + j * kv_stride, head_dim);
    softmax(scores, n_keys, mask);
    for (size_t d = 0; d < head_dim; ++d) {
        float s = 0.f;
        for (size_t j = 0; j < n_keys; ++j) s += scores[j] * V[j * kv_stride + d];
        out[d] = s;
    }
}

void conv2d_at(const float* in, size_t H, size_t W, size_t C_in, const float* weight, const float* bias,
               const uint8_t* tap_mask, size_t C_out, size_t kh, size_t kw, size_t pad_top, size_t pad_left,
               size_t oy, size_t ox, float* out) {
    for (size_t co = 0; co < C_out; ++co) {
        float s = bias ? bias[co] : 0.f;
        for (size_t ty = 0; ty < kh; ++ty)
            for (size_t tx = 0; tx < kw; ++tx) {
                if (tap_mask && !tap_mask[ty * kw + tx]) continue;
                const ptrdiff_t iy = ptrdiff_t(oy + ty) - ptrdiff_t(pad_top);
                const ptrdiff_t ix = ptrdiff_t(ox + tx) - ptrdiff_t(pad_left);
                if (iy < 0 || iy >= ptrdiff_t(H) || ix < 0 || ix >= ptrdiff_t(W)) continue;  // zero padding
                for (size_t ci = 0; ci < C_in; ++ci)
                    s += in[(size_t(iy) * W + size_t(ix)) * C_in + ci] *
                         weight[((ty * kw + tx) * C_out + co) * C_in + ci];
            }
        out[co] = s;
    }
}

void conv2d(const float* in, size_t H, size_t W, size_t C_in, const float* weight, const float* bias,
            const uint8_t* tap_mask, size_t C_out, size_t kh, size_t kw, size_t pad_top, size_t pad_bottom,
            size_t pad_left, size_t pad_right, float* out) {
    const ptrdiff_t H_out = ptrdiff_t(H + pad_top + pad_bottom) - ptrdiff_t(kh) + 1;
    const ptrdiff_t W_out = ptrdiff_t(W + pad_left + pad_right) - ptrdiff_t(kw) + 1;
    for (ptrdiff_t oy = 0; oy < H_out; ++oy)
        for (ptrdiff_t ox = 0; ox < W_out; ++ox)
            conv2d_at(in, H, W, C_in, weight, bias, tap_mask, C_out, kh, kw, pad_top, pad_left, size_t(oy),
                      size_t(ox), out + (size_t(oy) * size_t(W_out) + size_t(ox)) * C_out);
}

void conv1x1(const float* in, size_t P, size_t C_in, const float* weight, const float* bias, size_t C_out,
             float* out) {
    for (size_t p = 0; p < P; ++p)
        for (size_t co = 0; co < C_out; ++co) {
            float s = 0.f;
            for (size_t ci = 0; ci < C_in; ++ci) s += in[p * C_in + ci] * weight[co * C_in + ci];
            out[p * C_out + co] = s + (bias ? bias[co] : 0.f);
        }
}

size_t argmax(const float* x, size_t n) {
    size_t best = 0;
    for (size_t i = 1; i < n; ++i)
        if (x[i] > x[best]) best = i;
    return best;
}

// Selection by rank: entry r is the best of those ranked after entry r - 1, where (v, i) ranks
// before (v', i') iff v > v' or (v == v' and i < i'). O(n·k), no allocation, obviously right.
void top_k(const float* x, size_t n, size_t k, int32_t* idx, float* val) {
    for (size_t r = 0; r < k; ++r) {
        size_t best = n;
        for (size_t i = 0; i < n; ++i) {
            if (r > 0) {
                const float pv = val[r - 1];
                const size_t pi = size_t(idx[r - 1]);
                const bool after = x[i] < pv || (x[i] == pv && i > pi);
                if (!after) continue;
            }
            if (best == n || x[i] > x[best]) best = i;
        }
        idx[r] = static_cast<int32_t>(best);
        val[r] = x[best];
    }
}

}  // namespace atnat::ops::ref
