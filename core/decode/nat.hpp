// Non-autoregressive text generation with poet-nat's CMLM (core/models/cmlm.hpp): Mask-Predict over a
// PoemPlan (poem_plan.hpp). The hybrid that lets it draft for poet-at is in speculative.hpp.
//
//     auto nat = NatModel::load(file);                              // CMLM + length head + tokenizer + forms
//     auto s = NatSession::create(*nat, request);                   // validated; state allocated once
//     while (!s->done()) { auto ev = s->step(); ... }               // one parallel pass per step
//     const NatResult& r = s->result();
//
// Length (where the L of "<len> <form> y1 .. yL" comes from):
//   predicted  the length head on a forward over "<len> <form>", then, if the model was trained so
//              (Cmlm::length_prompt), the prompt's characters up to its first "，" or "。" (the head never
//              saw more: models/poet-nat/model.py first_line_length), never masks (step 0, its own pass); the
//              top-k lengths that can hold every given character are decoded side by side ("length beam") and
//              the candidate with the best average log-probability is kept;
//   given      the caller's L;   form  the form's layout length (poem.hpp: 25 for wuyan-jueju);
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
// Repetition penalty R != 1 (CTRL, as AT's: sampling.hpp): before a pick, the logit of every character the
// pass's input already holds (the prompt, the given characters and the predictions not re-masked; never
// punctuation or a line break) is divided by R (multiplied, if negative). AT penalises its history; a
// mask-predict pass penalises its canvas, so pass 1 sees only the given characters and later passes more of
// the poem. Confidences are then the penalised distribution's, as AT's records are.
// Prompt guidance G > 0 (classifier-free guidance, Ho & Salimans 2022, as Sanchez et al. 2023 use it for
// text; the mutual-information objective of Li et al. 2016): each pass runs twice, once as above and once
// "blind", with the prompt's characters masked (its punctuation, the other given positions and the pass's
// own predictions stay), and the picks come from (1 + G)·z - G·z_blind over the logits z. What the blind
// pass predicts as well is what any prompt would get (a template: 莫道此身无限意，不知何处是长安 ended 8 of
// the 21 七言律诗 of the test prompts with the step-13,000 student); the difference is what this prompt adds.
// The repetition penalty then applies to the combined logits. Without a prompt (an acrostic, a blank text)
// there is nothing to contrast, and G changes nothing (no extra pass).
// forward_passes counts model calls: the length pass, then one per candidate per pass (two with guidance).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/decode/budget.hpp"
#include "core/decode/picker.hpp"
#include "core/decode/poem.hpp"
#include "core/decode/poem_plan.hpp"
#include "core/decode/session.hpp"
#include "core/io/safetensors.hpp"
#include "core/models/cmlm.hpp"
#include "core/status.hpp"

namespace atnat::decode {

// ------------------------------------------------------------------------------------------------ model
// The tokenizer and forms come from Vocabulary (poem.hpp).
struct NatModel : Vocabulary {
    std::shared_ptr<const models::Cmlm> cmlm;
    int32_t mask = -1, len = -1, fixed = -1;  // <mask>, <len>, <fixed>

    // A "cmlm" weight file whose tokenizer has the specials mask, len and fixed, and a non-empty forms map
    // (load_vocabulary with require_forms).
    static Result<NatModel> load(const io::WeightFile& file);
    static Result<NatModel> load(std::vector<uint8_t> bytes);
};

// The rows a CMLM's decoding state needs (<len>/<fixed>, <form>, then the longest poem of either mode), and
// that state as a part of a request's memory budget (budget.hpp). NatSession and the hybrid's drafts use
// both.
size_t nat_state_rows(const models::Cmlm& cm);
MemoryPart nat_state_memory(const models::Cmlm& cm, const std::string& name = "decoding state");

// plan_poem (poem_plan.hpp) against the CMLM's limits: max_len in length mode, max_len_fixed in fixed mode.
Result<PoemPlan> plan_poem(const NatModel& model, const PoemRequest& request);

// The decoding settings a NatSession checks whatever the plan (iterations 1 .. 100, length_beam 1 .. 8 and
// > 1 only with predicted lengths, top_n 0 .. 20; its token picker checks the sampling settings). The
// hybrid checks its drafts' settings with it too.
Status check_nat_settings(const NatRequest& settings, const PoemPlan& plan);

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

struct NatResult {
    NatMode mode = NatMode::length;
    bool sample = false;     // decoding "sample"
    std::string text;        // prompt text + completion
    std::string completion;  // the positions after the prompt, decoded
    // Records of the positions after the prompt (fixed mode: through the first <eos>): the chosen token's
    // probability when last predicted and the top_n of that distribution; given positions are "forced", with
    // the probability the last pass gave them.
    std::vector<TokenRecord> tokens;
    StopReason stop_reason = StopReason::none;  // length mode: length; fixed: eos or max_tokens (no <eos>)
    std::string error;
    size_t prompt_tokens = 0;  // <len>/<fixed>, form, the prompt's characters
    size_t forward_passes = 0;
    size_t blind_passes = 0;  // prompt guidance: the prompt-blind model calls among forward_passes
    size_t iterations = 0;    // passes the chosen candidate took (<= T)
    double ms = 0.0;          // compute time inside step() calls
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

    bool done() const { return result_.stop_reason != StopReason::none; }
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
    Status guide(const Candidate& c, size_t t, const float* rows);
    bool is_poem_char_id(int32_t id) const {
        return size_t(id) < poem_char_.size() && poem_char_[size_t(id)];
    }
    NatBeam beam_of(const Candidate& c) const;
    size_t best_candidate() const;
    std::string poem_text(const Candidate& c, size_t from, size_t* cut = nullptr) const;
    void finish(StopReason reason);
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
    TokenPicker picker_;          // bans the specials (fixed mode: but <eos>) and ids without a token
    std::vector<float> lengths_;  // scratch: max_len + 1
    // The repetition penalty (settings_.repetition_penalty != 1) and guidance: which ids are poem characters
    // (is_poem_char, not a special), and the scratch for a pass's canvas.
    std::vector<uint8_t> poem_char_;
    std::vector<int32_t> canvas_;
    // Prompt guidance (settings_.guidance > 0 and a prompt character to mask): the combined logits, the blind
    // pass's input.
    bool guidance_on_ = false;
    std::vector<float> guided_logits_;
    std::vector<int32_t> blind_;
    std::vector<int32_t> output_;
    NatResult result_;
    std::chrono::steady_clock::duration busy_{};
};

// The number of positions re-masked after pass t of T when M positions are predicted: ⌊M·(T−t)/T⌋.
size_t remask_count(size_t m, size_t iterations, size_t t);

}  // namespace atnat::decode
