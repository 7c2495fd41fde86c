// A loaded autoregressive text model (poet-at: arch "gpt") with its tokenizer and prompt format, and the
// things one does with it: start a generation session from a GenerateRequest, turn a poem request
// (poem_plan.hpp) into a GenerateRequest, and score a text.
//
// Prompt format (models/poet-at/train.py): <bos> <form> c1 .. cN, then the model continues and ends with
// <eos>. The forms are the tokenizer JSON's "forms" map, e.g. "wuyan-jueju" -> "<wuyan-jueju>"; a model
// without one uses <bos> c1 .. cN. Prompt text: "\n" -> the newline token, "\r" dropped, characters outside
// the vocabulary -> <unk> (listed in the result's unknown_chars).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/decode/budget.hpp"
#include "core/decode/generate.hpp"
#include "core/decode/poem.hpp"
#include "core/decode/poem_plan.hpp"
#include "core/io/safetensors.hpp"
#include "core/io/tokenizer.hpp"
#include "core/models/transformer.hpp"
#include "core/status.hpp"

namespace atnat::decode {

// The tokenizer and forms come from Vocabulary (poem.hpp).
struct TextModel : Vocabulary {
    std::shared_ptr<const models::Transformer> transformer;

    // A causal transformer ("gpt") with a vocabulary (load_vocabulary; forms optional).
    static Result<TextModel> load(const io::WeightFile& file);
    static Result<TextModel> load(std::vector<uint8_t> bytes);
};

struct EncodedPrompt {
    std::vector<int32_t> tokens;             // <bos> <form> c1 .. cN
    size_t body_start = 0;                   // index of c1 (2 with a form, 1 without)
    std::string form;                        // the form used ("" if the model has none)
    std::vector<std::string> unknown_chars;  // distinct, in order of appearance
};

// form "" = default_form(). An unknown form is an Error listing the known ones.
Result<EncodedPrompt> encode_prompt(const TextModel& model, std::string_view form, std::string_view text);

// An autoregressive poem: the prompt and forced characters (PoemPrompt), the strategy and its settings.
struct GenerateRequest : PoemPrompt, SamplingParams, MemoryLimit {
    Strategy strategy = Strategy::greedy;
    float repetition_penalty = 1.f;
    int32_t beam = 4;
    float length_penalty =
        0.5f;  // α: with 1, free-form beams ran on to the context (models/poet-at/decoding.md)
    uint64_t seed = 0;
    std::optional<size_t> max_tokens;  // default: the model's context
    size_t top_n = 5;

    static constexpr const char* kName = "generate request";
    template <class Self, class Visit>
    static void fields(Self& r, Visit&& visit) {
        PoemPrompt::fields(r, visit);
        visit(FieldSpec{"strategy", "NAME", "greedy, sample or beam"}, r.strategy);
        SamplingParams::fields(r, visit);
        visit(FieldSpec{"repetition_penalty", "R",
                        "CTRL penalty on tokens already present, in [0.1, 10] (1 = off)"},
              r.repetition_penalty);
        visit(FieldSpec{"beam", "W", "beam: the width", 1, 8}, r.beam);
        visit(FieldSpec{"length_penalty", "A", "beam: score = log p / length^A"}, r.length_penalty);
        visit(FieldSpec{"seed", "N", "sample: the Pcg32 seed", 0}, r.seed);
        visit(FieldSpec{"max_tokens", "N", "generate at most N tokens (default: the model's context)", 1},
              r.max_tokens);
        visit(FieldSpec{"top_n", "N", "alternatives recorded per token", 0, 20}, r.top_n);
        MemoryLimit::fields(r, visit);
    }
};
// The sampling settings (the temperature only for strategy sample) and the repetition penalty.
Status check(const GenerateRequest& request);

// The decoding options of a request whose prompt is `prompt` (encode_prompt of request.form and .prompt):
// its settings, max_tokens (default: the model's context), <eos>, and the constraints as forced tokens at
// their sequence positions (each a single token, after the prompt, inside the context, one per position).
Result<DecodeOptions> decode_options(const TextModel& model, const GenerateRequest& request,
                                     const EncodedPrompt& prompt);

// Validates the request against the model (form, max_tokens <= context, prompt length, constraints) and
// returns a session that owns its model state (allocated here, once) and shares the weights and tokenizer.
Result<GenerationSession> start_generation(const TextModel& model, const GenerateRequest& request);

// A poem plan as an AT request: prompt = the given characters from position 0 on without a gap (the
// prompt's, or e.g. a blank text's first characters), constraints = every other given position, and a forced
// "<eos>" after a known length (given, form, blank text). Greedy, default settings otherwise.
GenerateRequest at_request(const PoemPlan& plan, const io::Tokenizer& tokenizer);

// The same, planned against an AT model alone (its tokenizer and forms; poems up to its context): how the
// AT side honours a request's prompt, constraints, acrostic, blank text, layout and length (given or form:
// a forced <eos>) without a CMLM. Length mode only.
Result<GenerateRequest> at_request_for(const TextModel& at, const PoemRequest& request);

struct ScoredToken {
    int32_t id = 0;
    std::string text;
    double nll = 0.0;  // -log p(token | everything before it)
};

// The training script's evaluation (train.py evaluate()): NLL over c1 .. cN and <eos> (the form is a given
// condition, not predicted); "chars" counts only Chinese characters (no punctuation, newline or <eos>).
struct ScoreResult {
    std::string form;
    size_t tokens = 0;       // N + 1
    double total_nll = 0.0;  // nats
    double nll = 0.0;        // per token
    double ppl = 0.0;        // exp(nll)
    size_t chars = 0;
    double total_nll_chars = 0.0;
    double nll_chars = 0.0;
    double ppl_chars = 0.0;
    std::vector<ScoredToken> per_token;
    std::vector<std::string> unknown_chars;
    double ms = 0.0;
};

// One batched forward_all over <bos> <form> c1 .. cN (the <eos> is only a target). `state` must hold enough
// rows (make_state(model, 0)); N + 2 <= context.
Result<ScoreResult> score_text(const TextModel& model, models::TransformerState& state, std::string_view text,
                               std::string_view form = {});

}  // namespace atnat::decode
