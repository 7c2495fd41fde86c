#include "core/decode/pixels.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <string>

namespace atnat::decode {

namespace {

using Clock = std::chrono::steady_clock;

// "image buffers (height 28 x width 28, 8 layers x 48 channels)": what sizes an image model's state.
std::string image_buffers(int height, int width, const std::string& model) {
    return "image buffers (height " + std::to_string(height) + " x width " + std::to_string(width) + ", " +
           model + ")";
}

}  // namespace

Result<TokenPicker> level_picker(const PixelSampling& s, size_t levels, int n_classes) {
    if (s.cls < 0 || s.cls >= n_classes) {
        return make_error("class " + std::to_string(s.cls) + " is outside [0, " +
                          std::to_string(n_classes - 1) + "] (this model has " + std::to_string(n_classes) +
                          " classes)");
    }
    PickerSettings p;
    p.sample = !s.greedy;  // greedy: the temperature is not used
    p.sampling = {s.temperature, 0, 1.f};
    p.seed = s.seed;
    p.stream = s.stream;
    return TokenPicker::create(levels, std::move(p));
}

// ---- raster ---------------------------------------------------------------------------------------------

std::span<const Choice<RasterMethod>> choices(RasterMethod) {
    static constexpr Choice<RasterMethod> kNames[] = {{RasterMethod::naive, "naive"},
                                                      {RasterMethod::cached, "cached"}};
    return kNames;
}

RasterSampler::RasterSampler(const models::PixelCNN& model, RasterMethod method, const PixelSampling& s,
                             TokenPicker picker)
    : state_(model),
      method_(method),
      s_(s),
      picker_(std::move(picker)),
      H_(model.config().height),
      W_(model.config().width),
      L_(model.config().levels),
      image_(H_ * W_, 0),
      last_logits_(L_, 0.f) {
    state_.set_class(s.cls);
}

Result<RasterSampler> RasterSampler::create(const models::PixelCNN& model, RasterMethod method,
                                            const PixelSampling& s, uint32_t max_memory) {
    const models::PixelCNNConfig& c = model.config();
    auto picker = level_picker(s, c.levels, c.n_classes);
    if (!picker) return make_error(picker.error());
    const uint64_t image = uint64_t(c.height) * uint64_t(c.width);  // image_: a level per pixel
    const std::string sizes =
        std::to_string(c.layers) + " layers x " + std::to_string(c.channels) + " channels";
    if (Status st = check_memory(
            max_memory, {{"weights", model.byte_size()},
                         {image_buffers(c.height, c.width, sizes), models::PixelCNNState::bytes(c) + image}});
        !st)
        return make_error(st.error());
    return RasterSampler(model, method, s, std::move(*picker));
}

void RasterSampler::sample_one() {
    const size_t p = next_, y = p / W_, x = p % W_;
    const float* logits;
    if (method_ == RasterMethod::naive) {
        state_.forward(image_.data());
        logits = state_.logits() + p * L_;
        ++stats_.forward_passes;
        stats_.positions += H_ * W_;
    } else {
        if (x == 0) {
            state_.begin_row(image_.data(), y);
            ++stats_.row_updates;
        }
        logits = state_.pixel_logits(image_.data(), y, x);
        ++stats_.pixel_updates;
        ++stats_.positions;
    }
    std::copy(logits, logits + L_, last_logits_.begin());
    image_[p] = static_cast<uint8_t>(picker_.pick({logits, L_}).id);
    ++next_;
}

PixelRange RasterSampler::sample(size_t max_pixels) {
    const auto t0 = Clock::now();
    const size_t begin = next_, end = std::min(H_ * W_, next_ + std::max<size_t>(1, max_pixels));
    while (next_ < end) sample_one();
    stats_.ms += to_ms(Clock::now() - t0);
    return {begin, end};
}

PixelRange RasterSampler::sample_row() {
    if (next_ == H_ * W_) return {next_, next_};
    return sample(W_ - next_ % W_);
}

Result<RasterEvent> RasterSampler::step() {
    if (done()) return make_error("pixelcnn: the image is done");
    RasterEvent ev;
    ev.index = steps_++;
    ev.range = method_ == RasterMethod::naive ? sample(1) : sample_row();
    ev.row_end = ev.range.end % W_ == 0;
    ev.done = done();
    return ev;
}

PixelResult RasterSampler::result() const {
    return {"pixelcnn", name_of(method_), H_, W_, L_, image_, stats_, cancelled_};
}

Result<PixelResult> run_raster(const models::PixelCNN& model, RasterMethod method, const PixelSampling& s) {
    return run_to_end(RasterSampler::create(model, method, s));
}

// ---- mask-predict ---------------------------------------------------------------------------------------

std::vector<size_t> mask_schedule(int K, size_t P) {
    std::vector<size_t> n(size_t(K) + 1);
    n[0] = P;
    for (int k = 1; k < K; ++k) {
        n[k] = static_cast<size_t>(
            std::floor(double(P) * std::cos(std::numbers::pi / 2 * double(k) / double(K))));
    }
    n[K] = 0;
    return n;
}

MaskPredictSampler::MaskPredictSampler(const models::PixNAT& model, int steps, const PixelSampling& s,
                                       float gumbel_temp, TokenPicker picker)
    : state_(model),
      s_(s),
      gumbel_temp_(gumbel_temp),
      picker_(std::move(picker)),
      H_(model.config().height),
      W_(model.config().width),
      P_(H_ * W_),
      L_(model.config().levels),
      K_(steps),
      sched_(mask_schedule(steps, P_)),
      tokens_(P_, uint8_t(L_)),
      revealed_at_(P_, 0),
      choice_(P_, 0),
      conf_(P_, 0.0),
      order_(P_, 0) {
    state_.set_class(s.cls);
}

Result<MaskPredictSampler> MaskPredictSampler::create(const models::PixNAT& model, int steps,
                                                      const PixelSampling& s, std::optional<float> gumbel,
                                                      uint32_t max_memory) {
    const float gumbel_temp = gumbel.value_or(model.config().default_gumbel_temp);
    if (steps < 1 || steps > kMaxMaskSteps) {
        return make_error("steps " + std::to_string(steps) + " is outside [1, " +
                          std::to_string(kMaxMaskSteps) + "]");
    }
    if (!std::isfinite(gumbel_temp) || gumbel_temp < 0.f || gumbel_temp > 100.f) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "gumbel temperature %g must be a number in [0, 100]",
                      double(gumbel_temp));
        return make_error(buf);
    }
    const models::PixNATConfig& c = model.config();
    auto picker = level_picker(s, c.levels, c.n_classes);
    if (!picker) return make_error(picker.error());
    // tokens_, revealed_at_, choice_ (a byte each), conf_ (a double), order_ (a uint32) per pixel
    const uint64_t per_pixel = 3 + sizeof(double) + sizeof(uint32_t);
    const uint64_t pixels = uint64_t(c.height) * uint64_t(c.width);
    if (Status st = check_memory(max_memory,
                                 {{"weights", model.byte_size()},
                                  {image_buffers(c.height, c.width, std::to_string(c.channels) + " channels"),
                                   models::PixNATState::bytes(c) + pixels * per_pixel}});
        !st)
        return make_error(st.error());
    return MaskPredictSampler(model, steps, s, gumbel_temp, std::move(*picker));
}

