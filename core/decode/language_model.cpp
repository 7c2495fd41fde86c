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

}  // namespace atnat::decode
