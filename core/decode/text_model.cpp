#include "core/decode/text_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/decode/language_model.hpp"
#include "core/ops/ops.hpp"

namespace atnat::decode {

namespace {

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

bool is_punctuation(std::string_view token) {
    const int64_t c = single_code_point(token);
    if (c < 0) return false;
    if (c < 0x80)
        return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
               (c >= 0x7B && c <= 0x7E);
    return (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF01 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65);
}

Result<TextModel> TextModel::load(const io::WeightFile& file) {
    auto transformer = models::load_transformer(file);
    if (!transformer) return make_error(transformer.error());
    if (!transformer->config.causal) {
        return make_error("arch '" + file.arch() +
                          "' is not autoregressive: generate and score need a 'gpt' model");
    }
    if (!file.has_tokenizer()) return make_error("the weight file has no tokenizer in its metadata");
    // The tokenizer JSON may carry model-level keys the io::Tokenizer does not know ("forms"): pass it only
    // type, tokens and specials.
    const nlohmann::json& spec = file.tokenizer();
    nlohmann::json core = nlohmann::json::object();
    for (const char* key : {"type", "tokens", "specials"}) {
        if (spec.contains(key)) core[key] = spec[key];
    }
    auto tokenizer = io::Tokenizer::from_json(core);
    if (!tokenizer) return make_error(tokenizer.error());
    if (tokenizer->size() > transformer->config.vocab_size) {
        return make_error("the tokenizer has " + std::to_string(tokenizer->size()) +
                          " tokens, the model's vocabulary " +
                          std::to_string(transformer->config.vocab_size));
    }
    TextModel m;
    if (auto forms = spec.find("forms"); forms != spec.end()) {
        if (!forms->is_object()) return make_error("tokenizer 'forms' must be an object: name -> form token");
        for (const auto& [name, token] : forms->items()) {
            if (!token.is_string())
                return make_error("tokenizer 'forms': '" + name + "' must map to a token string");
            auto id = tokenizer->id_of(token.get<std::string>());
            if (!id)
                return make_error("tokenizer 'forms': token '" + token.get<std::string>() + "' of form '" +
                                  name + "' is not in the vocabulary");
            m.forms.emplace_back(name, *id);
        }
        std::sort(m.forms.begin(), m.forms.end(),
                  [](const auto& a, const auto& b) { return a.second < b.second; });
    }
    m.transformer = std::make_shared<const models::Transformer>(std::move(*transformer));
    m.tokenizer = std::make_shared<const io::Tokenizer>(std::move(*tokenizer));
    return m;
}

Result<TextModel> TextModel::load(std::vector<uint8_t> bytes) {
    auto file = io::WeightFile::parse(std::move(bytes));
    if (!file) return make_error(file.error());
    return load(*file);
}

std::optional<int32_t> TextModel::form_id(std::string_view name) const {
    for (const auto& [n, id] : forms) {
        if (n == name) return id;
    }
    return std::nullopt;
}

std::string TextModel::default_form() const {
    if (form_id("free")) return "free";
    return forms.empty() ? std::string() : forms.front().first;
}

std::string TextModel::form_names() const {
    std::string s;
    for (const auto& [name, id] : forms) s += (s.empty() ? "" : ", ") + name;
    return s;
}

Result<EncodedPrompt> encode_prompt(const TextModel& model, std::string_view form, std::string_view text) {
    const io::Tokenizer& tok = *model.tokenizer;
    EncodedPrompt p;
    p.tokens.push_back(tok.bos());
    if (model.forms.empty()) {
        if (!form.empty()) return make_error("form '" + std::string(form) + "': this model has no forms");
    } else {
        p.form = form.empty() ? model.default_form() : std::string(form);
        auto id = model.form_id(p.form);
        if (!id) return make_error("unknown form '" + p.form + "' (known: " + model.form_names() + ")");
        p.tokens.push_back(*id);
    }
    p.body_start = p.tokens.size();
    const std::vector<int32_t> body = tok.encode(text);
    p.tokens.insert(p.tokens.end(), body.begin(), body.end());
    // Which characters became <unk>: encode() maps each code point but "\r" to one id (char tokenizers).
    if (tok.kind() == io::Tokenizer::Kind::char_level) {
        std::vector<std::string> chars = io::split_utf8(text);
        chars.erase(std::remove(chars.begin(), chars.end(), "\r"), chars.end());
        if (chars.size() == body.size()) {
            for (size_t i = 0; i < body.size(); ++i) {
                if (body[i] == tok.unk() && std::find(p.unknown_chars.begin(), p.unknown_chars.end(),
                                                      chars[i]) == p.unknown_chars.end()) {
                    p.unknown_chars.push_back(chars[i]);
                }
            }
        }
    }
    return p;
}

Result<GenerationSession> start_generation(const TextModel& model, const GenerateRequest& req) {
    const size_t context = model.transformer->config.context;
    auto prompt = encode_prompt(model, req.form, req.prompt);
    if (!prompt) return make_error(prompt.error());
    if (prompt->tokens.size() >= context) {
        return make_error("the prompt is " + std::to_string(prompt->tokens.size() - prompt->body_start) +
                          " tokens long; with the start tokens it must stay under the context of " +
                          std::to_string(context) + " tokens");
    }
    DecodeOptions o;
    o.strategy = req.strategy;
    o.temperature = req.temperature;
    o.top_k = req.top_k;
    o.top_p = req.top_p;
    o.repetition_penalty = req.repetition_penalty;
    o.beam_width = req.beam;
    o.length_penalty = req.length_penalty;
    o.seed = req.seed;
    o.max_tokens = req.max_tokens.value_or(context);
    o.eos = model.tokenizer->eos();
    o.top_n = req.top_n;
    for (const Constraint& c : req.constraints) {
        auto id = model.tokenizer->id_of(c.text);
        if (!id || (model.tokenizer->is_special(*id) && *id != model.tokenizer->eos())) {
            return make_error("constraint at position " + std::to_string(c.position) + ": '" + c.text +
                              "' is not a single token of the vocabulary");
        }
        const size_t pos = prompt->body_start + c.position;
        if (pos < prompt->tokens.size()) {
            return make_error("constraint at position " + std::to_string(c.position) +
                              " falls inside the prompt (" +
                              std::to_string(prompt->tokens.size() - prompt->body_start) + " characters)");
        }
        if (pos >= context) {
            return make_error("constraint at position " + std::to_string(c.position) +
                              " is past the context");
        }
        if (o.forced.count(pos))
            return make_error("two constraints at position " + std::to_string(c.position));
        o.forced[pos] = *id;
    }
    PromptInfo info;
    for (const std::string& ch : io::split_utf8(req.prompt)) {  // invalid UTF-8 shown as U+FFFD, "\r" dropped
        if (ch != "\r") info.text += ch;
    }
    info.unknown_chars = prompt->unknown_chars;
    return GenerationSession::create(std::make_unique<TransformerLM>(model.transformer), model.tokenizer,
                                     std::move(prompt->tokens), std::move(o), std::move(info));
}

Result<ScoreResult> score_text(const TextModel& model, models::TransformerState& state, std::string_view text,
                               std::string_view form) {
    const auto t0 = std::chrono::steady_clock::now();
    const io::Tokenizer& tok = *model.tokenizer;
    const models::Transformer& tf = *model.transformer;
    auto prompt = encode_prompt(model, form, text);
    if (!prompt) return make_error(prompt.error());
    std::vector<int32_t> seq = std::move(prompt->tokens);
    seq.push_back(tok.eos());
    const size_t inputs = seq.size() - 1;  // every token but the final <eos> is read; targets start at c1
    if (inputs > tf.config.context || inputs > state.max_rows) {
        return make_error("the text is " + std::to_string(seq.size() - 1 - prompt->body_start) +
                          " tokens long; the model reads at most " + std::to_string(tf.config.context) +
                          " tokens including " + std::to_string(prompt->body_start) + " start tokens");
    }
    auto logits = models::forward_all(tf, state, std::span<const int32_t>(seq.data(), inputs), 0);
    if (!logits) return make_error(logits.error());
    const size_t V = tf.config.vocab_size;
    float* rows = state.logits.data();
    ScoreResult r;
    r.form = prompt->form;
    r.unknown_chars = prompt->unknown_chars;
    for (size_t t = prompt->body_start; t < seq.size(); ++t) {  // target t is predicted by row t - 1
        float* row = rows + (t - 1) * V;
        ops::log_softmax(row, V);
        const int32_t id = seq[t];
        const double nll = -double(row[size_t(id)]);
        const std::string text_t = tok.token_text(id);
        r.per_token.push_back({id, text_t, nll});
        r.total_nll += nll;
        ++r.tokens;
        if (!tok.is_special(id) && id != tok.newline() && !is_punctuation(text_t)) {
            r.total_nll_chars += nll;
            ++r.chars;
        }
    }
    r.nll = r.total_nll / double(r.tokens);
    r.ppl = std::exp(r.nll);
    if (r.chars > 0) {
        r.nll_chars = r.total_nll_chars / double(r.chars);
        r.ppl_chars = std::exp(r.nll_chars);
    }
    r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace atnat::decode
