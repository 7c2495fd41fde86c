// A tiny g2p model written in memory (the tensor names and order of models/g2p/export.py, random weights that
// are the same natively and in wasm) and a naive double-precision reference of models/g2p/model.py for it:
// the seq2seq tests check the C++ forward against it, and decoding tests can run on the tiny model.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "tests/cpp/reference.hpp"
#include "tests/cpp/weights.hpp"

namespace atnat::test::g2p {

using Ids = std::vector<int32_t>;
using ref::Mat, ref::flatten, ref::max_abs_diff;

// The CMUdict layout: 5 specials, 27 letters (ids 5 .. 31), 39 phonemes (ids 32 .. 70).
constexpr size_t kV = 71, kD = 16, kH = 2, kF = 24, kLayers = 2, kS = 12, kT = 10;
constexpr int32_t kBos = 1, kEos = 2, kMask = 3;

struct Tiny {
    nlohmann::json config = {{"vocab_size", kV},  {"d_model", kD},         {"n_heads", kH},
                             {"d_ff", kF},        {"enc_layers", kLayers}, {"dec_layers", kLayers},
                             {"max_letters", kS}, {"max_phonemes", kT},    {"norm_eps", 1e-5}};
    std::vector<TensorSpec> tensors;

    // Uniform weights in offset ± scale, in models/g2p/export.py's tensor order (model.named_parameters()).
    explicit Tiny(uint64_t seed = 1) {
        Lcg rng{seed};
        auto add = [&](const std::string& name, std::vector<size_t> shape, float scale, float offset = 0.f) {
            size_t n = 1;
            for (size_t s : shape) n *= s;
            TensorSpec t{name, shape, std::vector<float>(n)};
            for (float& v : t.f32) v = rng.uniform(offset - scale, offset + scale);
            tensors.push_back(std::move(t));
        };
        auto attention = [&](const std::string& p) {
            for (const char* w : {"wq", "wk", "wv", "wo"}) add(p + w, {kD, kD}, 0.5f);
        };
        auto mlp = [&](const std::string& p) {
            add(p + "w_gate", {kF, kD}, 0.5f);
            add(p + "w_up", {kF, kD}, 0.5f);
            add(p + "w_down", {kD, kF}, 0.5f);
        };
        add("emb", {kV, kD}, 1.f);
        add("enc_pos", {kS, kD}, 0.5f);
        for (size_t i = 0; i < kLayers; ++i) {
            const std::string b = "enc_blocks." + std::to_string(i) + ".";
            add(b + "attn_norm", {kD}, 0.3f, 1.f);
            attention(b + "attn.");
            add(b + "mlp_norm", {kD}, 0.3f, 1.f);
            mlp(b + "mlp.");
        }
        add("enc_norm", {kD}, 0.3f, 1.f);
        for (const std::string dec : {"at.", "nat."}) {
            add(dec + "pos", {kT, kD}, 0.5f);
            for (size_t i = 0; i < kLayers; ++i) {
                const std::string b = dec + "blocks." + std::to_string(i) + ".";
                add(b + "self_norm", {kD}, 0.3f, 1.f);
                attention(b + "self_attn.");
                add(b + "cross_norm", {kD}, 0.3f, 1.f);
                attention(b + "cross_attn.");
                add(b + "mlp_norm", {kD}, 0.3f, 1.f);
                mlp(b + "mlp.");
            }
            add(dec + "norm", {kD}, 0.3f, 1.f);
        }
        add("length_head", {kT + 1, kD}, 1.f);
    }
    std::vector<uint8_t> bytes(const std::string& arch = "g2p") const {
        return write_weights(arch, config, tensors);
    }
    const std::vector<float>& get(const std::string& name) const { return tensor_values(tensors, name); }
};

// ----------------------------------------------------------------- a naive reference (double, loops)
// models/g2p/model.py written out with tests/cpp/reference.hpp: G2P.encode, G2P.decode, G2P.length_logits for
// one unpadded word.
struct Reference {
    const Tiny& t;

    Mat linear(const Mat& x, const std::string& w, size_t out, size_t in) const {
        return ref::linear(x, t.get(w), out, in);
    }
    Mat rmsnorm(const Mat& x, const std::string& w) const { return ref::rmsnorm(x, t.get(w)); }
    Mat embed(const Ids& ids, const std::string& pos) const {
        Mat h(ids.size(), std::vector<double>(kD));
        for (size_t p = 0; p < ids.size(); ++p)
            for (size_t i = 0; i < kD; ++i)
                h[p][i] = double(t.get("emb")[size_t(ids[p]) * kD + i]) + double(t.get(pos)[p * kD + i]);
        return h;
    }
    // Attention.forward(x, m, mask): queries from x, keys and values from m, causal or every key.
    Mat attention(const Mat& x, const Mat& m, const std::string& p, bool causal) const {
        const Mat y = ref::attention(linear(x, p + "wq", kD, kD), linear(m, p + "wk", kD, kD),
                                     linear(m, p + "wv", kD, kD), kH, causal);
        return linear(y, p + "wo", kD, kD);
    }
    void mlp(Mat& h, const std::string& b) const {
        ref::add(h, ref::swiglu(rmsnorm(h, b + "mlp_norm"), t.get(b + "mlp.w_gate"), t.get(b + "mlp.w_up"),
                                t.get(b + "mlp.w_down"), kD, kF));
    }
    Mat encode(const Ids& letters) const {
        Mat h = embed(letters, "enc_pos");
        for (size_t l = 0; l < kLayers; ++l) {
            const std::string b = "enc_blocks." + std::to_string(l) + ".";
            Mat x = rmsnorm(h, b + "attn_norm");
            ref::add(h, attention(x, x, b + "attn.", false));
            mlp(h, b);
        }
        return rmsnorm(h, "enc_norm");
    }
    std::vector<double> length_logits(const Mat& memory) const {
        Mat mean(1, std::vector<double>(kD, 0.0));
        for (const auto& row : memory)
            for (size_t i = 0; i < kD; ++i) mean[0][i] += row[i] / double(memory.size());
        return linear(mean, "length_head", kT + 1, kD)[0];
    }
    // [T * V] logits of decoder "at." (causal) or "nat." (bidirectional)
    std::vector<double> decode(const std::string& dec, const Ids& tokens, const Mat& memory) const {
        Mat h = embed(tokens, dec + "pos");
        for (size_t l = 0; l < kLayers; ++l) {
            const std::string b = dec + "blocks." + std::to_string(l) + ".";
            Mat x = rmsnorm(h, b + "self_norm");
            ref::add(h, attention(x, x, b + "self_attn.", dec == "at."));
            ref::add(h, attention(rmsnorm(h, b + "cross_norm"), memory, b + "cross_attn.", false));
            mlp(h, b);
        }
        return flatten(linear(rmsnorm(h, dec + "norm"), "emb", kV, kD));
    }
};

}  // namespace atnat::test::g2p
