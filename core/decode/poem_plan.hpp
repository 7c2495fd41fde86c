// A poem request and its plan: what the caller asks for (PoemRequest: the form, the prompt, constraints, an
// acrostic, a fill-in-the-blank text, the layout, the length; NatRequest adds mask-predict's decoding
// settings) and what that fixes about the poem (PoemPlan: which positions hold which token, how long the poem
// is or where its length comes from). Mask-predict (nat.hpp) decodes a plan, the AT side turns one into a
// GenerateRequest (at_request in text_model.hpp), the hybrid (speculative.hpp) does both. Planning knows a
// model only as its Vocabulary and the longest poem it writes.
// The requests' field tables (fields.hpp) make their JSON (request.hpp) and their CLI options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/decode/budget.hpp"
#include "core/decode/fields.hpp"
#include "core/decode/poem.hpp"
#include "core/decode/sampling.hpp"
#include "core/status.hpp"

namespace atnat::decode {

enum class NatMode { length, fixed };
enum class LengthSource { predicted, given, form, blank_text, eos };
enum class NatStrategy { nat, hybrid };
enum class Decoding { argmax, sample };

// "length", "fixed"; "predicted", "given", "form", "blank_text", "eos"; "nat", "hybrid"; "argmax", "sample"
std::span<const Choice<NatMode>> choices(NatMode);
std::span<const Choice<LengthSource>> choices(LengthSource);
std::span<const Choice<NatStrategy>> choices(NatStrategy);
std::span<const Choice<Decoding>> choices(Decoding);

// What both poets read: the poem's first characters, its form, characters forced at positions.
struct PoemPrompt {
    std::string prompt;                   // the poem's first characters (given)
    std::string form;                     // "" = the model's default form
    std::vector<Constraint> constraints;  // characters at positions counted from the first one (poem.hpp)

    template <class Self, class Visit>
    static void fields(Self& r, Visit&& visit) {
        visit(FieldSpec{"prompt", "TEXT", "the poem's first characters; \\n is a line break"}, r.prompt);
        visit(FieldSpec{"form", "NAME",
                        "the poem form, e.g. wuyan-jueju (default: the model's, free if it has it)"},
              r.form);
        visit(FieldSpec{"constraints", "LIST",
                        "characters at positions counted from the first character: 6:花,12:月 (JSON: "
                        "[{position, text}])"},
              r.constraints);
    }
};

// What fixes positions and the length of a poem (plan_poem).
struct PoemRequest : PoemPrompt {
    NatMode mode = NatMode::length;
    LengthSource length = LengthSource::predicted;  // requestable: predicted ("auto"), given (a number), form
    size_t given_length = 0;                        // length == given: 1 .. max_len
    std::string acrostic;                           // 藏头诗: character i starts line i (a regular form)
    std::string blank_text;  // the whole poem, blanks marked (is_blank_marker): the model fills the blanks
    bool layout = false;     // give the form's "，" "。" "\n" (a regular form, its own length)

    static constexpr const char* kName = "poem request";
    template <class Self, class Visit>
    static void fields(Self& r, Visit&& visit) {
        PoemPrompt::fields(r, visit);
        visit(FieldSpec{"mode", "NAME",
                        "length (the poem's length L, then L positions) or fixed (N masks, cut "
                        "at the first <eos>)"},
              r.mode);
        visit(FieldSpec{"length", "L", "auto (predicted), form (the form's layout) or a number of tokens", 1,
                        1 << 20},
              r.length, r.given_length);
        visit(FieldSpec{"acrostic", "TEXT", "the first character of every line (a regular form)"},
              r.acrostic);
        visit(FieldSpec{"blank_text", "TEXT", "the whole poem with blanks (_ or □) for the model to fill"},
              r.blank_text);
        visit(FieldSpec{"layout", "", "give the form's punctuation and line breaks"}, r.layout);
    }
};
inline Status check(const PoemRequest&) {
    return {};  // plan_poem checks the poem against the model
}

// A non-autoregressive poem: mask-predict (strategy nat) or the hybrid (speculative.hpp).
inline constexpr float kMaxGuidance = 10.f;  // NatRequest::guidance's bound (check_nat_settings)

struct NatRequest : PoemRequest, SamplingParams, MemoryLimit {
    NatStrategy strategy = NatStrategy::nat;
    size_t length_beam = 1;                // 1 .. 8; > 1 only with predicted lengths
    size_t iterations = 10;                // T: 1 .. 100 (hybrid: per draft)
    Decoding decoding = Decoding::argmax;  // sample: draw (not for the hybrid)
    uint64_t seed = 0;
    size_t top_n = 5;                // alternatives recorded per token, 0 .. 20
    float repetition_penalty = 1.f;  // nat: over the canvas (nat.hpp); hybrid: AT's, as AT greedy's (1 = off)
    float guidance = 0.f;            // nat: prompt guidance G (nat.hpp), 0 .. kMaxGuidance (0 = off)
    std::optional<size_t>
        draft_tokens;  // hybrid only: drafted tokens AT checks per round (default: speculative.hpp)

