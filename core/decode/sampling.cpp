#include "core/decode/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/ops/ops.hpp"

namespace atnat::decode {

std::string format_number(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
}

Status check(const SamplingParams& p) {
    if (!(p.temperature >= kMinTemperature && p.temperature <= kMaxTemperature)) {
        return Status::failure("temperature = " + format_number(p.temperature) + " is outside [" +
                               format_number(kMinTemperature) + ", " + format_number(kMaxTemperature) +
                               "] for sampling (for 0, use greedy decoding)");
    }
    if (p.top_k < 0) return Status::failure("top_k = " + std::to_string(p.top_k) + " must be >= 0 (0 = off)");
    if (!(p.top_p > 0.f && p.top_p <= 1.f)) {
        return Status::failure("top_p = " + format_number(p.top_p) + " is outside (0, 1]");
    }
    return Status::ok_status();
}

Status check(const SamplingParams& p, bool sampling) {
    SamplingParams checked = p;
    if (!sampling) checked.temperature = 1.f;  // not used
    return check(checked);
}

Status check_repetition_penalty(float penalty) {
    if (!(penalty >= kMinRepetitionPenalty && penalty <= kMaxRepetitionPenalty)) {
        return Status::failure("repetition_penalty = " + format_number(penalty) + " is outside [" +
                               format_number(kMinRepetitionPenalty) + ", " +
                               format_number(kMaxRepetitionPenalty) + "] (1 = off)");
    }
    return Status::ok_status();
}

void apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> history, float penalty,
                              std::span<uint8_t> seen) {
    if (penalty == 1.f) return;
    for (int32_t id : history) {
        if (id < 0 || size_t(id) >= logits.size() || seen[size_t(id)]) continue;
        seen[size_t(id)] = 1;
        logits[size_t(id)] = repetition_penalised(logits[size_t(id)], true, penalty);
    }
    for (int32_t id : history) {
        if (id >= 0 && size_t(id) < seen.size()) seen[size_t(id)] = 0;
    }
}

void sampling_distribution(std::span<float> x, const SamplingParams& params, std::span<int32_t> order,
                           std::span<float> values) {
    const size_t n = x.size();
    if (params.temperature != 1.f) {
        for (float& v : x) v /= params.temperature;
    }
    if (params.top_k > 0 && size_t(params.top_k) < n) {
        const size_t k = size_t(params.top_k);
        ops::top_k(x.data(), n, k, order.data(), values.data());
        const float kth = values[k - 1];
        for (float& v : x) {
            if (v < kth) v = -std::numeric_limits<float>::infinity();
        }
    }
    ops::softmax(x.data(), n, nullptr);
    if (params.top_p < 1.f) {
        // Sort by probability, descending; ties by index so the kept set is the same with any std::sort.
        size_t m = 0;
        for (size_t i = 0; i < n; ++i) {
            if (x[i] > 0.f) order[m++] = int32_t(i);
        }
        std::sort(order.begin(), order.begin() + std::ptrdiff_t(m), [&](int32_t a, int32_t b) {
            return x[size_t(a)] > x[size_t(b)] || (x[size_t(a)] == x[size_t(b)] && a < b);
        });
        float mass = 0.f, kept = 0.f;
        for (size_t r = 0; r < m; ++r) {
            float& p = x[size_t(order[r])];
            if (mass >= params.top_p) {  // the tokens before already reach top_p
                p = 0.f;
            } else {
                mass += p;
                kept += p;
            }
        }
        if (kept > 0.f) {
            for (size_t r = 0; r < m; ++r) x[size_t(order[r])] /= kept;
        }
    }
}

size_t draw(std::span<const float> probs, float u) {
    float total = 0.f;
    for (float p : probs) total += p;
    const float target = u * total;
    float cum = 0.f;
    size_t last = 0;
    for (size_t i = 0; i < probs.size(); ++i) {
        if (probs[i] <= 0.f) continue;
        cum += probs[i];
        last = i;
        if (target < cum) return i;
    }
    return last;
}

}  // namespace atnat::decode
