// Non-autoregressive text generation with poet-nat's CMLM (core/models/cmlm.hpp), and the hybrid that lets it
// draft for the autoregressive poet-at (speculative decoding, the lecture's 混合策略).
//
//     auto nat = NatModel::load(file);                              // CMLM + length head + tokenizer + forms
//     auto s = NatSession::create(*nat, request);                   // validated; state allocated once
//     while (!s->done()) { auto ev = s->step(); ... }               // one parallel pass per step
//     const NatResult& r = s->result();
//
// Length (where the L of "<len> <form> y1 .. yL" comes from):
//   predicted  the length head on a forward over exactly "<len> <form>" (step 0, its own pass); the top-k
//              lengths that can hold every given character are decoded side by side ("length beam") and
//              the candidate with the best average log-probability is kept;
//   given      the caller's L;   form  the form's layout length (metrics.hpp: 25 for wuyan-jueju);
//   blank_text the blank text's length;   eos  fixed mode ("strategy 1"): "<fixed> <form> z1 .. zN" with
//              N = max_len_fixed, the poem is z up to the first <eos>.
// Passes (Mask-Predict, Ghazvininejad et al. 2019; CMLM.mask_predict in models/poet-nat/model.py): pass 1
// predicts every position not given; after pass t < T the n = ⌊M·(T−t)/T⌋ least confident predicted
// positions (M = positions to predict; confidence = the probability of the chosen token when it was last
// predicted; ties: the earlier position first) go back to <mask> and pass t+1 predicts only them. The
// decoding stops after pass T or as soon as n = 0 (so a short poem may need fewer than T passes). Given
// positions (prompt, constraints, acrostic heads, the characters of a blank text, the layout) are never
// masked. A pick is the argmax, or a draw from the temperature / top-k / top-p distribution (Pcg32(seed),
// positions in order, candidates in order): the same tokens natively and in wasm. Picks are poem tokens
// only: the specials (<mask>, <len>, the forms, <unk>, ...; in length mode <eos> too) have probability 0.
// forward_passes counts model calls: the length pass, then one per candidate per pass.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/decode/generate.hpp"
#include "core/decode/metrics.hpp"
#include "core/decode/rng.hpp"
#include "core/decode/text_model.hpp"
#include "core/io/safetensors.hpp"
#include "core/io/tokenizer.hpp"
#include "core/models/cmlm.hpp"
#include "core/status.hpp"

namespace atnat::decode {

// ------------------------------------------------------------------------------------------------ model
struct NatModel {
    std::shared_ptr<const models::Cmlm> cmlm;
    std::shared_ptr<const io::Tokenizer> tokenizer;
    std::vector<std::pair<std::string, int32_t>> forms;  // name -> form token id, by id
    int32_t mask = -1, len = -1, fixed = -1;             // <mask>, <len>, <fixed>

    // A "cmlm" weight file whose tokenizer has the specials mask, len and fixed, forms every one of which
    // parse_form() knows, and ids that fit the model's vocabulary.
    static Result<NatModel> load(const io::WeightFile& file);
    static Result<NatModel> load(std::vector<uint8_t> bytes);