    static constexpr const char* kName = "NAT request";
    template <class Self, class Visit>
    static void fields(Self& r, Visit&& visit) {
        visit(FieldSpec{"strategy", "NAME", "nat (mask-predict) or hybrid (NAT drafts, AT verifies)"},
              r.strategy);
        PoemRequest::fields(r, visit);
        visit(FieldSpec{"length_beam", "K", "decode the K most probable lengths, keep the best", 1, 8},
              r.length_beam);
        visit(FieldSpec{"iterations", "T", "mask-predict passes (hybrid: per draft)", 1, 100}, r.iterations);
        visit(FieldSpec{"decoding", "NAME", "argmax or sample (temperature, top_k, top_p, seed)"},
              r.decoding);
        SamplingParams::fields(r, visit);
        visit(FieldSpec{"seed", "N", "sample: the Pcg32 seed", 0}, r.seed);
        visit(FieldSpec{"top_n", "N", "alternatives recorded per token", 0, 20}, r.top_n);
        visit(FieldSpec{"repetition_penalty", "R",
                        "nat: CTRL penalty on the characters the pass's input holds, in [0.1, 10] (1 = off); "
                        "hybrid: AT's, as in AT greedy's request"},
              r.repetition_penalty);
        visit(
            FieldSpec{"guidance", "G",
                      "nat: prompt guidance, picks from (1+G) log p(y | prompt) - G log p(y | prompt masked) "
                      "(one more pass per pass; 0 = off)",
                      0, kMaxGuidance},
            r.guidance);
        visit(FieldSpec{"draft_tokens", "K", "hybrid: AT checks at most K drafted tokens per round", 1,
                        1 << 20},
              r.draft_tokens);
        MemoryLimit::fields(r, visit);
    }
};
// The sampling settings (the temperature only when decoding is sample), the repetition penalty's range;
// draft_tokens only for the hybrid (mask-predict has no draft), guidance only for mask-predict.
Status check(const NatRequest& request);
// Why the hybrid refuses prompt guidance (check, and HybridSession::create).
inline constexpr const char* kHybridGuidance =
    "guidance is mask-predict's (strategy \"nat\"): the hybrid's output is AT greedy's, whatever drafts it";

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

// The longest poems a model writes, in tokens after the form token: length mode and fixed mode (NAT: the
// length head's max_len and max_len_fixed; AT: its context without <bos>, form and <eos>), and how to name
// the first in an error message.
struct PoemLimits {
    size_t max_len = 0, max_len_fixed = 0;
    const char* max_len_name = "the length head's max_len";
};

// Validates the request's text parts against the vocabulary and the limits: the form; constraint, acrostic
// and blank-text characters (single known tokens, no <unk>); positions that fit the mode (length mode:
// max_len, fixed mode: max_len_fixed) and do not clash; acrostic and layout need a regular form; blank_text
// excludes prompt, acrostic and a requested length; fixed mode takes no requested length. (NAT's own
// overload, plan_poem(NatModel, request), is in nat.hpp.)
Result<PoemPlan> plan_poem(const Vocabulary& vocabulary, const PoemLimits& limits,
                           const PoemRequest& request);

}  // namespace atnat::decode
