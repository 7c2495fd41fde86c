// Speculative decoding (the lecture's 混合策略): the CMLM drafts the rest of the poem (length pass once, then
// `iterations` passes per draft, the accepted text given), poet-at checks the draft's first K tokens
// (draft_tokens, <eos> included where the draft ends inside them) in ONE batched forward_all over the tokens
// it has not cached yet plus those K, keeps the longest prefix that equals its own greedy choice (AT's own
// token picker, built from the same options as AT greedy's session, its repetition penalty included), adds
// its own token at the first disagreement (or after a fully accepted draft), and the next round re-drafts
// from there. The result is AT greedy's, token for token (forced tokens included): the draft only decides
// how many AT passes it takes. A round's draft length is the predicted (or known) length, at least one token
// past the accepted text.
//
//     auto s = HybridSession::create(at, nat, request);   // request.strategy "hybrid"; plans with the CMLM
//     while (!s->done()) { auto ev = s->step(); ... }     // one round: draft + one AT verification pass
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/decode/generate.hpp"
#include "core/decode/nat.hpp"
#include "core/decode/poem_plan.hpp"
#include "core/decode/text_model.hpp"
#include "core/io/tokenizer.hpp"
#include "core/models/transformer.hpp"
#include "core/status.hpp"

namespace atnat::decode {

struct HybridRound {
    size_t round = 0;       // 1-based
    size_t nat_passes = 0;  // the draft's CMLM passes (the first round's includes the length pass)
    std::string draft;      // the drafted continuation, decoded
    size_t drafted = 0;     // draft tokens checked (its <eos> included)
    size_t accepted = 0;    // of those, equal to AT greedy
    std::string at_token;   // AT's own token added after the accepted ones ("" if none)
    std::string text;       // the poem after this round
};

struct HybridEvent {
    size_t index = 0;  // 0-based
    HybridRound round;
    bool done = false;
};

struct HybridResult {
    std::string text;                           // prompt text + completion
    std::string completion;                     // generated tokens decoded
    std::vector<TokenRecord> tokens;            // as AT greedy's: prob and top_n of AT's distribution
    StopReason stop_reason = StopReason::none;  // eos, context_full, cancelled, error
    std::string error;
    size_t prompt_tokens = 0;     // AT prompt tokens (<bos> <form> prompt)
    size_t forward_passes = 0;    // at_passes + nat_passes
    size_t at_passes = 0;         // AT forward_all calls
    size_t nat_passes = 0;        // CMLM passes
    size_t at_greedy_passes = 0;  // what AT greedy takes for the same tokens: one per token
    long long saved_passes = 0;   // at_greedy_passes - at_passes
    size_t drafted = 0, accepted = 0;
    double ms = 0.0;
    double tokens_per_s = 0.0;
    double logprob = 0.0;   // Σ log p_AT of the tokens
    double score = 0.0;     // logprob / tokens
    size_t iterations = 0;  // CMLM passes per draft
    std::vector<std::string> unknown_chars;
    std::vector<HybridRound> rounds;
};

// Drafted tokens AT checks per round unless the request says (draft_tokens): chosen by measurement,
// models/poet-nat/compare.md (the K sweep under "The trade-off").
inline constexpr size_t kDraftTokens = 4;

class HybridSession {
public:
    // request.strategy must be "hybrid" (or is taken as such); no sampling, length_beam 1. The two models
    // must share the tokenizer (poet-at and poet-nat do).
    // request.repetition_penalty is AT greedy's penalty (the output equals AT greedy's with it); the drafts
    // do not penalise their canvas (nat.hpp).
    static Result<HybridSession> create(const TextModel& at, const NatModel& nat, const NatRequest& request);

    bool done() const { return result_.stop_reason != StopReason::none; }
    Result<HybridEvent> step();  // one round: draft (CMLM passes) + one AT verification pass
    void cancel();
    const HybridResult& result() const { return result_; }
    const PoemPlan& plan() const { return plan_; }

private:
    HybridSession() = default;
    Result<HybridEvent> fail(std::string message);
    void finish(StopReason reason);

    std::shared_ptr<const models::Transformer> at_;
    std::shared_ptr<const io::Tokenizer> tokenizer_;
    NatModel nat_;  // shares the weights
    PoemPlan plan_;
    NatRequest settings_;
    std::vector<int32_t> seq_;  // AT tokens: <bos> <form> prompt, then the generated ones
    size_t body_start_ = 0;     // index of the first poem character in seq_
    size_t prompt_size_ = 0;    // AT prompt tokens
    size_t fed_ = 0;            // seq_ tokens whose keys/values are in the AT cache
    size_t predicted_length_ = 0;
    TokenPicker picker_;  // AT greedy's (decode_options + picker_settings), forced tokens at AT positions
    models::TransformerState at_state_;
    std::shared_ptr<models::TransformerState> nat_state_;
    PromptInfo info_;
    HybridResult result_;
    std::chrono::steady_clock::duration busy_{};
};

}  // namespace atnat::decode