    std::optional<int32_t> form_id(std::string_view name) const;
    std::string default_form() const;  // "free" if the model has it, else the first form
    std::string form_names() const;    // "wuyan-jueju, wuyan-lvshi, ..." for error messages
};

// ---------------------------------------------------------------------------------------------- request
enum class NatMode { length, fixed };
enum class LengthSource { predicted, given, form, blank_text, eos };
enum class NatStrategy { nat, hybrid };

const char* nat_mode_name(NatMode m);            // "length", "fixed"
const char* length_source_name(LengthSource s);  // "predicted", "given", "form", "blank_text", "eos"
const char* nat_strategy_name(NatStrategy s);    // "nat", "hybrid"
std::optional<NatMode> parse_nat_mode(std::string_view name);

// Blank markers of a fill-in-the-blank text: "_", "＿" (U+FF3F), "□" (U+25A1).
bool is_blank_marker(std::string_view code_point);

struct NatRequest {
    NatStrategy strategy = NatStrategy::nat;
    std::string prompt;  // the poem's first characters (given)
    std::string form;    // "" = the default form
    NatMode mode = NatMode::length;
    LengthSource length = LengthSource::predicted;  // requestable: predicted ("auto"), given, form
    size_t given_length = 0;                        // length == given: 1 .. max_len
    size_t length_beam = 1;                         // 1 .. 8; > 1 only with predicted lengths
    size_t iterations = 10;                         // T: 1 .. 100 (hybrid: per draft)
    bool sample = false;                            // false: argmax; true: draw (not for the hybrid)
    float temperature = 1.f;                        // sample: > 0
    int32_t top_k = 0;                              // sample: >= 0, 0 = off
    float top_p = 1.f;                              // sample: (0, 1]
    uint64_t seed = 0;
    std::vector<Constraint>
        constraints;         // characters at positions counted from the first one (text_model.hpp)
    std::string acrostic;    // 藏头诗: character i starts line i (a regular form is needed)
    std::string blank_text;  // the whole poem, blanks marked (is_blank_marker): the model fills the blanks
    bool layout = false;     // give the form's "，" "。" "\n" (a regular form, its own length)
    size_t top_n = 5;        // alternatives recorded per token, 0 .. 20
};

// What a request fixes about the poem. Positions count from the first character, as Constraint does.
struct PoemPlan {
    std::string form;  // resolved name
    PoemForm shape;
    NatMode mode = NatMode::length;
    LengthSource length_source = LengthSource::predicted;
    size_t length = 0;                       // known length (given, form, blank_text); 0: predicted / eos
    size_t min_length = 1;                   // the shortest poem that holds every given position
    std::map<size_t, int32_t> given;         // position -> token (the prompt's characters included)
    size_t prompt_chars = 0;                 // positions 0 .. prompt_chars-1 hold the prompt
    std::string prompt_text;                 // the prompt as typed ("\r" dropped)
    std::vector<std::string> unknown_chars;  // prompt characters read as <unk>
};

// Validates the request's text parts against the model: the form; constraint, acrostic and blank-text
// characters (single known tokens, no <unk>); positions that fit the mode (length mode: max_len, fixed
// mode: max_len_fixed) and do not clash; acrostic and layout need a regular form; blank_text excludes prompt,
// acrostic and a requested length; fixed mode takes no requested length.
Result<PoemPlan> plan_poem(const NatModel& model, const NatRequest& request);

// The same constraints for the AT model: prompt = the given characters from position 0 on without a gap (the
// prompt's, or e.g. a blank text's first characters), constraints = every other given position, and a forced
// "<eos>" after a known length (given, form, blank text). Greedy, default settings otherwise.
GenerateRequest at_request(const PoemPlan& plan, const io::Tokenizer& tokenizer);

// The same, planned against an AT model alone (its tokenizer and forms; poems up to its context): how the
// AT side honours a request's prompt, constraints, acrostic, blank text, layout and length (given or form:
// a forced <eos>) without a CMLM. Length mode only; no length beam, sampling or hybrid.
Result<GenerateRequest> at_request_for(const TextModel& at, const NatRequest& request);

// ---------------------------------------------------------------------------------------------- session
struct LengthCandidate {
    size_t length = 0;
    double logprob = 0.0;  // log p(L) under the length head (log-softmax over 0 .. max_len)
};

// One pass of one candidate, recorded for display.
struct NatPass {
    size_t pass = 0;                 // 1-based
    size_t length = 0;               // the candidate's L (fixed mode: N)
    std::string text;                // the poem after this pass (fixed mode: cut at the first <eos>)
    std::vector<std::string> slots;  // every position's token after this pass, e.g. "春", "，", "<eos>"
    std::vector<size_t> masked;      // positions that were <mask> in this pass's input (predicted now)
    std::vector<float> confidence;   // per position: p(token) when last predicted; NaN for given positions
};

// A length candidate's standing: the best avg_logprob wins.
struct NatBeam {
    size_t length = 0;
    double logprob = 0.0;      // Σ log confidence over the predicted positions
    double avg_logprob = 0.0;  // logprob / their count (0 if none)
    size_t passes = 0;
    std::string text;
};

struct NatEvent {
    enum class Kind { length, pass };
    Kind kind = Kind::pass;
    size_t index = 0;                                // step number, 0-based
    std::vector<LengthCandidate> length_candidates;  // length events: the distribution's top entries
    std::vector<size_t> decoding;                    // length events: the lengths decoded (the beam)
    NatPass pass;                                    // pass events: the currently best candidate's pass
    std::vector<NatBeam> beams;                      // pass events: every candidate
    bool done = false;
};

enum class NatStop { none, length, eos, max_tokens, cancelled, error };
const char* nat_stop_name(NatStop s);  // "none", "length", "eos", "max_tokens", "cancelled", "error"

struct NatResult {
    NatMode mode = NatMode::length;
    bool sample = false;
    std::string text;        // prompt text + completion
    std::string completion;  // the positions after the prompt, decoded
    // Records of the positions after the prompt (fixed mode: through the first <eos>): the chosen token's
    // probability when last predicted and the top_n of that distribution; given positions are "forced", with
    // the probability the last pass gave them.
    std::vector<TokenRecord> tokens;
    NatStop stop_reason = NatStop::none;  // length mode: "length"; fixed: "eos" or "max_tokens" (no <eos>)
    std::string error;
    size_t prompt_tokens = 0;  // <len>/<fixed>, form, the prompt's characters
    size_t forward_passes = 0;
    size_t iterations = 0;  // passes the chosen candidate took (<= T)
    double ms = 0.0;        // compute time inside step() calls
    double tokens_per_s = 0.0;
    double logprob = 0.0;  // the chosen candidate's Σ log confidence over predicted positions
    double score = 0.0;    // its average (what the length beam ranks)
    uint64_t seed = 0;
    std::vector<std::string> unknown_chars;
    size_t length = 0;  // the chosen L (fixed mode: the position of the first <eos>, or N)
    LengthSource length_source = LengthSource::predicted;
    std::vector<LengthCandidate> length_candidates;  // predicted lengths only
    std::vector<NatBeam> beams;
    std::vector<NatPass> passes;  // the chosen candidate's
    std::vector<size_t> given;    // given positions (all of them, the prompt's included)
};

class NatSession {
public:
    // Validates the request (strategy must be "nat") and plans the poem.
    static Result<NatSession> create(const NatModel& model, const NatRequest& request);
    // For callers that plan themselves (the hybrid): decoding settings from `settings`, the poem from
    // `plan`; `state` (optional) is a make_state(model.cmlm->transformer) state to reuse.
    static Result<NatSession> create(const NatModel& model, PoemPlan plan, const NatRequest& settings,
                                     std::shared_ptr<models::TransformerState> state = nullptr);

