// What the model files share: read-only weight views into a WeightFile (f32 views and the Matrix of a linear
// layer, f32 or int8), their checked loaders, the range-checked reading of integer config keys, and the
// row-wise linear, embedding and RMSNorm every transformer block calls (transformer, cmlm, seq2seq).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>
#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

#include "core/io/safetensors.hpp"
#include "core/ops/ops.hpp"
#include "core/status.hpp"

namespace atnat::models {

// A read-only view of N-d float weights inside a WeightFile (no copy, no ownership).
template <size_t N>
using WeightView =
    xt::xtensor_adaptor<xt::xbuffer_adaptor<const float*, xt::no_ownership, std::allocator<float>>, N>;

// The weight matrix of a linear layer (or an embedding table), W [rows, cols] = [out, in] in PyTorch's
// layout, as the file stores it: F32, or I8 with one F32 scale per row in the tensor NAME.scale (W[o, k]
// stands for scale[o] · W[o, k]; models/common/quantize.py). A view into the file, never a copy.
struct Matrix {
    size_t rows = 0, cols = 0;
    const float* f32 = nullptr;    // [rows, cols] if F32, else nullptr
    const int8_t* i8 = nullptr;    // [rows, cols] if I8, else nullptr
    const float* scale = nullptr;  // [rows]       if I8
};

// The tensor name of an I8 matrix's row scales: NAME + ".scale".
inline std::string scale_name(const std::string& name) {
    return name + ".scale";
}

namespace detail {

// One F32 tensor of exactly this shape as a view, or the loader's error naming the tensor, the expected and
// the actual dtype / shape.
template <size_t N>
Result<WeightView<N>> load_weight(const io::WeightFile& file, const std::string& name,
                                  const std::array<size_t, N>& shape) {
    auto t = file.require(name, std::vector<size_t>(shape.begin(), shape.end()), io::Dtype::f32);
    if (!t) return make_error(t.error());
    using Buffer = xt::xbuffer_adaptor<const float*, xt::no_ownership, std::allocator<float>>;
    return WeightView<N>(Buffer((*t)->f32(), (*t)->numel()), shape);
}

// The matrix NAME of exactly [rows, cols]: F32, or I8 with its F32 [rows] NAME.scale. Errors name the tensor,
// e.g. "tensor 'wq.scale' (F32 [16]) is missing ... (the row scales of the I8 matrix 'wq')" or "tensor 'wq'
// is I32 [16, 16], expected F32 [16, 16] (or I8 with row scales)".
inline Result<Matrix> load_matrix(const io::WeightFile& file, const std::string& name, size_t rows,
                                  size_t cols) {
    const io::Tensor* t = file.find(name);
    if (t && t->dtype == io::Dtype::i8) {
        auto q = file.require(name, {rows, cols}, io::Dtype::i8);
        if (!q) return make_error(q.error());
        auto scale = file.require(scale_name(name), {rows}, io::Dtype::f32);
        if (!scale) return make_error(scale.error() + " (the row scales of the I8 matrix '" + name + "')");
        return Matrix{rows, cols, nullptr, (*q)->i8(), (*scale)->f32()};
    }
    auto w = file.require(name, {rows, cols}, io::Dtype::f32);
    if (!w) return make_error(w.error() + (t ? " (or I8 with row scales)" : ""));
    return Matrix{rows, cols, (*w)->f32(), nullptr, nullptr};
}

// The first error among several Results, or nullptr if all are ok.
template <class... R>
const std::string* first_error(const R&... results) {
    const std::string* e = nullptr;
    ((e = e ? e : (results.ok() ? nullptr : &results.error())), ...);
    return e;
}

// One integer config key: its name, the range a loader accepts and the config field it fills.
struct IntKey {
    const char* key;
    int64_t lo, hi;
    size_t* out;
};

// Reads the keys in order into their fields; the first missing, mistyped or out-of-range one is an Error
// prefixed by the model's name, e.g. "g2p config: 'd_model' = 0 is outside [1, 4096]".
inline Status read_int_keys(const nlohmann::json& config, std::initializer_list<IntKey> keys,
                            const std::string& model) {
    for (const IntKey& k : keys) {
        auto v = io::config_int(config, k.key, k.lo, k.hi);
        if (!v) return Status::failure(model + " " + v.error());
        *k.out = size_t(*v);
    }
    return Status::ok_status();
}

// Y[n, out] = X[n, in] · W[out, in]ᵀ (nn.Linear without bias): the GEMV kernel for one row, GEMM for more.
inline void linear(const float* X, const Matrix& W, float* Y, size_t n) {
    if (W.i8) {
        if (n == 1)
            ops::gemv_i8(W.i8, W.scale, X, Y, W.rows, W.cols);
        else
            ops::gemm_i8(X, W.i8, W.scale, Y, n, W.rows, W.cols);
    } else if (n == 1) {
        ops::gemv(W.f32, X, Y, W.rows, W.cols);
    } else {
        ops::gemm(X, W.f32, Y, n, W.rows, W.cols);
    }
}

// out[i, :] = table[ids[i], :] (nn.Embedding), ids checked by the caller
inline void embedding(const Matrix& table, std::span<const int32_t> ids, float* out) {
    if (table.i8)
        ops::embedding_i8(table.i8, table.scale, table.rows, table.cols, ids.data(), ids.size(), out);
    else
        ops::embedding(table.f32, table.rows, table.cols, ids.data(), ids.size(), out);
}

// out[r, :] = rmsnorm(x[r, :]) · w for r < n (RMSNorm in models/common/text.py)
inline void rmsnorm_rows(const float* x, const WeightView<1>& w, float* out, size_t n, size_t d, float eps) {
    for (size_t r = 0; r < n; ++r) ops::rmsnorm(x + r * d, w.data(), out + r * d, d, eps);
}

}  // namespace detail
}  // namespace atnat::models
