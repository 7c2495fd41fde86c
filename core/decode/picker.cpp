#include "core/decode/picker.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/ops/ops.hpp"

namespace atnat::decode {

Result<TokenPicker> TokenPicker::create(size_t vocab, PickerSettings s) {
    if (Status st = check_repetition_penalty(s.repetition_penalty); !st) return make_error(st.error());
    if (s.sample) {
        if (Status st = check(s.sampling); !st) return make_error(st.error());
    }
    auto outside = [&](int32_t id) { return id < 0 || size_t(id) >= vocab; };
    if (s.eos != -1 && outside(s.eos))
        return make_error("generate: eos id " + std::to_string(s.eos) + " is outside the vocabulary");
    for (int32_t id : s.banned) {
        if (outside(id)) return make_error("banned id " + std::to_string(id) + " is outside the vocabulary");
    }
    for (const auto& [pos, id] : s.forced) {
        if (outside(id))
            return make_error("forced token id " + std::to_string(id) + " is outside the vocabulary");
    }
    s.top_n = std::min(s.top_n, vocab);
    TokenPicker p;
    p.rng_ = Pcg32(s.seed, s.stream);
    p.settings_ = std::move(s);
    p.vocab_ = vocab;
    p.x_.resize(vocab);
    p.values_.resize(vocab);
    p.order_.resize(vocab);
    p.seen_.assign(vocab, 0);
    return p;
}

std::optional<int32_t> TokenPicker::forced_at(size_t position) const {
    const auto it = settings_.forced.find(position);
    if (it == settings_.forced.end()) return std::nullopt;
    return it->second;
}

bool TokenPicker::eos_blocked(size_t position) const {
    return settings_.eos >= 0 && settings_.forced.upper_bound(position) != settings_.forced.end();
}

// Step 1 into x_; returns step 2's normaliser, so that the picked token's log-probability is computed alone
// (one pass over the vocabulary fewer, and no copy, than writing every log-probability out).
ops::LogNormaliser TokenPicker::penalise(std::span<const float> logits, std::span<const int32_t> history) {
    std::copy(logits.begin(), logits.end(), x_.begin());
    apply_repetition_penalty(x_, history, settings_.repetition_penalty, seen_);
    return ops::log_normaliser(x_.data(), vocab_);
}

Pick TokenPicker::pick(std::span<const float> logits, size_t position, std::span<const int32_t> history) {
    const bool draws = settings_.sample && !forced_at(position);
    return pick_with(draws ? rng_.uniform() : 0.f, logits, position, history);
}

Pick TokenPicker::pick_with(float u, std::span<const float> logits, size_t position,
                            std::span<const int32_t> history) {
    const ops::LogNormaliser z = penalise(logits, history);
    for (int32_t id : settings_.banned) x_[size_t(id)] = -std::numeric_limits<float>::infinity();
    if (eos_blocked(position)) x_[size_t(settings_.eos)] = std::numeric_limits<float>::lowest();
    const std::optional<int32_t> forced = forced_at(position);
    int32_t id = 0;
    if (!settings_.sample) {
        id = forced ? *forced : int32_t(ops::argmax(x_.data(), vocab_));
        ops::softmax(x_.data(), vocab_, nullptr);
    } else {
        sampling_distribution(x_, settings_.sampling, order_, values_);
        id = forced ? *forced : int32_t(draw(x_, u));
    }
    // step 2 for the picked token: its penalised logit (x_ has since been banned and normalised), bit for bit
    // log_softmax of the penalised logits at id
    const float penalty = settings_.repetition_penalty;
    const bool seen = penalty != 1.f && std::find(history.begin(), history.end(), id) != history.end();
    const float logit = repetition_penalised(logits[size_t(id)], seen, penalty);
    return {id, x_[size_t(id)], double((logit - z.max) - z.log_sum), forced.has_value()};
}

TokenRecord TokenPicker::record(const io::Tokenizer& tokenizer, const Pick& pick) {
    return make_record(tokenizer, pick.id, x_, pick.forced, /*log_domain=*/false);
}

void TokenPicker::log_probs(std::span<const float> logits, size_t position, std::span<const int32_t> history,
                            std::span<float> out) {
    std::copy(logits.begin(), logits.end(), out.begin());
    apply_repetition_penalty(out, history, settings_.repetition_penalty, seen_);
    for (int32_t id : settings_.banned) out[size_t(id)] = -std::numeric_limits<float>::infinity();
    ops::log_softmax(out.data(), vocab_);
    if (eos_blocked(position)) out[size_t(settings_.eos)] = std::numeric_limits<float>::lowest();
}

TokenRecord TokenPicker::record(const io::Tokenizer& tokenizer, int32_t id, std::span<const float> log_probs,
                                bool forced) {
    return make_record(tokenizer, id, log_probs, forced, /*log_domain=*/true);
}

TokenRecord TokenPicker::given(const io::Tokenizer& tokenizer, std::span<const float> logits, int32_t id) {
    std::copy(logits.begin(), logits.end(), x_.begin());
    ops::softmax(x_.data(), vocab_, nullptr);
    return make_record(tokenizer, id, x_, /*forced=*/true, /*log_domain=*/false);
}

TokenRecord TokenPicker::make_record(const io::Tokenizer& tok, int32_t id, std::span<const float> dist,
                                     bool forced, bool log_domain) {
    TokenRecord r;
    r.id = id;
    r.text = tok.token_text(id);
    r.prob = log_domain ? std::exp(dist[size_t(id)]) : dist[size_t(id)];
    r.forced = forced;
    const size_t n = settings_.top_n;
    if (n > 0) {
        ops::top_k(dist.data(), dist.size(), n, order_.data(), values_.data());
        r.top.reserve(n);
        for (size_t i = 0; i < n; ++i)
            r.top.push_back(
                {order_[i], tok.token_text(order_[i]), log_domain ? std::exp(values_[i]) : values_[i]});
    }
    return r;
}

}  // namespace atnat::decode
