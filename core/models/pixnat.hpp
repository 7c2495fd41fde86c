// pixnat: the parallel (MaskGIT-style) pixel model, the C++ twin of models/pixnat/model.py. One forward
// predicts logits over the L grey levels at every pixel from a grid of tokens (a level, or MASK = L) and a
// class. PixNATState::forward is the op sequence of model.py's docstring; the K-step mask-predict loop
// lives in core/decode/pixels.
//
// Dilated 3x3 convolutions without a dilation argument in ops::conv2d: a 3x3 conv with dilation d and
// zero padding d only ever mixes pixels whose coordinates agree mod d, so it splits into d*d independent
// *undilated* 3x3 convs with padding 1, one per sub-grid {(a + d*i, b + d*j)} (polyphase decomposition).
// forward gathers each sub-grid into a scratch buffer, runs ops::conv2d with the stored compact
// [3, 3, C, C] weights and scatters the result back: the same taps and the same zero padding (a tap
// outside the sub-grid is exactly a tap outside the image), no expanded kernels, no kernel change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/io/safetensors.hpp"
#include "core/status.hpp"

namespace atnat::models {

struct PixNATConfig {
    int levels = 16;                                     // L: grey levels, 2..255; token L is MASK
    int channels = 64;                                   // C
    std::vector<int> dilations{1, 2, 4, 8, 1, 2, 4, 8};  // one block per entry, each in 1..H or W
    int n_classes = 10;
    int height = 28;              // H
    int width = 28;               // W
    float layernorm_eps = 1e-5f;  // "layernorm_eps" (nn.LayerNorm's default if absent)
    float default_gumbel_temp =
        0.f;  // "default_gumbel_temp": the sampler's confidence noise unless overridden
};

struct PixNATBlockWeights {
    int dilation;
    const float* norm_weight;  // [C]
    const float* norm_bias;    // [C]
    const float* conv_weight;  // [3, 3, C, C]
    const float* conv_bias;    // [C]
    const float* class_emb;    // [n_classes, C]
    const float* proj_weight;  // [C, C]
    const float* proj_bias;    // [C]
};

struct PixNATWeights {
    const float* tok_emb;  // [L + 1, C]; row L is MASK
    const float* pos_emb;  // [H * W, C]
    std::vector<PixNATBlockWeights> blocks;
    const float* norm_out_weight;  // [C]
    const float* norm_out_bias;    // [C]
    const float* head_weight;      // [L, C]
    const float* head_bias;        // [L]
};

// An immutable loaded model; cheap to copy (the weight bytes are shared).
class PixNAT {
public:
    // Checks arch "pixnat", the config ranges and every tensor's name, dtype and shape.
    static Result<PixNAT> load(io::WeightFile file);

    const PixNATConfig& config() const { return cfg_; }
    const PixNATWeights& weights() const { return w_; }
    size_t parameter_count() const { return file_.parameter_count(); }
    size_t byte_size() const { return file_.byte_size(); }  // the weight file's

private:
    PixNAT(io::WeightFile file, PixNATConfig cfg) : file_(std::move(file)), cfg_(std::move(cfg)) {}
    io::WeightFile file_;
    PixNATConfig cfg_;
    PixNATWeights w_{};
};

// Activations for one image, allocated once; forward allocates nothing.
class PixNATState {
public:
    explicit PixNATState(const PixNAT& model);
    // The bytes the constructor allocates for this config (a request's memory budget,
    // core/decode/budget.hpp).
    static uint64_t bytes(const PixNATConfig& config);

    // Folds class_emb[c] into each block's conv bias. Error if c is outside [0, n_classes).
    Status set_class(int c);
    int cls() const { return cls_; }

    // tokens: [H * W] in 0..L (L = MASK; larger values are treated as MASK). logits() becomes [H * W, L].
    void forward(const uint8_t* tokens);
    const float* logits() const { return logits_.data(); }

private:
    void dilated_conv(const PixNATBlockWeights& b, const float* bias, const float* in, float* out);

    PixNAT model_;
    size_t H_, W_, P_, C_, L_;
    int cls_ = -1;
    std::vector<float> conv_bias_;         // [n_blocks, C] conv bias + class row
    std::vector<int32_t> ids_;             // [P]
    std::vector<float> h_, z_, t_;         // [P, C]
    std::vector<float> sub_in_, sub_out_;  // [ceil(H/d) * ceil(W/d), C] one sub-grid
    std::vector<float> logits_;            // [P, L]
};

}  // namespace atnat::models
