#include "core/decode/poem.hpp"

#include <algorithm>

namespace atnat::decode {

namespace {

constexpr std::string_view kComma = "，", kStop = "。", kNewline = "\n";

// The code point of a token made of exactly one UTF-8 sequence, or -1.
int64_t single_code_point(std::string_view s) {
    if (s.empty()) return -1;
    const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    size_t len = b(0) < 0x80 ? 1 : (b(0) >> 5) == 6 ? 2 : (b(0) >> 4) == 14 ? 3 : (b(0) >> 3) == 30 ? 4 : 0;
    if (len == 0 || len != s.size()) return -1;
    int64_t cp = len == 1 ? b(0) : len == 2 ? (b(0) & 0x1F) : len == 3 ? (b(0) & 0x0F) : (b(0) & 0x07);
    for (size_t i = 1; i < len; ++i) {
        if ((b(i) >> 6) != 2) return -1;
        cp = (cp << 6) | (b(i) & 0x3F);
    }
    return cp;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ forms
size_t PoemForm::length() const {
    return regular() ? lines * (chars_per_line + 1) + lines / 2 - 1 : 0;
}

size_t PoemForm::line_start(size_t line) const {
    return line * (chars_per_line + 1) + line / 2;  // every earlier couplet adds a "\n"
}

std::vector<std::string> PoemForm::layout() const {
    std::vector<std::string> out;
    for (size_t line = 0; line < lines; ++line) {
        if (line > 0 && line % 2 == 0) out.emplace_back(kNewline);
        out.resize(out.size() + chars_per_line);
        out.emplace_back(line % 2 == 0 ? kComma : kStop);
    }
    return out;
}

std::optional<PoemForm> parse_form(std::string_view name) {
    if (name == "free") return PoemForm{"free", 0, 0};
    const size_t dash = name.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const std::string_view chars = name.substr(0, dash), lines = name.substr(dash + 1);
    PoemForm f{std::string(name), 0, 0};
    if (chars == "wuyan") f.chars_per_line = 5;
    if (chars == "qiyan") f.chars_per_line = 7;
    if (lines == "jueju") f.lines = 4;
    if (lines == "lvshi") f.lines = 8;
    if (f.chars_per_line == 0 || f.lines == 0) return std::nullopt;
    return f;
}

// ------------------------------------------------------------------------------------------- characters
bool is_punctuation(std::string_view token) {
    const int64_t c = single_code_point(token);
    if (c < 0) return false;
    if (c < 0x80)
        return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
               (c >= 0x7B && c <= 0x7E);
    return (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF01 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65);
}

bool is_poem_char(std::string_view cp) {
    if (cp.empty() || cp == kNewline || is_punctuation(cp)) return false;
    return !(cp.size() == 1 &&
             (cp[0] == ' ' || cp[0] == '\t' || cp[0] == '\r' || cp[0] == '\v' || cp[0] == '\f'));
}

size_t count_poem_chars(std::string_view text) {
    size_t n = 0;
    for (const std::string& cp : io::split_utf8(text)) n += is_poem_char(cp) ? 1 : 0;
    return n;
}

bool is_blank_marker(std::string_view cp) {
    return cp == "_" || cp == "\xEF\xBC\xBF" /* ＿ */ || cp == "\xE2\x96\xA1" /* □ */;
}

std::string spell(std::string_view token) {
    std::string s = "'";
    s += token == "\n" ? std::string_view("\\n") : token;
    s += "'";
    return s;
}

// ------------------------------------------------------------------------------------------- vocabulary
std::optional<int32_t> Vocabulary::form_id(std::string_view name) const {
    for (const auto& [n, id] : forms) {
        if (n == name) return id;
    }
    return std::nullopt;
}

std::string Vocabulary::default_form() const {
    if (form_id("free")) return "free";
    return forms.empty() ? std::string() : forms.front().first;
}

std::string Vocabulary::form_names() const {
    std::string s;
    for (const auto& [name, id] : forms) s += (s.empty() ? "" : ", ") + name;
    return s;
}

Result<Vocabulary> load_vocabulary(const io::WeightFile& file, size_t model_vocab_size, bool require_forms) {
    if (!file.has_tokenizer()) return make_error("the weight file has no tokenizer in its metadata");
    // The tokenizer JSON carries model-level keys the io::Tokenizer does not know ("forms"): pass it only
    // type, tokens and specials.
    const nlohmann::json& spec = file.tokenizer();
    nlohmann::json core = nlohmann::json::object();
    for (const char* key : {"type", "tokens", "specials"}) {
        if (spec.contains(key)) core[key] = spec[key];
    }
    auto tokenizer = io::Tokenizer::from_json(core);
    if (!tokenizer) return make_error(tokenizer.error());
    if (tokenizer->size() > model_vocab_size) {
        return make_error("the tokenizer has " + std::to_string(tokenizer->size()) +
                          " tokens, the model's vocabulary " + std::to_string(model_vocab_size));
    }
    Vocabulary v;
    const auto forms = spec.find("forms");
    if (require_forms && (forms == spec.end() || !forms->is_object() || forms->empty()))
        return make_error(
            "tokenizer 'forms' must be a non-empty object: name -> form token (this model's input holds a "
            "form token)");
    if (forms != spec.end()) {
        if (!forms->is_object()) return make_error("tokenizer 'forms' must be an object: name -> form token");
        for (const auto& [name, token] : forms->items()) {
            if (!token.is_string())
                return make_error("tokenizer 'forms': '" + name + "' must map to a token string");
            auto id = tokenizer->id_of(token.get<std::string>());
            if (!id)
                return make_error("tokenizer 'forms': token '" + token.get<std::string>() + "' of form '" +
                                  name + "' is not in the vocabulary");
            if (!parse_form(name))
                return make_error(
                    "tokenizer 'forms': form '" + name +
                    "' is unknown (known: wuyan-jueju, wuyan-lvshi, qiyan-jueju, qiyan-lvshi, free)");
            v.forms.emplace_back(name, *id);
        }
        std::sort(v.forms.begin(), v.forms.end(),
                  [](const auto& a, const auto& b) { return a.second < b.second; });
    }
    v.tokenizer = std::make_shared<const io::Tokenizer>(std::move(*tokenizer));
    return v;
}

}  // namespace atnat::decode