    bool done() const { return result_.stop_reason != NatStop::none; }
    // The length pass (predicted lengths, first step) or one Mask-Predict pass over every live candidate.
    Result<NatEvent> step();
    void cancel();  // ends with "cancelled"; the result holds the best candidate so far
    const NatResult& result() const { return result_; }
    const PoemPlan& plan() const { return plan_; }
    // The chosen candidate's tokens y1 .. yL (fixed mode: z1 .. zN) once done.
    const std::vector<int32_t>& output_ids() const { return output_; }

private:
    struct Candidate {
        size_t length = 0;
        std::vector<int32_t> seq;          // [<len>|<fixed>, form, y1 .. yL], <mask> where still unknown
        std::vector<uint8_t> given;        // per position
        std::vector<size_t> todo;          // positions to predict (not given), ascending; M = size
        std::vector<size_t> masked;        // positions the next pass predicts
        std::vector<float> confidence;     // per position; NaN for given
        std::vector<TokenRecord> records;  // per position, from its last prediction
        std::vector<NatPass> history;
        size_t passes = 0;
        bool done = false;
        double logprob = 0.0;
    };
    NatSession() = default;
    void add_candidate(size_t length);
    Result<NatEvent> step_length();
    Result<NatEvent> step_pass();
    Status run_pass(Candidate& c, size_t t);
    NatBeam beam_of(const Candidate& c) const;
    size_t best_candidate() const;
    std::string poem_text(const Candidate& c, size_t from, size_t* cut = nullptr) const;
    void finish(NatStop reason);
    Result<NatEvent> fail(std::string message);

    std::shared_ptr<const models::Cmlm> cmlm_;
    std::shared_ptr<const io::Tokenizer> tokenizer_;
    PoemPlan plan_;
    NatRequest settings_;
    int32_t mode_token_ = -1, form_token_ = -1, mask_ = -1;
    std::shared_ptr<models::TransformerState> state_;
    std::vector<Candidate> candidates_;
    bool length_pending_ = false;  // the next step is the length pass
    size_t steps_ = 0, pass_ = 0;
    Pcg32 rng_;
    std::vector<float> x_, values_, lengths_;  // scratch: vocab, vocab, max_len + 1
    std::vector<int32_t> order_;
    std::vector<int32_t> banned_;  // ids a pick never takes: the specials (fixed mode: but <eos>)
    std::vector<int32_t> output_;
    NatResult result_;
    std::chrono::steady_clock::duration busy_{};
};

// The number of positions re-masked after pass t of T when M positions are predicted: ⌊M·(T−t)/T⌋.
size_t remask_count(size_t m, size_t iterations, size_t t);

// ----------------------------------------------------------------------------------------------- hybrid
// Speculative decoding: the CMLM drafts the rest of the poem (length pass once, then `iterations` passes
// per draft, the accepted text given), poet-at checks the draft in ONE batched forward_all over the tokens
// it has not cached yet plus the draft, keeps the longest prefix that equals its own greedy choice, adds its
// own token at the first disagreement (or after a fully accepted draft), and the next round re-drafts from
// there. The result is AT greedy's, token for token (forced tokens included): the draft only decides how
// many AT passes it takes. Drafts are y[accepted ..] + <eos>; a round's draft length is the predicted (or
// known) length, at least one token past the accepted text.
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

class HybridSession {
public:
    // request.strategy must be "hybrid" (or is taken as such); no sampling, length_beam 1. The two models
    // must share the tokenizer (poet-at and poet-nat do).
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
    std::map<size_t, int32_t> forced_;  // AT sequence position -> token
    models::TransformerState at_state_;
    std::shared_ptr<models::TransformerState> nat_state_;
    std::vector<float> probs_, logp_, values_;
    std::vector<int32_t> order_;
    PromptInfo info_;
    HybridResult result_;
    std::chrono::steady_clock::duration busy_{};
};

}  // namespace atnat::decode
