// The poem domain, at the bottom of core/decode: what a poem is (its forms and characters), how a position
// in it is named (Constraint), and the poet models' vocabulary (tokenizer + forms). Autoregressive decoding
// (text_model.hpp) and mask-predict (nat.hpp) build on this file; it knows no model and no decoder.
//
// Forms: the regular forms of the poetry data (models/poet-at/README.md, "Data"): lines of 5 (wuyan) or 7
// (qiyan) characters, 4 (jueju) or 8 (lvshi) lines; every couplet is "line，line。" and couplets are joined
// by "\n", nothing before the first character or after the last "。":
//     白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。     wuyan-jueju: 4 · (5 + 1) + 2 − 1 = 25 tokens
// tokens = lines · (chars + 1) + lines / 2 − 1: 25, 51, 33, 67 for wuyan-jueju, wuyan-lvshi, qiyan-jueju,
// qiyan-lvshi. "free" poems follow the same punctuation rules with any even number (>= 2) of lines of 5 or 7
// characters each, so they have no fixed layout.
//
// Vocabulary: the weight file's tokenizer JSON (docs/weight-format.md) plus the model-level key "forms", a
// map form name -> form token (e.g. "wuyan-jueju" -> "<wuyan-jueju>"). The prompt of both poets starts with
// the form token (poet-at: <bos> <form> c1 ..; poet-nat: <len> <form> y1 ..).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/io/safetensors.hpp"
#include "core/io/tokenizer.hpp"
#include "core/status.hpp"

namespace atnat::decode {

// ------------------------------------------------------------------------------------------------ forms
struct PoemForm {
    std::string name;
    size_t lines = 0;           // 0: free (any even number >= 2)
    size_t chars_per_line = 0;  // 0: free (5 or 7, per line)

    bool regular() const { return lines > 0; }
    size_t length() const;                 // tokens of the layout; 0 for free
    size_t line_start(size_t line) const;  // position of line `line`'s first character (regular forms)
    // Per position of the layout: "" for a character, else "，", "。" or "\n" (empty for free).
    std::vector<std::string> layout() const;
};

// "wuyan-jueju", "wuyan-lvshi", "qiyan-jueju", "qiyan-lvshi", "free"; anything else: nullopt.
std::optional<PoemForm> parse_form(std::string_view name);

// ------------------------------------------------------------------------------------------- characters
// True for a token that is one punctuation code point (ASCII punctuation, U+2000..U+206F, U+3000..U+303F,
// fullwidth punctuation U+FF01..U+FF0F, U+FF1A..U+FF20, U+FF3B..U+FF40, U+FF5B..U+FF65).
bool is_punctuation(std::string_view token);

// A character of a poem: one code point that is not punctuation (is_punctuation), "\n" or ASCII whitespace.
bool is_poem_char(std::string_view code_point);
size_t count_poem_chars(std::string_view text);

// Blank markers of a fill-in-the-blank text: "_", "＿" (U+FF3F), "□" (U+25A1).
bool is_blank_marker(std::string_view code_point);

// A token quoted for an error message: "'春'", "'\\n'".
std::string spell(std::string_view token);

// A forced token: `position` counts poem characters from the first one after the form token (0 = c1), so an
// acrostic's line starts do not depend on the prompt's length. `text` is one token (e.g. "春" or "\n").
struct Constraint {
    size_t position = 0;
    std::string text;
};

// ------------------------------------------------------------------------------------------- vocabulary
// A poet model's tokenizer and forms. TextModel and NatModel are Vocabularies with a network attached.
struct Vocabulary {
    std::shared_ptr<const io::Tokenizer> tokenizer;
    std::vector<std::pair<std::string, int32_t>> forms;  // name -> form token id, sorted by id

    std::optional<int32_t> form_id(std::string_view name) const;
    std::string default_form() const;  // "free" if the model has it, else the first form, else ""
    std::string form_names() const;    // "wuyan-jueju, wuyan-lvshi, ..." for error messages
};

// Reads the tokenizer of `file` (only its keys type, tokens and specials go to io::Tokenizer) and its
// "forms". Errors: no tokenizer; more tokens than model_vocab_size; "forms" not an object (or, with
// require_forms, missing or empty); a form token that is not a string or not in the vocabulary; a form name
// parse_form() does not know (one rule for both poets: a form without a known layout can be neither planned
// nor checked).
Result<Vocabulary> load_vocabulary(const io::WeightFile& file, size_t model_vocab_size, bool require_forms);

}  // namespace atnat::decode
