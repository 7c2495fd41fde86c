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

#include "tests/cpp/weights.hpp"

namespace atnat::test::g2p {

using Ids = std::vector<int32_t>;
using Mat = std::vector<std::vector<double>>;

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
    const std::vector<float>& get(const std::string& name) const {
        for (const auto& t : tensors) {
            if (t.name == name) return t.f32;
        }
        static const std::vector<float> none;
        return none;
    }
};

// ----------------------------------------------------------------- a naive reference (double, loops)
// models/g2p/model.py written out: G2P.encode, G2P.decode, G2P.length_logits for one unpadded word.
struct Reference {
    const Tiny& t;

    Mat linear(const Mat& x, const std::string& w, size_t out, size_t in) const {
        const auto& W = t.get(w);
        Mat y(x.size(), std::vector<double>(out, 0.0));
        for (size_t r = 0; r < x.size(); ++r)
            for (size_t o = 0; o < out; ++o)
                for (size_t i = 0; i < in; ++i) y[r][o] += double(W[o * in + i]) * x[r][i];
        return y;
    }
    Mat rmsnorm(const Mat& x, const std::string& w) const {
        Mat y = x;
        for (auto& row : y) {
            double ms = 0;
            for (double v : row) ms += v * v;
            const double s = 1.0 / std::sqrt(ms / double(kD) + 1e-5);
            for (size_t i = 0; i < kD; ++i) row[i] *= s * double(t.get(w)[i]);
        }
        return y;
    }
    static void add(Mat& h, const Mat& y) {
        for (size_t r = 0; r < h.size(); ++r)
            for (size_t i = 0; i < kD; ++i) h[r][i] += y[r][i];
    }
    Mat embed(const Ids& ids, const std::string& pos) const {
        Mat h(ids.size(), std::vector<double>(kD));
        for (size_t p = 0; p < ids.size(); ++p)
            for (size_t i = 0; i < kD; ++i)
                h[p][i] = double(t.get("emb")[size_t(ids[p]) * kD + i]) + double(t.get(pos)[p * kD + i]);
        return h;
    }
    // Attention.forward(x, m, mask): queries from x, keys and values from m, causal or every key.
    Mat attention(const Mat& x, const Mat& m, const std::string& p, bool causal) const {
        const size_t hd = kD / kH;
        Mat q = linear(x, p + "wq", kD, kD), k = linear(m, p + "wk", kD, kD), v = linear(m, p + "wv", kD, kD);
        Mat y(x.size(), std::vector<double>(kD, 0.0));
        for (size_t h = 0; h < kH; ++h)
            for (size_t i = 0; i < x.size(); ++i) {
                const size_t keys = causal ? i + 1 : m.size();
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
        return linear(y, p + "wo", kD, kD);
    }
    void mlp(Mat& h, const std::string& b) const {
        Mat x = rmsnorm(h, b + "mlp_norm");
        Mat g = linear(x, b + "mlp.w_gate", kF, kD), u = linear(x, b + "mlp.w_up", kF, kD);
        for (size_t r = 0; r < g.size(); ++r)
            for (size_t i = 0; i < kF; ++i) g[r][i] = g[r][i] / (1.0 + std::exp(-g[r][i])) * u[r][i];
        add(h, linear(g, b + "mlp.w_down", kD, kF));
    }
    Mat encode(const Ids& letters) const {
        Mat h = embed(letters, "enc_pos");
        for (size_t l = 0; l < kLayers; ++l) {
            const std::string b = "enc_blocks." + std::to_string(l) + ".";
            Mat x = rmsnorm(h, b + "attn_norm");
            add(h, attention(x, x, b + "attn.", false));
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
            add(h, attention(x, x, b + "self_attn.", dec == "at."));
            add(h, attention(rmsnorm(h, b + "cross_norm"), memory, b + "cross_attn.", false));
            mlp(h, b);
        }
        std::vector<double> out;
        for (const auto& row : linear(rmsnorm(h, dec + "norm"), "emb", kV, kD))
            out.insert(out.end(), row.begin(), row.end());
        return out;
    }
};

double max_abs_diff(std::span<const float> a, const std::vector<double>& b) {
    EXPECT_EQ(a.size(), b.size());
    double e = 0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) e = std::max(e, std::fabs(double(a[i]) - b[i]));
    return e;
}

std::vector<double> flatten(const Mat& m) {
    std::vector<double> out;
    for (const auto& row : m) out.insert(out.end(), row.begin(), row.end());
    return out;
}

}  // namespace atnat::test::g2p
