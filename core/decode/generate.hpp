// Step-wise autoregressive generation over any LanguageModel: greedy, sampling (temperature, top-k, top-p),
// beam search; repetition penalty and forced tokens for all three.
//
//     auto s = GenerationSession::create(std::move(model), tokenizer, prompt_ids, options);
//     while (!s->done()) { auto ev = s->step(); ... stream *ev ... }   // a worker yields between steps
//     const GenerateResult& r = s->result();
//
// step() does one unit of work: the first call prefills the prompt and picks the first token; each later call
// feeds the previous token and picks the next (beam: advances every live hypothesis by one token). A token is
// fed to the model only when a next one is wanted, so a run of n tokens costs 1 prefill + n-1 steps.
// Stop reasons (session.hpp): eos (the eos token was produced; it is the last record), max_tokens,
// context_full (the sequence reached the model's context), cancelled (cancel() by the caller), error (the
// model failed; step() returned it).
//
// Beam search: one LanguageModel per hypothesis (the session's model + width-1 forks made at create()).
// Every step each live hypothesis proposes its 2·width best tokens; candidates are ranked by summed log-prob;
// an eos candidate ranked within the first `width` joins the finished list (score = Σ log p / len^α, len
// counts the eos), the best `width` others stay live. States are reassigned to the surviving hypotheses by
// copying a parent's cache into a state whose hypothesis died (no allocation). The search stops when the best
// finished score is at least every live hypothesis's best possible final score (log-probs only fall, so a
// live sum s at length l can at best reach s / Lmax^α for α > 0, s / (l+1)^α for α <= 0), or when no token
// fits (max_tokens, context). The answer is the best of finished and live hypotheses by normalised score.
// Width 1 equals greedy when α = 0 (or when greedy never emits eos); with α > 0 it may prefer a longer poem.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/decode/language_model.hpp"
#include "core/decode/picker.hpp"
#include "core/decode/sampling.hpp"
#include "core/decode/session.hpp"
#include "core/io/tokenizer.hpp"
#include "core/status.hpp"

namespace atnat::decode {

enum class Strategy { greedy, sample, beam };
std::span<const Choice<Strategy>> choices(Strategy);  // "greedy", "sample", "beam"

// The sampling settings (temperature, top_k, top_p: sampling.hpp) are used by strategy sample only.
struct DecodeOptions : SamplingParams {
    Strategy strategy = Strategy::greedy;
    float repetition_penalty = 1.f;  // > 0, 1 = off; applied to every token of the sequence (prompt included)
    int32_t beam_width = 4;          // beam: 1 .. 8
    float length_penalty = 1.f;      // beam: α in Σ log p / len^α
    uint64_t seed = 0;               // sample: Pcg32(seed)
    size_t max_tokens = 0;           // 1 .. context: tokens to generate at most (the eos included)
    std::map<size_t, int32_t>
        forced;                   // absolute sequence position -> token (prompt.size() <= position < context)
    int32_t eos = -1;             // the stop token; -1 = none
    std::vector<int32_t> banned;  // ids never picked (the picker's rule 3), e.g. a g2p model's letters
    size_t top_n = 5;             // alternatives recorded per token
};

// What the caller knows about the prompt, echoed in the result.
struct PromptInfo {
    std::string text;                        // prepended to result.text
    std::vector<std::string> unknown_chars;  // characters that became <unk>
};

// The token picker of these options (picker.hpp): argmax for greedy and beam, a draw for sample.
PickerSettings picker_settings(const DecodeOptions& options);

struct StepEvent {
    enum class Kind { token, beam };
    Kind kind = Kind::token;
    size_t index = 0;     // token: index of this token among the generated ones; beam: step number (0-based)
    TokenRecord token;    // token events
    std::string text;     // beam events: generated text of the currently best hypothesis
    double score = 0.0;   // beam events: its normalised score
    size_t finished = 0;  // beam events: finished hypotheses so far
    bool done = false;    // the session finished with this step
};

// A beam hypothesis as the search left it (GenerateResult::candidates).
struct BeamCandidate {
    std::vector<int32_t> tokens;  // generated ids (an <eos> last if finished)
    std::string text;             // decoded (specials omitted)
    double logprob = 0.0;         // Σ log p
    double score = 0.0;           // logprob / len^α
    bool finished = false;        // ended with <eos>
};

struct GenerateResult {
    Strategy strategy = Strategy::greedy;
    std::string text;        // prompt text + completion
    std::string completion;  // the generated tokens decoded (specials omitted)
    std::vector<TokenRecord> tokens;
    StopReason stop_reason = StopReason::none;
    std::string error;  // stop_reason == error
    size_t prompt_tokens = 0;
    size_t forward_passes = 0;  // model calls: 1 per prefill, 1 per token fed (beam: per hypothesis)
    double ms = 0.0;            // compute time inside step() calls (time between steps not counted)
    double prefill_ms = 0.0;
    double ttft_ms = 0.0;              // time to first token: the first step() (prefill + first pick)
    double tokens_per_s = 0.0;         // tokens / ms
    double decode_tokens_per_s = 0.0;  // (tokens - 1) / (ms - ttft_ms): the per-token rate after the first
    double logprob =
        0.0;  // Σ log p of the chosen tokens (greedy/beam distributions; sample: the filtered one)
    double score = 0.0;  // beam: logprob / len^α; otherwise logprob / len
    uint64_t seed = 0;
    std::vector<std::string> unknown_chars;
    std::vector<BeamCandidate> candidates;  // beam: every finished and live hypothesis, best score first
};

class GenerationSession {
public:
    // Validates the options against the model (errors name the setting); makes the beam forks.
    static Result<GenerationSession> create(std::unique_ptr<LanguageModel> model,
                                            std::shared_ptr<const io::Tokenizer> tokenizer,
                                            std::vector<int32_t> prompt, DecodeOptions options,
                                            PromptInfo info = {});

