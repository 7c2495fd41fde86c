// Naive double-precision building blocks for the tests' reference forwards (transformer_test.cpp's GPT,
// g2p_tiny.hpp's seq2seq): plain loops over row-major [rows][features] matrices, written to be checked by eye
// against the PyTorch models, never fast. Weights are the float tensors of tests/cpp/weights.hpp, [out, in].
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

namespace atnat::test::ref {

using Mat = std::vector<std::vector<double>>;

// y = x W^T, W [out, in] row-major.
inline Mat linear(const Mat& x, const std::vector<float>& W, size_t out, size_t in) {
    Mat y(x.size(), std::vector<double>(out, 0.0));
    for (size_t r = 0; r < x.size(); ++r)
        for (size_t o = 0; o < out; ++o)
            for (size_t i = 0; i < in; ++i) y[r][o] += double(W[o * in + i]) * x[r][i];
    return y;
}

// Each row: x / sqrt(mean(x^2) + eps) * w.
inline Mat rmsnorm(const Mat& x, const std::vector<float>& w, double eps = 1e-5) {
    Mat y = x;
    for (auto& row : y) {
        double ms = 0;
        for (double v : row) ms += v * v;
        const double s = 1.0 / std::sqrt(ms / double(row.size()) + eps);
        for (size_t i = 0; i < row.size(); ++i) row[i] *= s * double(w[i]);
    }
    return y;
}

// h += y, row by row.
inline void add(Mat& h, const Mat& y) {
    for (size_t r = 0; r < h.size(); ++r)
        for (size_t i = 0; i < h[r].size(); ++i) h[r][i] += y[r][i];
}

// Multi-head scaled dot-product attention before the output projection: q [Tq, d], k and v [Tk, d], heads of
// d / heads features; query i sees keys 0..i when causal, every key otherwise.
inline Mat attention(const Mat& q, const Mat& k, const Mat& v, size_t heads, bool causal) {
    const size_t d = q.empty() ? 0 : q[0].size(), hd = d / heads;
    Mat y(q.size(), std::vector<double>(d, 0.0));
    for (size_t h = 0; h < heads; ++h)
        for (size_t i = 0; i < q.size(); ++i) {
            const size_t keys = causal ? i + 1 : k.size();
            std::vector<double> s(keys);
            double mx = -1e300, z = 0;
            for (size_t j = 0; j < keys; ++j) {
                s[j] = 0;
                for (size_t e = 0; e < hd; ++e) s[j] += q[i][h * hd + e] * k[j][h * hd + e];
                s[j] /= std::sqrt(double(hd));
                mx = std::max(mx, s[j]);
            }
            for (double& a : s) z += (a = std::exp(a - mx));
            for (size_t j = 0; j < keys; ++j)
                for (size_t e = 0; e < hd; ++e) y[i][h * hd + e] += s[j] / z * v[j][h * hd + e];
        }
    return y;
}

// The SwiGLU MLP: w_down (silu(x w_gate^T) * (x w_up^T)), w_gate and w_up [f, d], w_down [d, f].
inline Mat swiglu(const Mat& x, const std::vector<float>& w_gate, const std::vector<float>& w_up,
                  const std::vector<float>& w_down, size_t d, size_t f) {
    Mat g = linear(x, w_gate, f, d);
    const Mat u = linear(x, w_up, f, d);
    for (size_t r = 0; r < g.size(); ++r)
        for (size_t i = 0; i < f; ++i) g[r][i] = g[r][i] / (1.0 + std::exp(-g[r][i])) * u[r][i];
    return linear(g, w_down, d, f);
}

inline std::vector<double> flatten(const Mat& m) {
    std::vector<double> out;
    for (const auto& row : m) out.insert(out.end(), row.begin(), row.end());
    return out;
}

// The largest |a_i - b_i| (and a failed expectation if the sizes differ).
inline double max_abs_diff(std::span<const float> a, const std::vector<double>& b) {
    EXPECT_EQ(a.size(), b.size());
    double e = 0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) e = std::max(e, std::fabs(double(a[i]) - b[i]));
    return e;
}

}  // namespace atnat::test::ref
