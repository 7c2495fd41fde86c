// Pixel loops: the raster-order samplers of the autoregressive PixelCNN (naive and cached) and the K-step
// mask-predict sampler of the parallel pixnat. Each keeps the session contract of session.hpp (step() ->
// event, cancel(), result()), like the text sessions, so one loop drives them: the CLI's, and the Web
// Worker's, which paints progressively, yields between steps and cancels; run_*() step to completion.
//
// The split with core/models: a model file owns which activations a pixel invalidates (PixelCNN's
// begin_row / pixel_logits cache is architecture: its vertical and horizontal stacks); this file owns the
// order of pixels, the choice of a level from logits, the RNG discipline, the mask schedule and the
// counting. It calls only the models' public forward-style functions.
//
// Choosing a level: the text decoders' token picker (picker.hpp) over the levels: greedy = argmax (first on
// ties); otherwise p = softmax(logits / temperature) and the level is the first l with u * sum(p) < p[0] +
// ... + p[l] (inverse CDF in level order; on rounding, the last level with p > 0).
// RNG discipline (the picker's Pcg32, seeded with (PixelSampling::seed, ::stream)):
//   raster samplers: one uniform per pixel, in raster order, none when greedy.
//   mask-predict:    per step, one uniform per still-masked pixel in raster order for its level (none when
//                    greedy), then, if gumbel_temp > 0 and k < K, one uniform per still-masked pixel in
//                    raster order for its Gumbel noise.
//
// Identical floats make identical samples: PixelCNN's cached logits equal its full-forward logits bit for
// bit, so the naive and the cached sampler give the same image for the same seed (tests check it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/decode/budget.hpp"
#include "core/decode/fields.hpp"
#include "core/decode/picker.hpp"
#include "core/decode/session.hpp"
#include "core/models/pixelcnn.hpp"
#include "core/models/pixnat.hpp"
#include "core/status.hpp"

namespace atnat::decode {

struct PixelSampling {
    int cls = 0;              // class label, 0..n_classes-1
    uint64_t seed = 1;        // Pcg32 seed
    uint64_t stream = 0;      // Pcg32 stream: image i of a batch uses stream i (image 0 = the single sample)
    float temperature = 1.f;  // > 0 (and <= 100): softmax(logits / temperature)
    bool greedy = false;      // argmax instead of a draw (no uniforms used)
};

// The level picker of these settings: an error for a class outside [0, n_classes) or, when sampling, a
// temperature outside [kMinTemperature, kMaxTemperature] (sampling.hpp).
Result<TokenPicker> level_picker(const PixelSampling& s, size_t levels, int n_classes);

struct PixelStats {
    uint64_t forward_passes = 0;  // full-image forwards: naive one per pixel, mask-predict one per step
    uint64_t row_updates = 0;     // cached: vertical-stack rows computed (one per image row)
    uint64_t pixel_updates = 0;   // cached: single-pixel horizontal stack + head evaluations (one per pixel)
    uint64_t positions = 0;  // pixel positions the network evaluated: forward_passes * H * W + pixel_updates
    double ms = 0;           // wall time spent inside step()
};

// The summary of an image session (result()).
struct PixelResult {
    const char* arch = "";    // "pixelcnn", "pixnat"
    const char* method = "";  // "naive", "cached", "mask-predict"
    size_t height = 0, width = 0, levels = 0;
    std::vector<uint8_t> image;  // [H * W] levels; raster: pixels not sampled yet are 0; mask-predict: masked
                                 // pixels hold `levels`
    PixelStats stats;
    bool cancelled = false;
};

// ---- PixelCNN: raster order ----------------------------------------------------------------------------

enum class RasterMethod {
    naive,   // a full forward (all H*W positions) for every pixel: H*W forwards per image
    cached,  // Fast PixelCNN: per row the vertical stacks, per pixel the horizontal stacks + head
};
std::span<const Choice<RasterMethod>> choices(RasterMethod);  // "naive", "cached"

// [begin, end): raster indices (y * W + x) of the pixels one step wrote.
struct PixelRange {
    size_t begin = 0;
    size_t end = 0;
};

struct RasterEvent {
    size_t index = 0;      // step number, 0-based
    PixelRange range;      // the pixels this step wrote
    bool row_end = false;  // the step completed an image row
    bool done = false;
};

class RasterSampler {
public:
    // Allocates every buffer (model state, image, scratch) once. Errors: bad class or temperature, weights
    // and buffers over max_memory MiB (budget.hpp).
    static Result<RasterSampler> create(const models::PixelCNN& model, RasterMethod method,
                                        const PixelSampling& s, uint32_t max_memory = kDefaultMaxMemoryMiB);

