// A poem request and its plan: what the caller asks for (NatRequest: the form, the prompt, constraints, an
// acrostic, a fill-in-the-blank text, the layout, the length and the decoding settings) and what that fixes
// about the poem (PoemPlan: which positions hold which token, how long the poem is or where its length comes
// from). Mask-predict (nat.hpp) decodes a plan, the AT side turns one into a GenerateRequest (at_request in
// text_model.hpp), the hybrid (speculative.hpp) does both. Planning knows a model only as its Vocabulary and
// the longest poem it writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decode/poem.hpp"
#include "core/status.hpp"

namespace atnat::decode {

enum class NatMode { length, fixed };
enum class LengthSource { predicted, given, form, blank_text, eos };
enum class NatStrategy { nat, hybrid };

const char* nat_mode_name(NatMode m);            // "length", "fixed"
const char* length_source_name(LengthSource s);  // "predicted", "given", "form", "blank_text", "eos"
const char* nat_strategy_name(NatStrategy s);    // "nat", "hybrid"
std::optional<NatMode> parse_nat_mode(std::string_view name);

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
    std::vector<Constraint> constraints;  // characters at positions counted from the first one (poem.hpp)
    std::string acrostic;                 // 藏头诗: character i starts line i (a regular form is needed)
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
Result<PoemPlan> plan_poem(const Vocabulary& vocabulary, const PoemLimits& limits, const NatRequest& request);

}  // namespace atnat::decode
