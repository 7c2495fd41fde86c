// Logit processing shared by the strategies, in the order Hugging Face's generate applies it:
// repetition penalty -> temperature -> top-k -> softmax -> top-p -> draw. All functions work in place on
// caller-owned buffers of vocab size and allocate nothing. Exponentials go through ops::softmax /
// ops::log_softmax (xsimd, the same arithmetic natively and in wasm), so a seed gives the same tokens on
// both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/decode/fields.hpp"
#include "core/status.hpp"

namespace atnat::decode {

// CTRL (Keskar et al. 2019): for every distinct id in `history`, logit > 0 ? logit / penalty : logit *
// penalty. `seen` is scratch of vocab size, all zero on entry and left all zero. Ids outside the vocabulary
// are ignored.
// The same for one logit: `logit` of a token that is (`seen`) or is not in the history.
inline float repetition_penalised(float logit, bool seen, float penalty) {
    if (!seen || penalty == 1.f) return logit;
    return logit > 0.f ? logit / penalty : logit * penalty;
}
void apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> history, float penalty,
                              std::span<uint8_t> seen);

// The sampling settings, and their rows in every request that samples (fields.hpp).
struct SamplingParams {
    float temperature = 1.f;  // > 0
    int32_t top_k = 0;        // 0 = off; keeps every token whose logit >= the k-th largest (ties kept)
    float top_p = 1.f;  // (0, 1]; 1 = off; keeps the smallest most-probable set whose mass reaches top_p

    template <class Self, class Visit>
    static void fields(Self& r, Visit&& visit) {
        visit(FieldSpec{"temperature", "T", "sample: softmax temperature in [0.01, 100]"}, r.temperature);
        visit(FieldSpec{"top_k", "K", "sample: keep the K most probable tokens (0 = off)", 0}, r.top_k);
        visit(FieldSpec{"top_p", "P",
                        "sample: nucleus, keep the smallest set with mass >= P, in (0, 1] (1 = off)"},
              r.top_p);
    }
};

// Where the arithmetic means something. Below kMinTemperature, logits / T overflow float32 (T = 1e-45 gave
// inf, NaN, then the vocabulary's last token 126 times); a penalty outside the range does the same through
// logit / penalty. Sampling that cold is greedy decoding anyway.
constexpr float kMinTemperature = 0.01f, kMaxTemperature = 100.f;
constexpr float kMinRepetitionPenalty = 0.1f, kMaxRepetitionPenalty = 10.f;

// The one check of sampling settings, used by every sampler (AT and NAT text, pixels) and by the request
// readers: temperature in [kMinTemperature, kMaxTemperature], top_k >= 0, top_p in (0, 1].
Status check(const SamplingParams& params);
// A request's settings: the temperature only when it samples (a greedy request may carry 0), top_k and top_p
// always.
Status check(const SamplingParams& params, bool sampling);
Status check_repetition_penalty(float penalty);  // [kMinRepetitionPenalty, kMaxRepetitionPenalty]; 1 = off

// A float for messages: shortest "%g" spelling ("0.8", "1e-45", "nan").
std::string format_number(double x);

// x: logits in, the sampling distribution out (filtered tokens exactly 0, the rest renormalised to sum 1).
// order, values: scratch of vocab size.
void sampling_distribution(std::span<float> x, const SamplingParams& params, std::span<int32_t> order,
                           std::span<float> values);

// Inverse-CDF draw: the first index whose running sum (in index order) exceeds u · Σp; u in [0, 1).
// Never returns a zero-probability index (falls back to the last non-zero one on rounding).
size_t draw(std::span<const float> probs, float u);

}  // namespace atnat::decode