    bool done() const { return cancelled_ || next_ == H_ * W_; }
    // One step of the session: cached, to the end of the current row (~W pixel updates); naive, one pixel
    // (a full forward pass), so a cancel can land between passes. An error once done.
    Result<RasterEvent> step();
    void cancel() { cancelled_ = true; }
    PixelResult result() const;

    // Samples the next max_pixels pixels (at least 1, at most to the end of the image) in raster order.
    // A finished sampler returns an empty range.
    PixelRange sample(size_t max_pixels = 1);
    // Samples to the end of the current row (a whole row for a fresh row).
    PixelRange sample_row();

    size_t next_pixel() const { return next_; }             // raster index of the next pixel to sample
    const uint8_t* image() const { return image_.data(); }  // [H * W] levels; pixels >= next_pixel() are 0
    const std::vector<uint8_t>& image_vector() const { return image_; }
    std::span<const uint8_t> pixels() const { return image_; }        // the image so far (session view)
    const float* last_logits() const { return last_logits_.data(); }  // [L] of the last sampled pixel
    const PixelStats& stats() const { return stats_; }
    RasterMethod method() const { return method_; }
    const PixelSampling& sampling() const { return s_; }
    size_t height() const { return H_; }
    size_t width() const { return W_; }
    size_t levels() const { return L_; }

private:
    RasterSampler(const models::PixelCNN& model, RasterMethod method, const PixelSampling& s,
                  TokenPicker picker);
    void sample_one();

    models::PixelCNNState state_;
    RasterMethod method_;
    PixelSampling s_;
    TokenPicker picker_;
    size_t H_, W_, L_;
    size_t next_ = 0, steps_ = 0;
    bool cancelled_ = false;
    std::vector<uint8_t> image_;      // [H * W]
    std::vector<float> last_logits_;  // [L]
    PixelStats stats_;
};

Result<PixelResult> run_raster(const models::PixelCNN& model, RasterMethod method, const PixelSampling& s);

// ---- pixnat: K-step mask-predict (MaskGIT) ----------------------------------------------------------------

inline constexpr int kMaxMaskSteps = 16;

// n[k] = pixels still masked after step k, k = 0..K: n[0] = P, n[k] = floor(P * cos(pi/2 * k/K)), n[K] = 0
// (models/pixnat/model.py mask_schedule, in double).
std::vector<size_t> mask_schedule(int K, size_t P);

struct MaskStep {
    int step = 0;             // 1..K: the step just taken
    size_t revealed = 0;      // pixels unmasked by this step
    size_t still_masked = 0;  // n[step]
};

struct MaskEvent {
    size_t index = 0;  // step number, 0-based (pass.step - 1)
    MaskStep pass;
    bool done = false;
};

class MaskPredictSampler {
public:
    // gumbel_temp: the confidence noise scale (model.py sample's gumbel_temp); nullopt = the model's
    // config default_gumbel_temp (0 if absent). Errors: steps outside [1, kMaxMaskSteps], gumbel_temp not a
    // number in [0, 100], a bad class or temperature, weights and buffers over max_memory MiB (budget.hpp).
    static Result<MaskPredictSampler> create(const models::PixNAT& model, int steps, const PixelSampling& s,
                                             std::optional<float> gumbel_temp = std::nullopt,
                                             uint32_t max_memory = kDefaultMaxMemoryMiB);

