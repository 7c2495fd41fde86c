#include "core/decode/text_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/decode/language_model.hpp"
#include "core/ops/ops.hpp"

namespace atnat::decode {

Result<TextModel> TextModel::load(const io::WeightFile& file) {
    auto transformer = models::load_transformer(file);
    if (!transformer) return make_error(transformer.error());
    if (!transformer->config.causal) {
        return make_error("arch '" + file.arch() +
                          "' is not autoregressive: generate and score need a 'gpt' model");
    }
    auto vocabulary = load_vocabulary(file, transformer->config.vocab_size, /*require_forms=*/false);
    if (!vocabulary) return make_error(vocabulary.error());
    return TextModel{std::move(*vocabulary),
                     std::make_shared<const models::Transformer>(std::move(*transformer))};
}

Result<TextModel> TextModel::load(std::vector<uint8_t> bytes) {
    auto file = io::WeightFile::parse(std::move(bytes));
    if (!file) return make_error(file.error());
    return load(*file);
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

Status check(const GenerateRequest& r) {
    if (Status st = check(r, r.strategy == Strategy::sample); !st) return st;
    return check_repetition_penalty(r.repetition_penalty);
}

Result<DecodeOptions> decode_options(const TextModel& model, const GenerateRequest& req,
                                     const EncodedPrompt& prompt) {
    const size_t context = model.transformer->config.context;
    DecodeOptions o;
    static_cast<SamplingParams&>(o) = req;
    o.strategy = req.strategy;
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
        const size_t pos = prompt.body_start + c.position;
        if (pos < prompt.tokens.size()) {
            return make_error("constraint at position " + std::to_string(c.position) +
                              " falls inside the prompt (" +
                              std::to_string(prompt.tokens.size() - prompt.body_start) + " characters)");
        }
        if (pos >= context) {
            return make_error("constraint at position " + std::to_string(c.position) +
                              " is past the context");
        }
        if (o.forced.count(pos))
            return make_error("two constraints at position " + std::to_string(c.position));
        o.forced[pos] = *id;
    }
    return o;
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
    auto options = decode_options(model, req, *prompt);
    if (!options) return make_error(options.error());
    PromptInfo info;
    for (const std::string& ch : io::split_utf8(req.prompt)) {  // invalid UTF-8 shown as U+FFFD, "\r" dropped
        if (ch != "\r") info.text += ch;
    }
    info.unknown_chars = prompt->unknown_chars;
    // The states GenerationSession will hold: one of the whole context, and a step-only fork per extra beam.
    const models::TransformerConfig& c = model.transformer->config;
    const std::string ctx = "context " + std::to_string(c.context);
    std::vector<MemoryPart> parts = {{"weights", model.transformer->file.byte_size()},
                                     {"decoding state (" + ctx + ")", models::state_bytes(c, 0)}};
    if (req.strategy == Strategy::beam && req.beam > 1) {
        const uint64_t forks = uint64_t(req.beam) - 1;
        parts.push_back({std::to_string(forks) + " more beam states (beam = " + std::to_string(req.beam) +
                             ", " + ctx + ")",
                         forks * models::state_bytes(c, 1)});
    }
    if (Status st = check_memory(req.max_memory, parts); !st) return make_error(st.error());
    return GenerationSession::create(std::make_unique<TransformerLM>(model.transformer), model.tokenizer,
                                     std::move(prompt->tokens), std::move(*options), std::move(info));
}

// ---------------------------------------------------------------------------------------- poem plans
Result<GenerateRequest> at_request_for(const TextModel& at, const PoemRequest& request) {
    if (request.mode != NatMode::length)
        return make_error(
            "fixed mode is the CMLM's input format; an AT model ends at <eos> by itself (use mode length)");
    const size_t start = at.forms.empty() ? 1 : 2;  // <bos> (<form>)
    const size_t context = at.transformer->config.context;
    const size_t longest = context > start + 1 ? context - start - 1 : 0;  // room for the <eos>
    auto plan =
        plan_poem(at, PoemLimits{longest, longest, "the AT context without <bos>, form and <eos>"}, request);
    if (!plan) return make_error(plan.error());
    return at_request(*plan, *at.tokenizer);
}

GenerateRequest at_request(const PoemPlan& plan, const io::Tokenizer& tok) {
    GenerateRequest g;
    g.form = plan.form;
    g.strategy = Strategy::greedy;
    size_t lead = 0;
    while (plan.given.count(lead)) ++lead;
    g.prompt = plan.prompt_text;
    for (size_t i = plan.prompt_chars; i < lead; ++i) g.prompt += tok.token_text(plan.given.at(i));
    for (const auto& [pos, id] : plan.given) {
        if (pos >= lead) g.constraints.push_back({pos, tok.token_text(id)});
    }
    if (plan.length != 0) g.constraints.push_back({plan.length, tok.token_text(tok.eos())});
    return g;
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
