// The one token picker (in the spirit of llama2.c's Sampler and gemma.cpp's sample/accept hooks): every
// decoder (AT greedy, sampling and beam search, NAT mask-predict, the hybrid's verification, the pixel
// samplers) hands it a row of logits and the position it decodes, and gets back the token and its record.
// The rules, in this order:
//   1. repetition penalty over the history (CTRL: sampling.hpp)
//   2. the model's log-probability: log_softmax of the penalised logits, before step 3 (Pick::logprob; pick()
//      forms it for the picked token alone, from ops::log_normaliser)
//   3. banned ids -> -inf (never picked); the eos rule: while a forced token lies ahead of the position,
//      <eos> -> the lowest float (ending there would drop a constraint: an acrostic's last line, the rest of
//      a blank text)
//   4. a forced position takes its token; otherwise argmax (the first of equal maxima), or temperature,
//      top-k, softmax, top-p and an inverse-CDF draw with one Pcg32 uniform (sampling.hpp). A forced
//      position draws nothing.
//   5. the distribution of step 4 (the softmax, for argmax) gives the token's probability and the record's
//      top_n alternatives.
// Beam search ranks hypotheses itself: it asks for steps 1-3 as log-probabilities (log_probs), with the eos
// rule applied after the normalisation, so a hypothesis's score stays the model's log-probability.
// Every function works on buffers allocated once at create(); the same floats natively and in wasm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/decode/rng.hpp"
#include "core/decode/sampling.hpp"
#include "core/io/tokenizer.hpp"
#include "core/ops/ops.hpp"
#include "core/status.hpp"

namespace atnat::decode {

struct TokenProb {
    int32_t id = 0;
    std::string text;
    float prob = 0.f;
};

// What every text decoder emits per token.
struct TokenRecord {
    int32_t id = 0;
    std::string text;  // the token as spelled (specials too, e.g. "<eos>")
    // Probability of this token under the distribution it was chosen from: argmax and beam: softmax of the
    // (repetition-penalised) logits; sample: after temperature, top-k and top-p. Forced tokens: the same
    // distribution's probability of the forced token (0 if filtered out).
    float prob = 0.f;
    bool forced = false;
    std::vector<TokenProb> top;  // the top_n of that distribution, most probable first
};

struct PickerSettings {
    bool sample = false;               // false: argmax
    SamplingParams sampling;           // sample: temperature, top_k, top_p (checked only when sampling)
    float repetition_penalty = 1.f;    // 1 = off
    std::map<size_t, int32_t> forced;  // position -> token (positions as the decoder counts them)
    int32_t eos = -1;                  // the token the eos rule blocks; -1: no rule
    std::vector<int32_t> banned;       // ids never picked
    size_t top_n = 0;                  // alternatives per record (at most the vocabulary)
    uint64_t seed = 0, stream = 0;     // Pcg32(seed, stream)
};

struct Pick {
    int32_t id = 0;
    float prob = 0.f;      // under the distribution picked from (step 5)
    double logprob = 0.0;  // the model's log-probability (step 2)
    bool forced = false;
};

class TokenPicker {
public:
    TokenPicker() = default;  // an empty picker; create() makes a usable one
    // Checks the settings (the repetition penalty; sampling ones when sampling; eos, banned and forced ids
    // inside the vocabulary) and allocates the scratch buffers.
    static Result<TokenPicker> create(size_t vocab, PickerSettings settings);

    // Steps 1-5 for the token at `position` (which selects the forced token and the eos rule); history: the
    // tokens the repetition penalty sees. Draws one uniform from rng() exactly when it samples a position
    // that is not forced.
    Pick pick(std::span<const float> logits, size_t position = 0, std::span<const int32_t> history = {});
    // The same with the uniform u in [0, 1) given instead of drawn.
    Pick pick_with(float u, std::span<const float> logits, size_t position = 0,
                   std::span<const int32_t> history = {});
    // The record of the last pick: its probability and the top_n of its distribution.
    TokenRecord record(const io::Tokenizer& tokenizer, const Pick& pick);

    // Beam search: steps 1-3 as log-probabilities into out [vocab] (the eos rule after the normalisation).
    void log_probs(std::span<const float> logits, size_t position, std::span<const int32_t> history,
                   std::span<float> out);
    // The record of token `id` under log-probabilities as log_probs writes them.
    TokenRecord record(const io::Tokenizer& tokenizer, int32_t id, std::span<const float> log_probs,
                       bool forced);
    // The record of a token the decoder did not pick (mask-predict's given positions): its probability under
    // the plain softmax of the logits, marked forced.
    TokenRecord given(const io::Tokenizer& tokenizer, std::span<const float> logits, int32_t id);

    std::optional<int32_t> forced_at(size_t position) const;
    bool eos_blocked(size_t position) const;  // the eos rule: a forced token lies after `position`
    Pcg32& rng() { return rng_; }
    const PickerSettings& settings() const { return settings_; }

private:
    ops::LogNormaliser penalise(std::span<const float> logits, std::span<const int32_t> history);
    TokenRecord make_record(const io::Tokenizer& tokenizer, int32_t id, std::span<const float> dist,
                            bool forced, bool log_domain);

    PickerSettings settings_;
    Pcg32 rng_;
    size_t vocab_ = 0;
    // scratch, vocab size: the logits being processed, top-k / sort space, the repetition penalty's
    // seen-flags
    std::vector<float> x_, values_;
    std::vector<int32_t> order_;
    std::vector<uint8_t> seen_;
};

}  // namespace atnat::decode
