// Class-conditional Gated PixelCNN (van den Oord et al. 2016), the C++ twin of models/pixelcnn/model.py.
// Read the two side by side: PixelCNN::forward below is the op sequence in model.py's docstring.
//
// Two ways to get logits, which give the same floats bit for bit (ops::conv2d == ops::conv2d_at,
// and every matmul sums in one canonical order whatever its blocking):
//   forward(img)           the whole image, logits [H, W, L]           (the naive raster sampler)
//   begin_row(img, y) then pixel_logits(img, y, x) for x = 0..W-1 in order
//                          just what pixel (y, x) changes: the vertical stack for row y once per row,
//                          the horizontal stack + head at (y, x) once per pixel (Fast PixelCNN,
//                          Ramachandran et al. 2017; the cached raster sampler)
// The split with core/decode/pixels: this file knows which activations a pixel invalidates (the cache
// layout is the architecture); decode/pixels knows the order, the sampling, the RNG, the counting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/io/safetensors.hpp"
#include "core/status.hpp"

namespace atnat::models {

struct PixelCNNConfig {
    int levels = 16;         // L: grey levels, 2..256 (a pixel is a uint8 level)
    int channels = 48;       // C
    int layers = 8;          // N
    int first_kernel = 7;    // k0 (odd); r = k0 / 2
    int head_channels = 96;  // Ch
    int n_classes = 10;
    int height = 28;  // H
    int width = 28;   // W
    int input_channels =
        1;  // Cx: 1 = the level only; 3 = the level, (y + 1) / H, (x + 1) / W (where the pixel is)
};

// Views into the weight file (plain data; the file's storage outlives every copy of the model).
struct PixelCNNLayerWeights {
    const float* v_conv_weight;  // layer 0: [r+1, k0, 2C, Cx]; else [2, 3, 2C, C]
    const float* v_conv_bias;    // [2C]
    const uint8_t* v_conv_mask;  // layer 0: [r+1, k0] (last row 0); else nullptr
    const float* h_conv_weight;  // layer 0: [1, r+1, 2C, Cx]; else [1, 2, 2C, C]
    const float* h_conv_bias;    // [2C]
    const uint8_t* h_conv_mask;  // layer 0: [1, r+1] (last tap 0); else nullptr
    const float* v_class;        // [n_classes, 2C]
    const float* h_class;        // [n_classes, 2C]
    const float* v2h_weight;     // [2C, 2C]
    const float* v2h_bias;       // [2C]
    const float* h_out_weight;   // [C, C]
    const float* h_out_bias;     // [C]
};

struct PixelCNNWeights {
    std::vector<PixelCNNLayerWeights> layers;  // [N]
    const float* head0_weight;                 // [Ch, C]
    const float* head0_bias;                   // [Ch]
    const float* head1_weight;                 // [L, Ch]
    const float* head1_bias;                   // [L]
};

// An immutable loaded model. Cheap to copy (the weight bytes are shared), so sessions keep a copy and
// never dangle.
class PixelCNN {
public:
    // Checks arch "pixelcnn", every config value's range, every tensor's name, dtype and shape, and
    // that the layer-0 masks are the mask-A patterns (anything else would break causality).
    static Result<PixelCNN> load(io::WeightFile file);

    const PixelCNNConfig& config() const { return cfg_; }
    const PixelCNNWeights& weights() const { return w_; }
    size_t parameter_count() const { return file_.parameter_count(); }
    size_t byte_size() const { return file_.byte_size(); }  // the weight file's

private:
    PixelCNN(io::WeightFile file, PixelCNNConfig cfg) : file_(std::move(file)), cfg_(cfg) {}
    io::WeightFile file_;
    PixelCNNConfig cfg_;
    PixelCNNWeights w_{};
};

// Activations for one image, allocated once (constructor); forward / begin_row / pixel_logits
// allocate nothing. img arguments are [H * W] levels in raster order, each < L.
class PixelCNNState {
public:
    explicit PixelCNNState(const PixelCNN& model);
    // The bytes the constructor allocates for this config (a request's memory budget,
    // core/decode/budget.hpp).
    static uint64_t bytes(const PixelCNNConfig& config);

    // Folds the class vectors into the conv biases (bias + v_class[c], bias + h_class[c]).
    // Error if c is outside [0, n_classes).
    Status set_class(int c);
    int cls() const { return cls_; }

    // Full forward: logits() becomes [H, W, L] for img.
    void forward(const uint8_t* img);
    const float* logits() const { return logits_.data(); }  // [H, W, L]

    // Cached (Fast PixelCNN) evaluation, raster order. begin_row(img, y) computes every layer's vertical
    // stack for row y, reading only rows < y of img. pixel_logits(img, y, x) then returns the [L] logits
    // of pixel (y, x), reading only img row y columns < x; call it for x = 0, 1, ..., W-1 in order
    // after begin_row(img, y) (the horizontal stack of (y, x) reads that of (y, x-1)).
    void begin_row(const uint8_t* img, size_t y);
    const float* pixel_logits(const uint8_t* img, size_t y, size_t x);

private:
    void vertical_row(size_t i, size_t y);
    void pixel(size_t i, size_t y, size_t x);

    PixelCNN model_;
    void set_level(size_t p, uint8_t level) { x_[p * Cx_] = float(level) / float(L_ - 1); }

    size_t H_, W_, C_, L_, Ch_, N_, r_, Cx_;
    int cls_ = -1;
    std::vector<float> v_bias_, h_bias_;  // [N, 2C] conv bias + class row
    // full forward
    std::vector<float> x_;                  // [H, W, Cx] the model input: level / (L-1) [, (y+1)/H, (x+1)/W]
    std::vector<float> vpre_, hpre_, tmp_;  // [H, W, 2C]
    std::vector<float> v_, h_, g_;          // [H, W, C]
    std::vector<float> a_;                  // [H, W, Ch]
    std::vector<float> logits_;             // [H, W, L]
    // cached rows
    std::vector<float> vs_;           // [N, H, W, C] every layer's v (rows < y + 1 filled)
    std::vector<float> vrow_pre_;     // [N, W, 2C] vpre of the current row
    std::vector<float> vrow_h_;       // [N, W, 2C] v2h(vpre) of the current row
    std::vector<float> hrow_;         // [N, W, C] every layer's h on the current row
    std::vector<float> px_pre_;       // [2C] one pixel's hpre
    std::vector<float> px_g_, px_t_;  // [C]
    std::vector<float> px_a_;         // [Ch]
    std::vector<float> px_logits_;    // [L]
};

}  // namespace atnat::models
