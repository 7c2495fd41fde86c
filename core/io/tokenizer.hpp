// Tokenizers built from the JSON stored in a weight file's __metadata__ "tokenizer" (docs/weight-format.md):
//   {"type": "char" | "word",
//    "tokens": ["<pad>", "<bos>", "<eos>", "<mask>", "<unk>", "\n", "春", ...],   // index = id
//    "specials": {"pad": 0, "bos": 1, "eos": 2, "unk": 4, "mask": 3, "newline": 5},
//    ...}   // other keys belong to the model (e.g. "forms") and are ignored here
// "char": one token per Unicode code point. "word": text split on ASCII whitespace, one token per symbol
// (e.g. ARPAbet phonemes "HH AH0 L OW1").
// A token spelled "<...>" (at least 3 bytes, starting with '<' and ending with '>') is special: encode()
// never produces it from user text and decode() omits it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace atnat::io {

class Tokenizer {
public:
    enum class Kind { char_level, word };

    // Validates: type known; tokens a non-empty array of unique non-empty strings; for "char", every ordinary
    // token is exactly one code point; specials an object of ids in range; pad, bos, eos and unk present
    // (mask and newline optional; newline must be the token "\n"; other special names are allowed).
    static Result<Tokenizer> from_json(const nlohmann::json& spec);

    // char: per code point; "\r" dropped; "\n" -> its token (newline()); a code point not in the vocabulary
    //       or spelling a special -> unk(); each maximal invalid UTF-8 subsequence -> one unk() (the same
    //       count of U+FFFD a browser's TextDecoder would produce).
    // word: per whitespace-separated symbol; an unknown symbol, or one spelling a special, -> unk().
    std::vector<int32_t> encode(std::string_view utf8) const;
    // Concatenates token texts (word: joined by single spaces), omitting specials ("<...>") and skipping ids
    // out of range. decode(encode(s)) == s for text made only of known tokens (char: without "\r").
    std::string decode(std::span<const int32_t> ids) const;

    std::string token_text(int32_t id) const;                     // "" if out of range; specials as spelled
    std::optional<int32_t> id_of(std::string_view token) const;   // any token, specials included
    std::optional<int32_t> special(std::string_view name) const;  // the "specials" entry, e.g. "sep"
    bool is_special(int32_t id) const;                            // spelled "<...>"
    size_t size() const { return tokens_.size(); }
    Kind kind() const { return kind_; }

    int32_t pad() const { return pad_; }
    int32_t bos() const { return bos_; }
    int32_t eos() const { return eos_; }
    int32_t unk() const { return unk_; }
    int32_t mask() const { return mask_; }        // -1 if absent
    int32_t newline() const { return newline_; }  // -1 if absent

private:
    Kind kind_ = Kind::char_level;
    std::vector<std::string> tokens_;
    std::vector<bool> special_;                             // by id
    std::map<std::string, int32_t, std::less<>> ordinary_;  // text -> id, for encode (no specials)
    std::map<std::string, int32_t, std::less<>> all_;       // text -> id, for id_of
    std::map<std::string, int32_t, std::less<>> specials_;  // name -> id
    int32_t pad_ = -1, bos_ = -1, eos_ = -1, unk_ = -1, mask_ = -1, newline_ = -1;
};

bool is_special_spelling(std::string_view token);  // "<...>", at least 3 bytes

// Splits UTF-8 text into code points, for per-character display. Each maximal invalid subsequence becomes
// one "\xEF\xBF\xBD" (U+FFFD), like a browser's TextDecoder.
std::vector<std::string> split_utf8(std::string_view utf8);

}  // namespace atnat::io
