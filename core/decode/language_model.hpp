// The interface the decoders drive: a model state that consumes tokens one at a time (or a prompt at once)
// and returns next-token logits. Architecture independent: TransformerLM wraps models::Transformer; the
// decode tests use a tiny fake.
//
// Beam search keeps one LanguageModel per hypothesis: fork() makes the extra states once, when a session
// starts (the only allocation), and copy_state_from() re-points a state at another hypothesis's prefix when
// beams are reordered (a memcpy of the cached rows, no allocation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "core/models/seq2seq.hpp"
#include "core/models/transformer.hpp"
#include "core/status.hpp"

namespace atnat::decode {

class LanguageModel {
public:
    virtual ~LanguageModel() = default;

    virtual size_t vocab_size() const = 0;
    virtual size_t context() const = 0;  // the most tokens a sequence may hold
    virtual size_t length() const = 0;   // tokens consumed since reset()
    virtual void reset() = 0;            // forget every token (length() = 0)

    // Consume tokens (at least one, length() + n <= context()); returns the logits [vocab_size] predicting
    // the token after the last one. The span stays valid until the next call on this state.
    virtual Result<std::span<const float>> prefill(std::span<const int32_t> tokens) = 0;
    // Consume one token; as prefill.
    virtual Result<std::span<const float>> step(int32_t token) = 0;

    // A new, independent state over the same weights holding a copy of this one's tokens (allocates).
    virtual std::unique_ptr<LanguageModel> fork() const = 0;
    // Make this state equal to `other` (same kind and weights, e.g. a fork); allocates nothing.
    virtual Status copy_state_from(const LanguageModel& other) = 0;
};

// A causal models::Transformer as a LanguageModel: prefill is the batched GEMM pass, step the GEMV pass.
class TransformerLM final : public LanguageModel {
public:
    // max_rows: rows of the batched prefill buffers (0 = the whole context; forks use 1 and prefill in
    // chunks).
    explicit TransformerLM(std::shared_ptr<const models::Transformer> model, size_t max_rows = 0);

    size_t vocab_size() const override { return model_->config.vocab_size; }
    size_t context() const override { return model_->config.context; }
    size_t length() const override { return state_.length; }
    void reset() override { state_.length = 0; }
    Result<std::span<const float>> prefill(std::span<const int32_t> tokens) override;
    Result<std::span<const float>> step(int32_t token) override;
    std::unique_ptr<LanguageModel> fork() const override;
    Status copy_state_from(const LanguageModel& other) override;

    const models::Transformer& model() const { return *model_; }
    models::TransformerState& state() { return state_; }

private:
    std::shared_ptr<const models::Transformer> model_;
    models::TransformerState state_;
};

// The AT decoder of a models::Seq2Seq (g2p) as a LanguageModel, for the word already encoded in `state`:
// every token goes through at_step (the GEMV path) on this object's own self-attention cache, while the
// encoder memory and its cross K/V live in the state that every fork shares (beam search forks the cache
// only). context() is T_max, the decoder's positions (<bos> at 0).
class Seq2SeqLM final : public LanguageModel {
public:
    Seq2SeqLM(std::shared_ptr<const models::Seq2Seq> model, std::shared_ptr<models::Seq2SeqState> state);
    size_t vocab_size() const override { return model_->config.vocab_size; }
    size_t context() const override { return model_->config.max_phonemes; }
    size_t length() const override { return cache_.length; }
    void reset() override { cache_.length = 0; }
    Result<std::span<const float>> prefill(std::span<const int32_t> tokens) override;
    Result<std::span<const float>> step(int32_t token) override;
    std::unique_ptr<LanguageModel> fork() const override;
    Status copy_state_from(const LanguageModel& other) override;

private:
    std::shared_ptr<const models::Seq2Seq> model_;
    std::shared_ptr<models::Seq2SeqState> state_;
    models::AtCache cache_;
};

}  // namespace atnat::decode