// model.py sample(), one iteration of its loop.
Result<MaskEvent> MaskPredictSampler::step() {
    if (done()) return make_error("pixnat: the image is done");
    const auto t0 = Clock::now();
    const int k = ++k_;
    state_.forward(tokens_.data());
    ++stats_.forward_passes;
    stats_.positions += P_;
    const float* logits = state_.logits();
    size_t m = 0;  // the masked pixels, raster order
    for (size_t p = 0; p < P_; ++p) {
        if (tokens_[p] == L_) order_[m++] = uint32_t(p);
    }
    for (size_t i = 0; i < m; ++i) {
        const size_t p = order_[i];
        const float* lg = logits + p * L_;
        const size_t c = size_t(picker_.pick({lg, L_}).id);
        choice_[p] = uint8_t(c);
        // conf = log_softmax(logits)[c] at temperature 1, in double as model.py does
        double mx = lg[0];
        for (size_t l = 1; l < L_; ++l) mx = std::max(mx, double(lg[l]));
        double sum = 0.0;
        for (size_t l = 0; l < L_; ++l) sum += std::exp(double(lg[l]) - mx);
        conf_[p] = (double(lg[c]) - mx) - std::log(sum);
    }
    if (gumbel_temp_ > 0.f && k < K_) {
        const double scale = double(gumbel_temp_) * (1.0 - double(k) / double(K_));
        for (size_t i = 0; i < m; ++i) {
            const double u = std::clamp(double(picker_.rng().uniform()), 1e-20, 1.0 - 1e-12);
            conf_[order_[i]] += scale * -std::log(-std::log(u));
        }
    }
    for (size_t i = 0; i < m; ++i) {
        if (std::isnan(conf_[order_[i]])) conf_[order_[i]] = -std::numeric_limits<double>::infinity();
    }
    // the most confident first, ties: lower raster index first (a total order, so std::sort is deterministic)
    std::sort(order_.begin(), order_.begin() + m,
              [&](uint32_t a, uint32_t b) { return conf_[a] > conf_[b] || (conf_[a] == conf_[b] && a < b); });
    const size_t n_keep = std::min(m, sched_[k - 1] - sched_[k]);
    for (size_t i = 0; i < n_keep; ++i) {
        tokens_[order_[i]] = choice_[order_[i]];
        revealed_at_[order_[i]] = uint8_t(k);
    }
    stats_.ms += to_ms(Clock::now() - t0);
    return MaskEvent{size_t(k - 1), {k, n_keep, m - n_keep}, done()};
}

PixelResult MaskPredictSampler::result() const {
    return {"pixnat", "mask-predict", H_, W_, L_, tokens_, stats_, cancelled_};
}

Result<PixelResult> run_mask_predict(const models::PixNAT& model, int steps, const PixelSampling& s,
                                     std::optional<float> gumbel_temp) {
    return run_to_end(MaskPredictSampler::create(model, steps, s, gumbel_temp));
}

}  // namespace atnat::decode
