// Pronounce: a word's letters -> ARPAbet phonemes with the g2p encoder-decoder (core/models/seq2seq.hpp),
// decoded autoregressively (AT: greedy, beam search, sampling) or non-autoregressively (NAT: a length from
// the length head, then Mask-Predict), as models/g2p/model.py's at_greedy and nat_mask_predict do.
//
//     auto model = PronounceModel::load(file);                     // the weights + the letter/phoneme
//     tokenizer auto s = PronounceSession::create(*model, request);          // checks the word, runs the
//     encoder once while (!s->done()) { auto ev = s->step(); ... }              // AT: a token (beam: a
//     step); NAT: a pass const PronounceResult& r = s->result();
//
// AT runs the floor's GenerationSession (generate.hpp) over the AT decoder (Seq2SeqLM, language_model.hpp):
// the prompt is <bos>, the stop token <eos>, at most T_max - 1 tokens; every pick goes through the one
// TokenPicker with every id but the phonemes and <eos> banned. Beam search ranks by Σ log p / len^α (len
// counts the <eos>), as the poets' beam; width 1 equals greedy with α = 0.
// NAT: the first step reads the length head (log-softmax over 0 .. T_max; a length of 0 counts as 1, as in
// model.py) and starts the `length_beam` most probable lengths; each later step is one Mask-Predict pass of
// every live candidate (nat.hpp's schedule: pass 1 predicts every position, after pass t of T the
// ⌊L·(T−t)/T⌋ least confident positions, ties the earlier first, go back to <mask>; a candidate stops after
// pass T or when nothing is re-masked). Picks are phonemes only (argmax, or a draw at decoding "sample");
// confidence = the pick's probability among the phonemes. The candidate with the best average log p wins.
// Log-probabilities are the model's: log_softmax over the whole vocabulary of the chosen token's logits.
//
// When a session is done its result holds the cross-attention weights of the chosen output (see
// CrossAttention): AT: the decoder rerun with teacher forcing on <bos> + the output (the same weights the
// steps computed, causal attention makes them equal); NAT: one NAT decoder pass over the finished output.
// This display pass is not counted in passes or ms.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/decode/budget.hpp"
#include "core/decode/fields.hpp"
#include "core/decode/generate.hpp"
#include "core/decode/nat.hpp"
#include "core/decode/picker.hpp"
#include "core/decode/sampling.hpp"
#include "core/decode/session.hpp"
#include "core/io/g2p_tokenizer.hpp"
#include "core/io/safetensors.hpp"
#include "core/models/seq2seq.hpp"
#include "core/status.hpp"

namespace atnat::decode {

// ------------------------------------------------------------------------------------------------ model

struct PronounceModel {
    std::shared_ptr<const models::Seq2Seq> seq2seq;
    std::shared_ptr<const io::G2PTokenizer> tokenizer;
    // An arch "g2p" weight file with the G2P tokenizer in its metadata (as many tokens as the model's
    // vocabulary, <bos>, <eos> and <mask> among them).
    static Result<PronounceModel> load(const io::WeightFile& file);
    static Result<PronounceModel> load(std::vector<uint8_t> bytes);
    // A word -> its letter ids: the tokenizer's errors (empty, a character that is not a letter), or a word
    // longer than the encoder's max_letters.
    Result<std::vector<int32_t>> letters(std::string_view word) const;
};

// ---------------------------------------------------------------------------------------------- request

enum class PronounceStrategy { greedy, beam, sample, nat };
std::span<const Choice<PronounceStrategy>> choices(PronounceStrategy);  // "greedy", "beam", "sample", "nat"

struct PronounceRequest : SamplingParams, MemoryLimit {
    std::string word;
    PronounceStrategy strategy = PronounceStrategy::greedy;
    int32_t beam = 4;                      // beam: the width, 1 .. 8
    float length_penalty = 1.f;            // beam: α in Σ log p / len^α
    uint64_t seed = 0;                     // sample, nat + decoding sample: Pcg32(seed)
    size_t iterations = 4;                 // nat: T, the Mask-Predict passes, 1 .. 100
    size_t length_beam = 1;                // nat: the most probable lengths decoded, 1 .. 8
    Decoding decoding = Decoding::argmax;  // nat: argmax or sample (temperature, top_k, top_p, seed)
    size_t top_n = 3;                      // alternatives recorded per token, 0 .. 20

