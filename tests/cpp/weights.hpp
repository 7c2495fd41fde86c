// Weight files written in memory for the C++ tests, in the atnat-1 layout of
// models/common/safetensors_io.py write() (docs/weight-format.md): an 8-byte little-endian header length, a
// JSON header {"__metadata__": {"format": "atnat-1", "arch", "config": JSON string, "tokenizer": JSON
// string (optional)}, name: {"dtype", "shape", "data_offsets"}, ...} padded with spaces so the data starts
// 16-aligned, then each tensor 16-aligned.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/decode/rng.hpp"

namespace atnat::test {

struct TensorSpec {
    std::string name;
    std::vector<size_t> shape;
    std::vector<float> f32;        // the data, unless dtype is "U8" or "I8"
    std::string dtype = "F32";     // written as is: a test may label f32 data wrongly (e.g. "I32")
    std::vector<uint8_t> u8 = {};  // the bytes of a "U8" or "I8" tensor
};

// The data of the tensor called name ([] if there is none).
inline const std::vector<float>& tensor_values(const std::vector<TensorSpec>& tensors,
                                               const std::string& name) {
    for (const auto& t : tensors) {
        if (t.name == name) return t.f32;
    }
    static const std::vector<float> none;
    return none;
}

// Deterministic test numbers, the same natively and in wasm (a 64-bit LCG, the top 24 bits).
struct Lcg {
    uint64_t s;
    float uniform(float lo, float hi) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return lo + (hi - lo) * float(s >> 40) / float(1 << 24);
    }
};

// tokenizer: null for none.
inline std::vector<uint8_t> write_weights(const std::string& arch, const nlohmann::json& config,
                                          const std::vector<TensorSpec>& tensors,
                                          const nlohmann::json& tokenizer = nullptr) {
    nlohmann::json header;
    header["__metadata__"] = {{"format", "atnat-1"}, {"arch", arch}, {"config", config.dump()}};
    if (!tokenizer.is_null()) header["__metadata__"]["tokenizer"] = tokenizer.dump();
    std::vector<uint8_t> data;
    for (const TensorSpec& t : tensors) {
        data.resize((data.size() + 15) / 16 * 16, 0);
        const size_t begin = data.size();
        if (t.dtype == "U8" || t.dtype == "I8") {
            data.insert(data.end(), t.u8.begin(), t.u8.end());
        } else {
            const auto* p = reinterpret_cast<const uint8_t*>(t.f32.data());
            data.insert(data.end(), p, p + t.f32.size() * sizeof(float));
        }
        header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {begin, data.size()}}};
    }
    std::string h = header.dump();
    h.resize(h.size() + (16 - (8 + h.size()) % 16) % 16, ' ');
    std::vector<uint8_t> out;
    out.reserve(8 + h.size() + data.size());
    for (int i = 0; i < 8; ++i) out.push_back(uint8_t(uint64_t(h.size()) >> (8 * i)));
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

// The int8 variant of a weight file, as models/common/quantize.py writes it: each tensor named in `matrices`
// ([out, in] F32) becomes I8 NAME, q = round(w / s) with s = max |row| / 127, followed by F32 NAME.scale
// [out]. `dequantized` holds the same tensors with those matrices replaced by the values they stand for, q ·
// s: the f32 model whose forward the int8 one must compute.
struct Quantized {
    std::vector<TensorSpec> int8, dequantized;
};

inline Quantized quantize(const std::vector<TensorSpec>& tensors, const std::vector<std::string>& matrices) {
    Quantized out;
    for (const TensorSpec& t : tensors) {
        if (std::find(matrices.begin(), matrices.end(), t.name) == matrices.end()) {
            out.int8.push_back(t);
            out.dequantized.push_back(t);
            continue;
        }
        const size_t rows = t.shape.at(0), cols = t.shape.at(1);
        TensorSpec q{t.name, t.shape, {}, "I8", std::vector<uint8_t>(rows * cols)};
        TensorSpec scale{t.name + ".scale", {rows}, std::vector<float>(rows)};
        TensorSpec deq{t.name, t.shape, std::vector<float>(rows * cols)};
        for (size_t r = 0; r < rows; ++r) {
            float most = 0.f;
            for (size_t c = 0; c < cols; ++c) most = std::max(most, std::fabs(t.f32[r * cols + c]));
            const float s = most / 127.f;
            scale.f32[r] = s;
            for (size_t c = 0; c < cols; ++c) {
                const int8_t v = s > 0.f ? int8_t(std::nearbyint(t.f32[r * cols + c] / s)) : int8_t(0);
                q.u8[r * cols + c] = uint8_t(v);
                deq.f32[r * cols + c] = float(v) * s;
            }
        }
        out.int8.push_back(std::move(q));
        out.int8.push_back(std::move(scale));
        out.dequantized.push_back(std::move(deq));
    }
    return out;
}

// Random weights with the tensor names of models/poet-at/export.py (a pre-norm transformer, SwiGLU MLP):
// uniform in offset ± scale, drawn from Pcg32(seed) in the order written here, so a test model is the same
// natively and in wasm. length_head_rows > 0 adds poet-nat's "length_head" [rows, d_model].
inline std::vector<TensorSpec> random_transformer(uint64_t seed, size_t vocab, size_t d_model, size_t d_ff,
                                                  size_t n_layers, size_t length_head_rows = 0) {
    decode::Pcg32 rng(seed);
    std::vector<TensorSpec> ts;
    auto mat = [&](const std::string& name, std::vector<size_t> shape, float scale, float offset = 0.f) {
        size_t n = 1;
        for (size_t s : shape) n *= s;
        TensorSpec t{name, shape, std::vector<float>(n)};
        for (float& v : t.f32) v = offset + scale * (2.f * rng.uniform() - 1.f);
        ts.push_back(std::move(t));
    };
    mat("tok_emb", {vocab, d_model}, 1.0f);
    for (size_t l = 0; l < n_layers; ++l) {
        const std::string p = "layers." + std::to_string(l) + ".";
        mat(p + "attn_norm", {d_model}, 0.3f, 1.f);
        for (const char* w : {"wq", "wk", "wv", "wo"}) mat(p + w, {d_model, d_model}, 0.5f);
        mat(p + "mlp_norm", {d_model}, 0.3f, 1.f);
        mat(p + "w_gate", {d_ff, d_model}, 0.5f);
        mat(p + "w_up", {d_ff, d_model}, 0.5f);
        mat(p + "w_down", {d_model, d_ff}, 0.5f);
    }
    mat("final_norm", {d_model}, 0.3f, 1.f);
    if (length_head_rows > 0) mat("length_head", {length_head_rows, d_model}, 1.0f);
    return ts;
}

}  // namespace atnat::test
