#include "core/decode/language_model.hpp"

namespace atnat::decode {

TransformerLM::TransformerLM(std::shared_ptr<const models::Transformer> model, size_t max_rows)
    : model_(std::move(model)), state_(models::make_state(*model_, max_rows)) {}

Result<std::span<const float>> TransformerLM::prefill(std::span<const int32_t> tokens) {
    return models::prefill(*model_, state_, tokens, state_.length);
}

Result<std::span<const float>> TransformerLM::step(int32_t token) {
    return models::forward_token(*model_, state_, token, state_.length);
}

std::unique_ptr<LanguageModel> TransformerLM::fork() const {
    auto copy = std::make_unique<TransformerLM>(model_, 1);
    models::copy_cache(*model_, state_, copy->state_);
    return copy;
}

Status TransformerLM::copy_state_from(const LanguageModel& other) {
    const auto* o = dynamic_cast<const TransformerLM*>(&other);
    if (!o || o->model_ != model_) return Status::failure("copy_state_from: a state of another model");
    models::copy_cache(*model_, o->state_, state_);
    return {};
}

// ------------------------------------------------------------------------------------------ Seq2SeqLM

Seq2SeqLM::Seq2SeqLM(std::shared_ptr<const models::Seq2Seq> model,
                     std::shared_ptr<models::Seq2SeqState> state)
    : model_(std::move(model)), state_(std::move(state)), cache_(models::make_at_cache(*model_)) {}

Result<std::span<const float>> Seq2SeqLM::prefill(std::span<const int32_t> tokens) {
    if (tokens.empty()) return make_error("prefill: no tokens");
    Result<std::span<const float>> logits = make_error("prefill: no tokens");
    for (int32_t t : tokens) {
        logits = models::at_step(*model_, *state_, cache_, t, cache_.length);
        if (!logits) return logits;
    }
    return logits;
}

Result<std::span<const float>> Seq2SeqLM::step(int32_t token) {
    return models::at_step(*model_, *state_, cache_, token, cache_.length);
}

std::unique_ptr<LanguageModel> Seq2SeqLM::fork() const {
    auto copy = std::make_unique<Seq2SeqLM>(model_, state_);
    models::copy_cache(*model_, cache_, copy->cache_);
    return copy;
}

Status Seq2SeqLM::copy_state_from(const LanguageModel& other) {
    const auto* o = dynamic_cast<const Seq2SeqLM*>(&other);
    if (!o || o->model_ != model_)
        return Status::failure("copy_state_from: not a state of the same seq2seq model");
    models::copy_cache(*model_, o->cache_, cache_);
    return {};
}

}  // namespace atnat::decode
