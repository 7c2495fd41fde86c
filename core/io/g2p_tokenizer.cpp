#include "core/io/g2p_tokenizer.hpp"

#include <cstdio>

#include "core/io/json.hpp"

namespace atnat::io {

namespace {

using nlohmann::json;

// CMUdict's 39 phonemes (stress removed) in IPA, after the ARPAbet table of Wikipedia / the CMU site.
struct IpaEntry {
    std::string_view arpabet, ipa;
};
constexpr IpaEntry kIpa[] = {
    {"AA", "ɑ"},  {"AE", "æ"}, {"AH", "ə"}, {"AO", "ɔ"},  {"AW", "aʊ"}, {"AY", "aɪ"}, {"B", "b"},
    {"CH", "tʃ"}, {"D", "d"},  {"DH", "ð"}, {"EH", "ɛ"},  {"ER", "ɚ"},  {"EY", "eɪ"}, {"F", "f"},
    {"G", "ɡ"},   {"HH", "h"}, {"IH", "ɪ"}, {"IY", "i"},  {"JH", "dʒ"}, {"K", "k"},   {"L", "l"},
    {"M", "m"},   {"N", "n"},  {"NG", "ŋ"}, {"OW", "oʊ"}, {"OY", "ɔɪ"}, {"P", "p"},   {"R", "ɹ"},
    {"S", "s"},   {"SH", "ʃ"}, {"T", "t"},  {"TH", "θ"},  {"UH", "ʊ"},  {"UW", "u"},  {"V", "v"},
    {"W", "w"},   {"Y", "j"},  {"Z", "z"},  {"ZH", "ʒ"},
};

// How an error message names one character of a word (split_utf8's piece): a printable ASCII character or an
// accented Latin letter (U+00C0 .. U+024F: é, ü, ø) quoted as itself, anything else (controls, bidi
// overrides,
// ...) only by its code point, so that no message carries it to a terminal or a page.
std::string show_character(std::string_view ch) {
    std::string quoted = "'";
    quoted.append(ch);
    quoted += '\'';
    if (ch.size() == 1 && ch[0] >= 0x20 && ch[0] < 0x7f) return quoted;
    if (ch == "\xEF\xBF\xBD") return "invalid UTF-8";  // split_utf8's replacement for ill-formed bytes
    const auto b = [&](size_t i) { return unsigned(static_cast<unsigned char>(ch[i])); };
    unsigned cp = 0;
    if (ch.size() == 1) {
        cp = b(0);
    } else if (ch.size() == 2) {
        cp = ((b(0) & 0x1f) << 6) | (b(1) & 0x3f);
    } else if (ch.size() == 3) {
        cp = ((b(0) & 0x0f) << 12) | ((b(1) & 0x3f) << 6) | (b(2) & 0x3f);
    } else {
        cp = ((b(0) & 0x07) << 18) | ((b(1) & 0x3f) << 12) | ((b(2) & 0x3f) << 6) | (b(3) & 0x3f);
    }
    char code[16];
    std::snprintf(code, sizeof code, "U+%04X", cp);
    if (cp < 0xc0 || cp > 0x24f) return code;
    quoted.append(" (").append(code).append(")");
    return quoted;
}

// The strings of spec[key], which must be a non-empty array of distinct tokens of the vocabulary.
Result<std::vector<int32_t>> token_list(const json& spec, const char* key, const Tokenizer& vocab) {
    const auto it = spec.find(key);
    if (it == spec.end() || !it->is_array() || it->empty()) {
        return make_error(std::string("g2p tokenizer: '") + key + "' must be a non-empty array of tokens");
    }
    std::vector<int32_t> ids;
    std::vector<bool> seen(vocab.size(), false);
    for (const json& t : *it) {
        if (!t.is_string()) return make_error(std::string("g2p tokenizer: '") + key + "' holds a non-string");
        const std::string& text = t.get_ref<const std::string&>();
        const auto id = vocab.id_of(text);
        if (!id) {
            return make_error(std::string("g2p tokenizer: '") + key + "' lists '" + printable(text) +
                              "', which is not one of the tokens");
        }
        if (vocab.is_special(*id)) {
            return make_error(std::string("g2p tokenizer: '") + key + "' lists the special '" +
                              printable(text) + "'");
        }
        if (seen[size_t(*id)]) {
            return make_error(std::string("g2p tokenizer: '") + key + "' lists '" + printable(text) +
                              "' twice");
        }
        seen[size_t(*id)] = true;
        ids.push_back(*id);
    }
    return ids;
}

}  // namespace

Result<G2PTokenizer> G2PTokenizer::from_json(const json& spec) {
    auto vocab = Tokenizer::from_json(spec);
    if (!vocab) return make_error(vocab.error());
    if (vocab->mask() < 0)
        return make_error("g2p tokenizer: specials have no 'mask' (the NAT decoder needs it)");
    G2PTokenizer t;
    t.vocab_ = std::move(*vocab);
    auto letters = token_list(spec, "letters", t.vocab_);
    if (!letters) return make_error(letters.error());
    auto phonemes = token_list(spec, "phonemes", t.vocab_);
    if (!phonemes) return make_error(phonemes.error());
    t.letter_ids_ = std::move(*letters);
    t.phoneme_ids_ = std::move(*phonemes);
    t.letter_of_ascii_.fill(-1);
    t.is_letter_.assign(t.vocab_.size(), 0);
    t.is_phoneme_.assign(t.vocab_.size(), 0);
    for (int32_t id : t.letter_ids_) {
        const std::string text = t.vocab_.token_text(id);
        const auto c = static_cast<unsigned char>(text[0]);
        if (text.size() != 1 || c < 0x21 || c >= 0x7f || (c >= 'A' && c <= 'Z')) {
            return make_error("g2p tokenizer: letter '" + printable(text) +
                              "' is not one printable ASCII character other than A-Z (words are lowercased)");
        }
        t.letter_of_ascii_[c] = id;
        t.is_letter_[size_t(id)] = 1;
    }
    for (int32_t id : t.phoneme_ids_) {
        if (t.is_letter_[size_t(id)]) {
            return make_error("g2p tokenizer: '" + printable(t.vocab_.token_text(id)) +
                              "' is both a letter and a phoneme");
        }
        t.is_phoneme_[size_t(id)] = 1;
    }
    return t;
}

Result<std::vector<int32_t>> G2PTokenizer::encode_word(std::string_view word) const {
    if (word.empty()) return make_error("the word is empty: type a word spelled with a-z and '");
    std::vector<int32_t> ids;
    size_t index = 0;
    for (const std::string& ch : split_utf8(word)) {
        ++index;
        int32_t id = -1;
        if (ch.size() == 1) {
            auto c = static_cast<unsigned char>(ch[0]);
            if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
            if (c < 0x80) id = letter_of_ascii_[c];
        }
        if (id < 0) {
            return make_error("character " + std::to_string(index) + " of the word, " + show_character(ch) +
                              ", is not a letter this model reads (a-z and the apostrophe)");
        }
        ids.push_back(id);
    }
    return ids;
}

bool G2PTokenizer::is_phoneme(int32_t id) const {
    return id >= 0 && size_t(id) < is_phoneme_.size() && is_phoneme_[size_t(id)];
}

bool G2PTokenizer::is_letter(int32_t id) const {
    return id >= 0 && size_t(id) < is_letter_.size() && is_letter_[size_t(id)];
}

Result<std::vector<std::string>> G2PTokenizer::arpabet(std::span<const int32_t> ids) const {
    std::vector<std::string> out;
    for (size_t i = 0; i < ids.size(); ++i) {
        if (!is_phoneme(ids[i])) {
            const std::string text = vocab_.token_text(ids[i]);
            return make_error("id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                              (text.empty() ? " is outside the vocabulary" : " ('" + printable(text) + "')") +
                              " is not a phoneme");
        }
        out.push_back(vocab_.token_text(ids[i]));
    }
    return out;
}

Result<std::string> G2PTokenizer::arpabet_text(std::span<const int32_t> ids) const {
    auto symbols = arpabet(ids);
    if (!symbols) return make_error(symbols.error());
    std::string out;
    for (const std::string& s : *symbols) {
        if (!out.empty()) out += ' ';
        out += s;
    }
    return out;
}

Result<std::string> G2PTokenizer::ipa_text(std::span<const int32_t> ids) const {
    auto symbols = arpabet(ids);
    if (!symbols) return make_error(symbols.error());
    std::string out;
    for (const std::string& s : *symbols) {
        const std::string_view i = ipa(s);
        if (i.empty()) return make_error("phoneme '" + printable(s) + "' has no IPA in the ARPAbet table");
        out += i;
    }
    return out;
}

std::string_view ipa(std::string_view arpabet) {
    for (const IpaEntry& e : kIpa) {
        if (e.arpabet == arpabet) return e.ipa;
    }
    return {};
}

}  // namespace atnat::io
