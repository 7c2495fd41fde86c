#include "core/io/tokenizer.hpp"

#include <cstdio>

namespace atnat::io {

namespace {

using nlohmann::json;

// Length of the UTF-8 sequence at s[pos] (pos < s.size()): a well-formed code point (valid = true), or a
// maximal ill-formed subpart (valid = false, length >= 1), following Unicode table 3-7 and the WHATWG
// decoder, so invalid input splits exactly as TextDecoder splits it into U+FFFD.
size_t utf8_step(std::string_view s, size_t pos, bool& valid) {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned lead = byte(pos);
    valid = false;
    if (lead < 0x80) {
        valid = true;
        return 1;
    }
    size_t need = 0;
    unsigned lo = 0x80, hi = 0xBF;  // range of the first continuation byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        need = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        need = 2;
        if (lead == 0xE0) lo = 0xA0;  // no overlong forms
        if (lead == 0xED) hi = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        need = 3;
        if (lead == 0xF0) lo = 0x90;  // no overlong forms
        if (lead == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
        return 1;  // a continuation byte, C0, C1 or F5..FF
    }
    for (size_t i = 1; i <= need; ++i) {
        if (pos + i >= s.size()) return i;
        const unsigned b = byte(pos + i);
        if (b < lo || b > hi) return i;  // the offending byte starts the next sequence
        lo = 0x80;
        hi = 0xBF;
    }
    valid = true;
    return need + 1;
}

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

size_t code_point_count(std::string_view s, bool& all_valid) {
    size_t n = 0;
    all_valid = true;
    for (size_t pos = 0; pos < s.size(); ++n) {
        bool valid = false;
        pos += utf8_step(s, pos, valid);
        all_valid = all_valid && valid;
    }
    return n;
}

std::string show_token(std::string_view token) {
    return std::string("'") + std::string(token == "\n" ? "\\n" : token) + "'";
}

// The first control character of a token (C0 but for the newline token itself, DEL, C1), or -1. Generated
// text is printed to terminals and pages: a vocabulary entry holding ESC [2J would drive the terminal.
int control_character(std::string_view token) {
    if (token == "\n") return -1;
    for (size_t i = 0; i < token.size(); ++i) {
        const auto b = static_cast<unsigned char>(token[i]);
        if (b < 0x20 || b == 0x7f) return b;
        if (b == 0xc2 && i + 1 < token.size() && static_cast<unsigned char>(token[i + 1]) <= 0x9f) {
            return static_cast<unsigned char>(token[i + 1]);  // U+0080..U+009F, encoded C2 80..C2 9F
        }
    }
    return -1;
}

}  // namespace

bool is_special_spelling(std::string_view token) {
    return token.size() >= 3 && token.front() == '<' && token.back() == '>';
}

Result<Tokenizer> Tokenizer::from_json(const json& spec) {
    if (!spec.is_object())
        return make_error("tokenizer: must be a JSON object with type, tokens and specials");
    // Other keys belong to the model (e.g. the poet models' "forms": form name -> form token): ignored.
    Tokenizer t;
    const auto type = spec.find("type");
    if (type == spec.end() || !type->is_string()) {
        return make_error("tokenizer: 'type' missing or not a string (expected \"char\" or \"word\")");
    }
    if (*type == "char") {
        t.kind_ = Kind::char_level;
    } else if (*type == "word") {
        t.kind_ = Kind::word;
    } else {
        return make_error("tokenizer: type '" + type->get<std::string>() +
                          "' is unknown (expected \"char\" or \"word\")");
    }

    const auto tokens = spec.find("tokens");
    if (tokens == spec.end() || !tokens->is_array() || tokens->empty()) {
        return make_error("tokenizer: 'tokens' must be a non-empty array of strings");
    }
    if (tokens->size() > static_cast<size_t>(INT32_MAX)) return make_error("tokenizer: too many tokens");
    for (const json& token : *tokens) {
        const auto id = static_cast<int32_t>(t.tokens_.size());
        if (!token.is_string() || token.get_ref<const std::string&>().empty()) {
            return make_error("tokenizer: token " + std::to_string(id) + " is not a non-empty string");
        }
        const std::string& text = token.get_ref<const std::string&>();
        if (const int c = control_character(text); c >= 0) {
            char code[16];
            std::snprintf(code, sizeof code, "U+%04X", c);
            return make_error("tokenizer: token " + std::to_string(id) + " contains the control character " +
                              code + " (only the token \"\\n\" may be one)");
        }
        const bool special = is_special_spelling(text);
        if (!t.all_.emplace(text, id).second) {
            return make_error("tokenizer: token " + show_token(text) + " appears twice (ids " +
                              std::to_string(t.all_.find(text)->second) + " and " + std::to_string(id) + ")");
        }
        if (!special) {
            if (t.kind_ == Kind::char_level) {
                bool valid = false;
                if (code_point_count(text, valid) != 1 || !valid) {
                    return make_error("tokenizer: char token " + std::to_string(id) + " " + show_token(text) +
                                      " is not exactly one code point (multi-character tokens must be "
                                      "specials spelled <...>)");
                }
            } else {
                for (char c : text) {
                    if (is_ascii_space(c)) {
                        return make_error("tokenizer: word token " + std::to_string(id) + " " +
                                          show_token(text) +
                                          " contains whitespace, so encode() could never produce it");
                    }
                }
            }
            t.ordinary_.emplace(text, id);
        }
        t.tokens_.push_back(text);
        t.special_.push_back(special);
    }

    const auto specials = spec.find("specials");
    if (specials == spec.end() || !specials->is_object()) {
        return make_error(
            "tokenizer: 'specials' must be an object of name -> id (pad, bos, eos, unk required)");
    }
    for (const auto& [name, value] : specials->items()) {
        if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
            value.get<int64_t>() >= static_cast<int64_t>(t.tokens_.size())) {
            return make_error("tokenizer: special '" + name +
                              "' = " + value.dump(-1, ' ', false, json::error_handler_t::replace) +
                              " is not a token id in [0, " + std::to_string(t.tokens_.size()) + ")");
        }
        const auto id = static_cast<int32_t>(value.get<int64_t>());
        if (name == "newline") {
            if (t.tokens_[static_cast<size_t>(id)] != "\n") {
                return make_error("tokenizer: special 'newline' = " + std::to_string(id) +
                                  " must be the token "
                                  "\"\\n\", found " +
                                  show_token(t.tokens_[static_cast<size_t>(id)]));
            }
        } else if (!t.special_[static_cast<size_t>(id)]) {
            return make_error("tokenizer: special '" + name + "' = " + std::to_string(id) +
                              " is the ordinary token " + show_token(t.tokens_[static_cast<size_t>(id)]) +
                              ", not one spelled <...>");
        }
        t.specials_.emplace(name, id);
    }
    for (const char* required : {"pad", "bos", "eos", "unk"}) {
        if (!t.specials_.count(required)) {
            return make_error(std::string("tokenizer: special '") + required +
                              "' is missing (pad, bos, eos and unk are required)");
        }
    }
    auto get = [&](const char* name) {
        auto it = t.specials_.find(name);
        return it == t.specials_.end() ? -1 : it->second;
    };
    t.pad_ = get("pad");
    t.bos_ = get("bos");
    t.eos_ = get("eos");
    t.unk_ = get("unk");
    t.mask_ = get("mask");
    t.newline_ = get("newline");
    return t;
}