    static constexpr const char* kName = "pronounce request";
    template <class Self, class Visit>
    static void fields(Self& r, Visit&& visit) {
        visit(FieldSpec{"word", "WORD", "the word to pronounce (letters a-z and ')"}, r.word);
        visit(FieldSpec{"strategy", "NAME", "greedy, beam, sample (AT decoder) or nat (mask-predict)"},
              r.strategy);
        SamplingParams::fields(r, visit);
        visit(FieldSpec{"beam", "W", "beam: the width", 1, 8}, r.beam);
        visit(FieldSpec{"length_penalty", "A", "beam: score = log p / length^A"}, r.length_penalty);
        visit(FieldSpec{"seed", "N", "sample: the Pcg32 seed", 0}, r.seed);
        visit(FieldSpec{"iterations", "T", "nat: mask-predict passes", 1, 100}, r.iterations);
        visit(FieldSpec{"length_beam", "K", "nat: decode the K most probable lengths, keep the best", 1, 8},
              r.length_beam);
        visit(FieldSpec{"decoding", "NAME", "nat: argmax or sample"}, r.decoding);
        visit(FieldSpec{"top_n", "N", "alternatives recorded per token", 0, 20}, r.top_n);
        MemoryLimit::fields(r, visit);
    }
};
// The sampling settings when the request samples (strategy sample, or nat with decoding sample).
Status check(const PronounceRequest& request);

// -------------------------------------------------------------------------------------- cross-attention

// How diagonal (monotonic) an attention map A [rows = phonemes, cols = letters] is, each row a distribution
// over the letters: the best monotonic alignment c(0) <= c(1) <= ... (a letter per phoneme, never going
// back, found by dynamic programming to maximise Σ_t A[t, c(t)]) and the share of the attention mass that
// lies within one letter of it: (1/rows) Σ_t Σ_{|j − c(t)| <= 1} A[t, j]. 1 = every phoneme looks at its
// letter or a neighbour, in reading order; attention spread evenly over S letters scores about 3/S (a word
// of 3 letters or fewer always scores 1). 0 for an empty map.
double diagonality(std::span<const float> a, size_t rows, size_t cols);

struct CrossAttention {
    size_t layers = 0, heads = 0;
    size_t rows = 0;                       // output positions: the phonemes (AT: + the <eos> row)
    size_t cols = 0;                       // the letters
    std::vector<std::string> row_labels;   // "HH", "AH", ..., "<eos>"
    std::vector<std::string> col_labels;   // "h", "e", ...
    std::vector<float> weights;            // [layers, heads, rows, cols], each row sums to 1
    std::vector<float> mean;               // [rows, cols]: the mean over layers and heads
    std::vector<double> head_diagonality;  // [layers, heads]: diagonality() of each head's phoneme rows
    double diagonality = 0.0;  // diagonality() of the mean's phoneme rows (the <eos> row left out)
};

// ---------------------------------------------------------------------------------------------- session

struct Pronunciation {         // one candidate: a beam hypothesis or a NAT length candidate
    std::vector<int32_t> ids;  // phonemes (no <eos>)
    std::string arpabet, ipa;
    double logprob = 0.0;
    double score = 0.0;    // beam: logprob / len^α; nat: logprob / L
    bool finished = true;  // beam: ended with <eos>
    size_t passes = 0;     // nat: the passes it took
};

struct PronounceEvent {
    enum class Kind { token, beam, length, pass };
    Kind kind = Kind::token;
    size_t index = 0;     // step number, 0-based
    std::string arpabet;  // the output so far (beam: the best hypothesis; nat: the best candidate)
    TokenRecord token;    // token events
    double score = 0.0;   // beam events: the best hypothesis's normalised score
    size_t finished = 0;  // beam events: finished hypotheses so far
    std::vector<LengthCandidate> length_candidates;  // length events: the most probable lengths
    std::vector<size_t> decoding;                    // length events: the lengths decoded
    NatPass pass;                                    // pass events: the best candidate's pass
    std::vector<NatBeam> beams;                      // pass events: every candidate
    bool done = false;
};

struct PronounceResult {
    std::string word;
    PronounceStrategy strategy = PronounceStrategy::greedy;
    std::vector<int32_t> ids;         // the chosen phonemes (no <eos>)
    std::string arpabet;              // "HH AH L OW"
    std::string ipa;                  // "həloʊ"
    std::vector<TokenRecord> tokens;  // AT: every generated token (the <eos> included); NAT: every position
    double logprob = 0.0;             // Σ log p of the tokens
    double score = 0.0;               // beam: logprob / len^α; otherwise logprob / tokens
    std::vector<Pronunciation> candidates;  // beam: every hypothesis; nat: every length; best first
    StopReason stop_reason = StopReason::none;
    std::string error;
    size_t passes = 0;  // sequential decoder passes: AT tokens (beam: steps); NAT: Mask-Predict passes
    size_t forward_passes = 0;  // every model call: the encoder, each decoder call (beam: per hypothesis)
    size_t length = 0;          // nat: the chosen L
    std::vector<LengthCandidate> length_candidates;  // nat
    std::vector<NatPass> nat_passes;                 // nat: the chosen candidate's passes
    double ms = 0.0;                                 // compute time inside create() (the encoder) and step()
    uint64_t seed = 0;
    CrossAttention attention;  // of the chosen output, once done (also after cancel)
};

class PronounceSession {
public:
    // Checks the request and the word, encodes it, allocates the decoder's state.
    static Result<PronounceSession> create(const PronounceModel& model, const PronounceRequest& request);
    bool done() const { return result_.stop_reason != StopReason::none; }
    Result<PronounceEvent> step();
    void cancel();  // ends with "cancelled"; the result keeps the best output so far
    const PronounceResult& result() const { return result_; }

private:
    struct Candidate {  // one NAT length candidate
        size_t length = 0;
        std::vector<int32_t> seq;          // [L], <mask> where unknown
        std::vector<size_t> masked;        // positions the next pass predicts
        std::vector<float> confidence;     // per position: the pick's probability among the phonemes
        std::vector<double> logp;          // per position: the model's log p of the pick
        std::vector<TokenRecord> records;  // per position
        std::vector<NatPass> history;
        size_t passes = 0;
        bool done = false;
        double logprob = 0.0;
    };
    PronounceSession() = default;
    bool is_nat() const { return request_.strategy == PronounceStrategy::nat; }
    Result<PronounceEvent> step_at();
    Result<PronounceEvent> step_length();
    Result<PronounceEvent> step_pass();
    Status run_pass(Candidate& c);
    size_t best_candidate() const;
    NatBeam beam_of(const Candidate& c) const;
    std::string arpabet_of(std::span<const int32_t> ids) const;  // "<mask>" where unknown
    void finish_at();
    void finish_nat(StopReason reason);
    void set_output(std::vector<int32_t> ids);
    Status fill_attention();
    Result<PronounceEvent> fail(std::string message);

    std::shared_ptr<const models::Seq2Seq> model_;
    std::shared_ptr<const io::G2PTokenizer> tokenizer_;
    std::shared_ptr<models::Seq2SeqState> state_;
    PronounceRequest request_;
    std::vector<int32_t> letters_;
    std::optional<GenerationSession> at_;  // AT strategies
    std::vector<int32_t> at_tokens_;       // AT: the tokens generated so far (greedy / sample)
    size_t at_steps_ = 0;                  // AT: steps done
    TokenPicker picker_;                   // NAT: phonemes only
    std::vector<Candidate> candidates_;    // NAT
    std::vector<float> length_logp_;       // NAT: log-softmax of the length head
    bool length_pending_ = true;           // NAT: the next step reads the length head
    size_t steps_ = 0;
    PronounceResult result_;
    std::chrono::steady_clock::duration busy_{};
};

// One word pronounced from start to end (the CLI's eval, the tests).
Result<PronounceResult> pronounce(const PronounceModel& model, const PronounceRequest& request);

}  // namespace atnat::decode