    bool done() const { return cancelled_ || k_ == K_; }
    // One parallel pass: a forward over the current tokens, a level and a confidence for every masked pixel,
    // the n[k-1] - n[k] most confident of them revealed (ties: lower raster index first). An error once done.
    Result<MaskEvent> step();
    void cancel() { cancelled_ = true; }
    PixelResult result() const;

    int steps_taken() const { return k_; }
    int steps() const { return K_; }
    uint8_t mask_token() const { return uint8_t(L_); }        // == levels
    const uint8_t* tokens() const { return tokens_.data(); }  // [H * W]: a level, or mask_token() if masked
    const std::vector<uint8_t>& tokens_vector() const { return tokens_; }
    std::span<const uint8_t> pixels() const { return tokens_; }  // the image so far (session view)
    const uint8_t* revealed_at() const {
        return revealed_at_.data();
    }  // [H * W]: step (1..K) that revealed it, 0 if masked
    const std::vector<size_t>& schedule() const { return sched_; }
    const PixelStats& stats() const { return stats_; }
    const PixelSampling& sampling() const { return s_; }
    float gumbel_temp() const { return gumbel_temp_; }
    size_t height() const { return H_; }
    size_t width() const { return W_; }
    size_t levels() const { return L_; }

private:
    MaskPredictSampler(const models::PixNAT& model, int steps, const PixelSampling& s, float gumbel_temp,
                       TokenPicker picker);

    models::PixNATState state_;
    PixelSampling s_;
    float gumbel_temp_;
    TokenPicker picker_;
    size_t H_, W_, P_, L_;
    int K_, k_ = 0;
    bool cancelled_ = false;
    std::vector<size_t> sched_;         // [K + 1]
    std::vector<uint8_t> tokens_;       // [P]
    std::vector<uint8_t> revealed_at_;  // [P]
    std::vector<uint8_t> choice_;       // [P]
    std::vector<double> conf_;          // [P]
    std::vector<uint32_t> order_;       // [P] masked pixels, sorted by confidence
    PixelStats stats_;
};

Result<PixelResult> run_mask_predict(const models::PixNAT& model, int steps, const PixelSampling& s,
                                     std::optional<float> gumbel_temp = std::nullopt);

// ---- the image request ---------------------------------------------------------------------------------

// One image from either model (the fields a model does not use are ignored: method for pixnat, steps and
// gumbel for PixelCNN). The stream is the caller's (image i of a batch), not a request field.
struct ImageRequest : MemoryLimit {
    PixelSampling sampling;
    RasterMethod method = RasterMethod::cached;  // PixelCNN
    int steps = 8;                               // pixnat: K
    std::optional<float> gumbel;                 // pixnat: default the model's default_gumbel_temp

    static constexpr const char* kName = "image request";
    template <class Self, class Visit>
    static void fields(Self& r, Visit&& visit) {
        visit(FieldSpec{"class", "C", "class label, 0 .. the model's classes - 1"}, r.sampling.cls);
        visit(FieldSpec{"seed", "N", "the Pcg32 seed", 0}, r.sampling.seed);
        visit(FieldSpec{"temperature", "T", "softmax temperature in [0.01, 100] (not used when greedy)"},
              r.sampling.temperature);
        visit(FieldSpec{"greedy", "", "argmax instead of sampling"}, r.sampling.greedy);
        visit(FieldSpec{"method", "M",
                        "pixelcnn: naive (a full forward pass per pixel) or cached (Fast PixelCNN)"},
              r.method);
        visit(FieldSpec{"steps", "K", "pixnat: parallel passes", 1, kMaxMaskSteps}, r.steps);
        visit(FieldSpec{"gumbel", "G", "pixnat: confidence noise scale in [0, 100] (default: the model's)"},
              r.gumbel);
        MemoryLimit::fields(r, visit);
    }
};
inline Status check(const ImageRequest&) {
    return {};  // the samplers check the class, temperature, steps and gumbel against the model
}

}  // namespace atnat::decode