std::vector<int32_t> Tokenizer::encode(std::string_view utf8) const {
    std::vector<int32_t> ids;
    auto lookup = [&](std::string_view piece) {
        auto it = ordinary_.find(piece);
        return it == ordinary_.end() ? unk_ : it->second;
    };
    if (kind_ == Kind::char_level) {
        for (size_t pos = 0; pos < utf8.size();) {
            bool valid = false;
            const size_t len = utf8_step(utf8, pos, valid);
            const std::string_view piece = utf8.substr(pos, len);
            pos += len;
            if (!valid) {
                ids.push_back(unk_);
            } else if (piece != "\r") {
                ids.push_back(lookup(piece));
            }
        }
    } else {
        for (size_t pos = 0; pos < utf8.size();) {
            while (pos < utf8.size() && is_ascii_space(utf8[pos])) ++pos;
            const size_t start = pos;
            while (pos < utf8.size() && !is_ascii_space(utf8[pos])) ++pos;
            if (pos > start) ids.push_back(lookup(utf8.substr(start, pos - start)));
        }
    }
    return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
    std::string out;
    bool first = true;
    for (int32_t id : ids) {
        if (id < 0 || static_cast<size_t>(id) >= tokens_.size() || special_[static_cast<size_t>(id)])
            continue;
        if (kind_ == Kind::word && !first) out += ' ';
        out += tokens_[static_cast<size_t>(id)];
        first = false;
    }
    return out;
}

std::string Tokenizer::token_text(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) return {};
    return tokens_[static_cast<size_t>(id)];
}

std::optional<int32_t> Tokenizer::id_of(std::string_view token) const {
    auto it = all_.find(token);
    if (it == all_.end()) return std::nullopt;
    return it->second;
}

std::optional<int32_t> Tokenizer::special(std::string_view name) const {
    auto it = specials_.find(name);
    if (it == specials_.end()) return std::nullopt;
    return it->second;
}

bool Tokenizer::is_special(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < tokens_.size() && special_[static_cast<size_t>(id)];
}

std::vector<std::string> split_utf8(std::string_view utf8) {
    std::vector<std::string> out;
    for (size_t pos = 0; pos < utf8.size();) {
        bool valid = false;
        const size_t len = utf8_step(utf8, pos, valid);
        out.emplace_back(valid ? utf8.substr(pos, len) : std::string_view("\xEF\xBF\xBD"));
        pos += len;
    }
    return out;
}

}  // namespace atnat::io
