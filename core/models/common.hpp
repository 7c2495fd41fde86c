// What the model files share: read-only weight views into a WeightFile, the checked loader of one tensor,
// the range-checked reading of integer config keys, and the row-wise linear and RMSNorm every transformer
// block calls (transformer, cmlm, seq2seq).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
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
inline void linear(const float* X, const WeightView<2>& W, float* Y, size_t n) {
    const size_t out = W.shape(0), in = W.shape(1);
    if (n == 1) {
        ops::gemv(W.data(), X, Y, out, in);
    } else {
        ops::gemm(X, W.data(), Y, n, out, in);
    }
}

// out[r, :] = rmsnorm(x[r, :]) · w for r < n (RMSNorm in models/common/text.py)
inline void rmsnorm_rows(const float* x, const WeightView<1>& w, float* out, size_t n, size_t d, float eps) {
    for (size_t r = 0; r < n; ++r) ops::rmsnorm(x + r * d, w.data(), out + r * d, d, eps);
}

}  // namespace detail
}  // namespace atnat::models