    bool done() const { return result_.stop_reason != StopReason::none; }
    // One unit of work (see the top of this file). An error if the session is done or the model fails (the
    // session then ends with stop reason "error").
    Result<StepEvent> step();
    // Ends the session with stop reason "cancelled" (if not done); the result keeps what was generated.
    void cancel();
    const GenerateResult& result() const { return result_; }
    const DecodeOptions& options() const { return options_; }

private:
    struct Hypothesis {
        std::vector<int32_t> tokens;  // generated tokens
        std::vector<TokenRecord> records;
        double logprob = 0.0;
        size_t state = 0;  // index into models_ (live hypotheses only)
    };
    GenerationSession() = default;
    Result<StepEvent> step_single();
    Result<StepEvent> step_beam();
    Result<std::span<const float>> advance(LanguageModel& model, const std::vector<int32_t>& generated);
    double normalised(double logprob, size_t length) const;
    double best_possible(const Hypothesis& h) const;
    const Hypothesis* best_beam() const;
    void list_candidates();
    void finish(StopReason reason);
    void finish_beam(StopReason limit_reason);
    void set_generated(const std::vector<TokenRecord>& records, double logprob);
    Result<StepEvent> fail(std::string message);

    std::vector<std::unique_ptr<LanguageModel>> models_;  // [0]: the session's model; beam: + width-1 forks
    std::shared_ptr<const io::Tokenizer> tokenizer_;
    std::vector<int32_t> prompt_;
    DecodeOptions options_;
    PromptInfo info_;
    size_t vocab_ = 0, context_ = 0,
           max_len_ = 0;  // max_len_: generated tokens that fit (max_tokens, context)
    bool started_ = false;
    std::span<const float> logits_;  // single: the logits for the next pick (valid until the next model call)
    std::vector<int32_t> generated_;  // single
    std::vector<int32_t> history_;    // scratch: prompt + generated, for the repetition penalty
    TokenPicker picker_;
    std::vector<Hypothesis> live_, finished_;  // beam
    size_t beam_step_ = 0;
    // beam scratch: the candidates' top-k (vocab size), every hypothesis's log-probs (width × vocab)
    std::vector<float> values_;
    std::vector<int32_t> order_;
    std::vector<float> beam_logprobs_;
    GenerateResult result_;
    std::chrono::steady_clock::duration busy_{};
};

}  // namespace atnat::decode
