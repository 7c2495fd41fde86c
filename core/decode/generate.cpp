#include "core/decode/generate.hpp"

#include <algorithm>
#include <cmath>

#include "core/ops/ops.hpp"

namespace atnat::decode {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

PickerSettings picker_settings(const DecodeOptions& o) {
    PickerSettings s;
    s.sample = o.strategy == Strategy::sample;
    s.sampling = o;
    s.repetition_penalty = o.repetition_penalty;
    s.forced = o.forced;
    s.eos = o.eos;
    s.banned = o.banned;
    s.top_n = o.top_n;
    s.seed = o.seed;
    return s;
}

std::span<const Choice<Strategy>> choices(Strategy) {
    static constexpr Choice<Strategy> kNames[] = {
        {Strategy::greedy, "greedy"}, {Strategy::sample, "sample"}, {Strategy::beam, "beam"}};
    return kNames;
}

Result<GenerationSession> GenerationSession::create(std::unique_ptr<LanguageModel> model,
                                                    std::shared_ptr<const io::Tokenizer> tokenizer,
                                                    std::vector<int32_t> prompt, DecodeOptions o,
                                                    PromptInfo info) {
    if (!model || !tokenizer) return make_error("generate: no model or no tokenizer");
    const size_t V = model->vocab_size(), C = model->context();
    if (prompt.empty())
        return make_error("generate: the prompt has no tokens (a model needs at least one, e.g. <bos>)");
    if (prompt.size() >= C) {
        return make_error("generate: the prompt has " + std::to_string(prompt.size()) +
                          " tokens, the context holds " + std::to_string(C) + ": no room to generate");
    }
    for (int32_t t : prompt) {
        if (t < 0 || size_t(t) >= V)
            return make_error("generate: prompt token " + std::to_string(t) + " is outside the vocabulary");
    }
    if (o.max_tokens < 1 || o.max_tokens > C) {
        return make_error("max_tokens = " + std::to_string(o.max_tokens) + " is outside [1, " +
                          std::to_string(C) + "] (the model's context)");
    }
    auto picker = TokenPicker::create(V, picker_settings(o));  // sampling settings, eos, forced ids
    if (!picker) return make_error(picker.error());
    if (o.strategy == Strategy::beam) {
        if (o.beam_width < 1 || o.beam_width > 8) {
            return make_error("beam = " + std::to_string(o.beam_width) + " is outside [1, 8]");
        }
        if (!std::isfinite(o.length_penalty)) return make_error("length_penalty must be a finite number");
    }
    for (const auto& [pos, tok] : o.forced) {
        if (pos < prompt.size() || pos >= C) {
            return make_error("forced token at sequence position " + std::to_string(pos) +
                              " is outside the positions to generate [" + std::to_string(prompt.size()) +
                              ", " + std::to_string(C) + ")");
        }
    }
    o.top_n = std::min(o.top_n, V);

    GenerationSession s;
    s.vocab_ = V;
    s.context_ = C;
    s.max_len_ = std::min(o.max_tokens, C - prompt.size());
    s.models_.push_back(std::move(model));
    const size_t width = o.strategy == Strategy::beam ? size_t(o.beam_width) : 1;
    for (size_t i = 1; i < width; ++i) s.models_.push_back(s.models_[0]->fork());
    s.tokenizer_ = std::move(tokenizer);
    s.picker_ = std::move(*picker);
    if (o.strategy == Strategy::beam) {
        s.values_.resize(V);
        s.order_.resize(V);
        s.beam_logprobs_.resize(width * V);
    }
    s.history_.reserve(C);
    s.generated_.reserve(C);
    s.result_.strategy = o.strategy;
    s.result_.prompt_tokens = prompt.size();
    s.result_.seed = o.seed;
    s.result_.unknown_chars = info.unknown_chars;
    s.result_.text = info.text;
    s.prompt_ = std::move(prompt);
    s.options_ = std::move(o);
    s.info_ = std::move(info);
    return s;
}

Result<StepEvent> GenerationSession::step() {
    if (done())
        return make_error(std::string("generate: the session is done (") + name_of(result_.stop_reason) +
                          ")");
    const auto t0 = Clock::now();
    const bool first = !started_;
    auto ev = options_.strategy == Strategy::beam ? step_beam() : step_single();
    busy_ += Clock::now() - t0;
    result_.ms = to_ms(busy_);
    if (first) result_.ttft_ms = result_.ms;
    const size_t n = result_.tokens.size();
    result_.tokens_per_s = result_.ms > 0 ? double(n) / (result_.ms / 1000.0) : 0.0;
    const double after_first = result_.ms - result_.ttft_ms;
    result_.decode_tokens_per_s = (n > 1 && after_first > 0) ? double(n - 1) / (after_first / 1000.0) : 0.0;
    if (ev) ev->done = done();
    return ev;
}

void GenerationSession::cancel() {
    if (done()) return;
    if (options_.strategy == Strategy::beam && started_) {
        list_candidates();
        if (const Hypothesis* best = best_beam()) set_generated(best->records, best->logprob);
    }
    finish(StopReason::cancelled);
}

Result<StepEvent> GenerationSession::fail(std::string message) {
    result_.error = message;
    finish(StopReason::error);
    return make_error(std::move(message));
}

void GenerationSession::finish(StopReason reason) {
    result_.stop_reason = reason;
}

// Feeds the model what it has not seen: the prompt on the first call, else the last generated token.
Result<std::span<const float>> GenerationSession::advance(LanguageModel& model,
                                                          const std::vector<int32_t>& generated) {
    ++result_.forward_passes;
    if (generated.empty()) {
        const auto t0 = Clock::now();
        auto r = model.prefill(prompt_);
        result_.prefill_ms = to_ms(Clock::now() - t0);
        return r;
    }
    return model.step(generated.back());
}

void GenerationSession::set_generated(const std::vector<TokenRecord>& records, double logprob) {
    result_.tokens = records;
    std::vector<int32_t> ids;
    for (const TokenRecord& r : records) ids.push_back(r.id);
    result_.completion = tokenizer_->decode(ids);
    result_.text = info_.text + result_.completion;
    result_.logprob = logprob;
    result_.score = normalised(logprob, records.size());
}

double GenerationSession::normalised(double logprob, size_t length) const {
    if (length == 0) return 0.0;
    const double alpha = options_.strategy == Strategy::beam ? options_.length_penalty : 1.0;
    return alpha == 1.0 ? logprob / double(length) : logprob / std::pow(double(length), alpha);
}

// ---------------------------------------------------------------------------------- greedy and sampling
Result<StepEvent> GenerationSession::step_single() {
    auto logits = advance(*models_[0], generated_);
    if (!logits) return fail(logits.error());
    if (!started_) history_ = prompt_;
    started_ = true;
    const Pick pick = picker_.pick(*logits, prompt_.size() + generated_.size(), history_);
    const int32_t id = pick.id;
    StepEvent ev;
    ev.kind = StepEvent::Kind::token;
    ev.index = generated_.size();
    ev.token = picker_.record(*tokenizer_, pick);
    generated_.push_back(id);
    history_.push_back(id);
    result_.tokens.push_back(ev.token);
    result_.logprob += pick.logprob;
    result_.score = normalised(result_.logprob, generated_.size());
    result_.completion = tokenizer_->decode(generated_);
    result_.text = info_.text + result_.completion;
    if (id == options_.eos) {
        finish(StopReason::eos);
    } else if (generated_.size() >= options_.max_tokens) {
        finish(StopReason::max_tokens);
    } else if (prompt_.size() + generated_.size() >= context_) {
        finish(StopReason::context_full);
    }
    return ev;
}

// --------------------------------------------------------------------------------------------- beam
double GenerationSession::best_possible(const Hypothesis& h) const {
    const double alpha = options_.length_penalty;
    const double len = alpha > 0 ? double(max_len_) : double(h.tokens.size() + 1);
    return h.logprob / std::pow(len, alpha);
}

const GenerationSession::Hypothesis* GenerationSession::best_beam() const {
    const Hypothesis* best = nullptr;
    double best_score = 0.0;
    for (const auto* list : {&finished_, &live_}) {
        for (const Hypothesis& h : *list) {
            const double s = normalised(h.logprob, h.tokens.size());
            if (!best || s > best_score) {
                best = &h;
                best_score = s;
            }
        }
    }
    return best;
}

void GenerationSession::list_candidates() {
    result_.candidates.clear();
    for (const auto* list : {&finished_, &live_}) {
        for (const Hypothesis& h : *list) {
            const bool ended = !h.tokens.empty() && h.tokens.back() == options_.eos;
            result_.candidates.push_back({h.tokens, tokenizer_->decode(h.tokens), h.logprob,
                                          normalised(h.logprob, h.tokens.size()), ended});
        }
    }
    std::stable_sort(result_.candidates.begin(), result_.candidates.end(),
                     [](const BeamCandidate& a, const BeamCandidate& b) { return a.score > b.score; });
}

void GenerationSession::finish_beam(StopReason limit_reason) {
    list_candidates();
    const Hypothesis* best = best_beam();
    if (!best) {
        finish(limit_reason);
        return;
    }
    const bool ended = !best->tokens.empty() && best->tokens.back() == options_.eos;
    set_generated(best->records, best->logprob);
    finish(ended ? StopReason::eos : limit_reason);
}

Result<StepEvent> GenerationSession::step_beam() {
    const size_t V = vocab_, W = size_t(options_.beam_width);
    if (!started_) live_ = {Hypothesis{}};  // one empty hypothesis on state 0
    started_ = true;
    struct Candidate {
        double score;
        size_t beam;
        int32_t token;
    };
    std::vector<Candidate> candidates;
    const size_t pos = prompt_.size() + live_[0].tokens.size();  // live hypotheses all have the same length
    const std::optional<int32_t> forced = picker_.forced_at(pos);
    const size_t k = std::min(2 * W, V);
    for (size_t b = 0; b < live_.size(); ++b) {
        Hypothesis& h = live_[b];
        auto logits = advance(*models_[h.state], h.tokens);
        if (!logits) return fail(logits.error());
        std::span<float> lp(beam_logprobs_.data() + b * V, V);
        history_.assign(prompt_.begin(), prompt_.end());
        history_.insert(history_.end(), h.tokens.begin(), h.tokens.end());
        picker_.log_probs(*logits, pos, history_, lp);
        if (forced) {
            candidates.push_back({h.logprob + lp[size_t(*forced)], b, *forced});
        } else {
            ops::top_k(lp.data(), V, k, order_.data(), values_.data());
            for (size_t i = 0; i < k; ++i) candidates.push_back({h.logprob + values_[i], b, order_[i]});
        }
    }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& c) {
        if (a.score != c.score) return a.score > c.score;
        return a.beam != c.beam ? a.beam < c.beam : a.token < c.token;
    });

    std::vector<Hypothesis> next;
    std::vector<size_t> parent;  // live_ index of each next hypothesis
    for (size_t rank = 0; rank < candidates.size() && next.size() < W; ++rank) {
        const Candidate& c = candidates[rank];
        const Hypothesis& h = live_[c.beam];
        const bool is_eos = c.token == options_.eos;
        if (is_eos && rank >= W) continue;  // an eos ranked below the beam width is not a hypothesis
        Hypothesis n{h.tokens, h.records, c.score, 0};
        n.tokens.push_back(c.token);
        n.records.push_back(picker_.record(*tokenizer_, c.token,
                                           std::span<const float>(beam_logprobs_.data() + c.beam * V, V),
                                           forced.has_value()));
        if (is_eos) {
            finished_.push_back(std::move(n));
        } else {
            next.push_back(std::move(n));
            parent.push_back(c.beam);
        }
    }
    std::stable_sort(finished_.begin(), finished_.end(), [&](const Hypothesis& a, const Hypothesis& b) {
        return normalised(a.logprob, a.tokens.size()) > normalised(b.logprob, b.tokens.size());
    });
    if (finished_.size() > W) finished_.resize(W);

    // Give each surviving hypothesis a model state: a parent's first child keeps the parent's state, the
    // others take the states of hypotheses that died (or unused forks) and copy the parent's cache into them.
    std::vector<uint8_t> taken(models_.size(), 0);
    std::vector<uint8_t> placed(next.size(), 0);
    for (size_t j = 0; j < next.size(); ++j) {
        const size_t s = live_[parent[j]].state;
        if (!taken[s]) {
            taken[s] = 1;
            placed[j] = 1;
            next[j].state = s;
        }
    }
    for (size_t j = 0; j < next.size(); ++j) {
        if (placed[j]) continue;
        size_t s = 0;
        while (taken[s]) ++s;
        taken[s] = 1;
        next[j].state = s;
        if (Status st = models_[s]->copy_state_from(*models_[live_[parent[j]].state]); !st)
            return fail(st.error());
    }
    live_ = std::move(next);

    const size_t length = live_.empty() ? 0 : live_[0].tokens.size();
    if (live_.empty()) {
        finish_beam(StopReason::eos);
    } else if (length >= max_len_) {
        finish_beam(length >= options_.max_tokens ? StopReason::max_tokens : StopReason::context_full);
    } else if (!finished_.empty()) {
        const double best_finished = normalised(finished_[0].logprob, finished_[0].tokens.size());
        bool beaten = true;
        for (const Hypothesis& h : live_) beaten = beaten && best_finished >= best_possible(h);
        if (beaten) finish_beam(StopReason::eos);
    }

    StepEvent ev;
    ev.kind = StepEvent::Kind::beam;
    ev.index = beam_step_++;
    ev.finished = finished_.size();
    if (const Hypothesis* best = best_beam()) {
        ev.text = tokenizer_->decode(best->tokens);
        ev.score = normalised(best->logprob, best->tokens.size());
    }
    return ev;
}

}  // namespace atnat::decode
