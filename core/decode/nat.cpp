#include "core/decode/nat.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "core/decode/sampling.hpp"
#include "core/ops/ops.hpp"

namespace atnat::decode {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxIterations = 100;
constexpr size_t kMaxLengthBeam = 8;
constexpr size_t kMaxTopN = 20;
constexpr size_t kLengthCandidatesShown = 5;

double to_ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

std::string spell(std::string_view token) {
    std::string s = "'";
    s += token == "\n" ? std::string_view("\\n") : token;
    s += "'";
    return s;
}

// The record GenerationSession makes: the token, its probability under `probs` and the top_n of `probs`.
TokenRecord make_record(const io::Tokenizer& tok, int32_t id, std::span<const float> probs, bool forced,
                        size_t top_n, std::vector<int32_t>& order, std::vector<float>& values) {
    TokenRecord r;
    r.id = id;
    r.text = tok.token_text(id);
    r.prob = probs[size_t(id)];
    r.forced = forced;
    const size_t n = std::min(top_n, probs.size());
    if (n > 0) {
        ops::top_k(probs.data(), probs.size(), n, order.data(), values.data());
        r.top.reserve(n);
        for (size_t i = 0; i < n; ++i) r.top.push_back({order[i], tok.token_text(order[i]), values[i]});
    }
    return r;
}

// The tokenizer JSON of a weight file without the model-level keys io::Tokenizer does not know ("forms").
Result<io::Tokenizer> tokenizer_of(const io::WeightFile& file) {
    if (!file.has_tokenizer()) return make_error("the weight file has no tokenizer in its metadata");
    const nlohmann::json& spec = file.tokenizer();
    nlohmann::json core = nlohmann::json::object();
    for (const char* key : {"type", "tokens", "specials"}) {
        if (spec.contains(key)) core[key] = spec[key];
    }
    return io::Tokenizer::from_json(core);
}

// Settings a NatSession checks whatever the plan.
Status check_settings(const NatRequest& r, const PoemPlan& plan) {
    if (r.iterations < 1 || r.iterations > kMaxIterations)
        return Status::failure("iterations = " + std::to_string(r.iterations) + " is outside [1, " +
                               std::to_string(kMaxIterations) + "]");
    if (r.length_beam < 1 || r.length_beam > kMaxLengthBeam)
        return Status::failure("length_beam = " + std::to_string(r.length_beam) + " is outside [1, " +
                               std::to_string(kMaxLengthBeam) + "]");
    if (r.length_beam > 1 && plan.length_source != LengthSource::predicted)
        return Status::failure(std::string("length_beam = ") + std::to_string(r.length_beam) +
                               " needs predicted lengths (length \"auto\" in length mode), but the length "
                               "comes from " +
                               length_source_name(plan.length_source));
    if (r.sample) {
        if (Status s = check(SamplingParams{r.temperature, r.top_k, r.top_p}); !s) return s;
    }
    if (r.top_n > kMaxTopN)
        return Status::failure("top_n = " + std::to_string(r.top_n) + " is outside [0, " +
                               std::to_string(kMaxTopN) + "]");
    return {};
}

}  // namespace

// --------------------------------------------------------------------------------------------- names
const char* nat_mode_name(NatMode m) {
    return m == NatMode::length ? "length" : "fixed";
}

const char* length_source_name(LengthSource s) {
    switch (s) {
        case LengthSource::predicted:
            return "predicted";
        case LengthSource::given:
            return "given";
        case LengthSource::form:
            return "form";
        case LengthSource::blank_text:
            return "blank_text";
        case LengthSource::eos:
            return "eos";
    }
    return "?";
}

const char* nat_strategy_name(NatStrategy s) {
    return s == NatStrategy::nat ? "nat" : "hybrid";
}

std::optional<NatMode> parse_nat_mode(std::string_view name) {
    if (name == "length") return NatMode::length;
    if (name == "fixed") return NatMode::fixed;
    return std::nullopt;
}

const char* nat_stop_name(NatStop s) {
    switch (s) {
        case NatStop::none:
            return "none";
        case NatStop::length:
            return "length";
        case NatStop::eos:
            return "eos";
        case NatStop::max_tokens:
            return "max_tokens";
        case NatStop::cancelled:
            return "cancelled";
        case NatStop::error:
            return "error";
    }
    return "?";
}

bool is_blank_marker(std::string_view cp) {
    return cp == "_" || cp == "\xEF\xBC\xBF" /* ＿ */ || cp == "\xE2\x96\xA1" /* □ */;
}

size_t remask_count(size_t m, size_t iterations, size_t t) {
    if (iterations == 0 || t >= iterations) return 0;
    return m * (iterations - t) / iterations;
}

// --------------------------------------------------------------------------------------------- model
Result<NatModel> NatModel::load(const io::WeightFile& file) {
    auto cmlm = models::load_cmlm(file);
    if (!cmlm) return make_error(cmlm.error());
    auto tokenizer = tokenizer_of(file);
    if (!tokenizer) return make_error(tokenizer.error());
    if (tokenizer->size() > cmlm->transformer.config.vocab_size) {
        return make_error("the tokenizer has " + std::to_string(tokenizer->size()) +
                          " tokens, the model's vocabulary " +
                          std::to_string(cmlm->transformer.config.vocab_size));
    }
    NatModel m;
    m.mask = tokenizer->mask();
    m.len = tokenizer->special("len").value_or(-1);
    m.fixed = tokenizer->special("fixed").value_or(-1);
    if (m.mask < 0 || m.len < 0 || m.fixed < 0)
        return make_error("the tokenizer lacks a special the CMLM's inputs need (mask, len, fixed)");
    const nlohmann::json& spec = file.tokenizer();
    const auto forms = spec.find("forms");
    if (forms == spec.end() || !forms->is_object() || forms->empty())
        return make_error(
            "tokenizer 'forms' must be a non-empty object: name -> form token (the input is <len> <form> "
            "...)");
    for (const auto& [name, token] : forms->items()) {
        if (!token.is_string())
            return make_error("tokenizer 'forms': '" + name + "' must map to a token string");
        auto id = tokenizer->id_of(token.get<std::string>());
        if (!id)
            return make_error("tokenizer 'forms': token '" + token.get<std::string>() + "' of form '" + name +
                              "' is not in the vocabulary");
        if (!parse_form(name))
            return make_error(
                "tokenizer 'forms': form '" + name +
                "' is unknown (known: wuyan-jueju, wuyan-lvshi, qiyan-jueju, qiyan-lvshi, free)");
        m.forms.emplace_back(name, *id);
    }
    std::sort(m.forms.begin(), m.forms.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    m.cmlm = std::make_shared<const models::Cmlm>(std::move(*cmlm));
    m.tokenizer = std::make_shared<const io::Tokenizer>(std::move(*tokenizer));
    return m;
}

Result<NatModel> NatModel::load(std::vector<uint8_t> bytes) {
    auto file = io::WeightFile::parse(std::move(bytes));
    if (!file) return make_error(file.error());
    return load(*file);
}

std::optional<int32_t> NatModel::form_id(std::string_view name) const {
    for (const auto& [n, id] : forms) {
        if (n == name) return id;
    }
    return std::nullopt;
}

std::string NatModel::default_form() const {
    if (form_id("free")) return "free";
    return forms.empty() ? std::string() : forms.front().first;
}

std::string NatModel::form_names() const {
    std::string s;
    for (const auto& [name, id] : forms) s += (s.empty() ? "" : ", ") + name;
    return s;
}

// ---------------------------------------------------------------------------------------------- plan
namespace {

// What planning needs from a model: its tokenizer, forms and the longest poems it writes.
struct PlanLimits {
    const io::Tokenizer& tok;
    const std::vector<std::pair<std::string, int32_t>>& forms;
    std::string default_form, form_names;
    size_t max_len = 0, max_len_fixed = 0;
    const char* max_len_name = "the length head's max_len";
};

Result<PoemPlan> plan_with(const PlanLimits& lim, const NatRequest& r) {
    const io::Tokenizer& tok = lim.tok;
    PoemPlan p;
    p.form = r.form.empty() ? lim.default_form : r.form;
    if (std::none_of(lim.forms.begin(), lim.forms.end(), [&](const auto& f) { return f.first == p.form; }))
        return make_error("unknown form '" + p.form + "' (known: " + lim.form_names + ")");
    const auto shape = parse_form(p.form);
    if (!shape) return make_error("form '" + p.form + "' has no known layout");
    p.shape = *shape;
    p.mode = r.mode;
    const size_t cap = r.mode == NatMode::length ? lim.max_len : lim.max_len_fixed;
    const std::string cap_text = std::to_string(cap) + " tokens in " + nat_mode_name(r.mode) + " mode";

    // An ordinary token of one code point (no specials, no <unk>), or an error naming `what`.
    auto char_id = [&](const std::string& cp, const std::string& what) -> Result<int32_t> {
        auto id = tok.id_of(cp);
        if (!id || tok.is_special(*id))
            return make_error(what + ": " + spell(cp) + " is not a character of the vocabulary");
        return *id;
    };
    auto give = [&](size_t pos, int32_t id, const std::string& what) -> Status {
        if (pos >= cap)
            return Status::failure(what + " at position " + std::to_string(pos) +
                                   " is past the longest poem the model writes (" + cap_text + ")");
        auto [it, inserted] = p.given.emplace(pos, id);
        if (!inserted && it->second != id)
            return Status::failure(what + " at position " + std::to_string(pos) + ": " +
                                   spell(tok.token_text(id)) + " clashes with " +
                                   spell(tok.token_text(it->second)) + " given there");
        return {};
    };

    // --- the length
    if (r.mode == NatMode::fixed) {
        if (r.length != LengthSource::predicted)
            return make_error(
                "fixed mode finds the length itself (the first <eos>): length must be \"auto\"");
        p.length_source = LengthSource::eos;
    } else if (r.length == LengthSource::given) {
        if (r.given_length < 1 || r.given_length > lim.max_len)
            return make_error("length = " + std::to_string(r.given_length) + " is outside [1, " +
                              std::to_string(lim.max_len) + "] (" + lim.max_len_name + ")");
        p.length_source = LengthSource::given;
        p.length = r.given_length;
    } else if (r.length == LengthSource::form) {
        if (!p.shape.regular())
            return make_error("form '" + p.form + "' has no fixed length: use length \"auto\" or a number");
        p.length_source = LengthSource::form;
        p.length = p.shape.length();
    } else if (r.length != LengthSource::predicted) {
        return make_error(std::string("length cannot be requested as '") + length_source_name(r.length) +
                          "'");
    }

    // --- fill-in-the-blank: the whole poem
    if (!r.blank_text.empty()) {
        if (!r.prompt.empty() || !r.acrostic.empty())
            return make_error("blank_text gives the whole poem: leave prompt and acrostic empty");
        if (r.length != LengthSource::predicted)
            return make_error("blank_text sets the length itself: leave length \"auto\"");
        size_t n = 0, blanks = 0;
        for (const std::string& cp : io::split_utf8(r.blank_text)) {
            if (cp == "\r") continue;
            if (is_blank_marker(cp)) {
                ++blanks;
            } else {
                auto id = char_id(cp, "blank_text character " + std::to_string(n + 1));
                if (!id) return make_error(id.error());
                if (n < cap) p.given[n] = *id;
            }
            ++n;
        }
        if (n > cap)
            return make_error("blank_text is " + std::to_string(n) +
                              " tokens long; the model writes at most " + cap_text);
        if (blanks == 0) return make_error("blank_text has no blank to fill (mark blanks with _ or □)");
        p.length_source = LengthSource::blank_text;
        p.length = n;
    }

    // --- the layout: the form's punctuation and line breaks
    if (r.layout) {
        if (!p.shape.regular()) return make_error("layout needs a regular form, not '" + p.form + "'");
        const size_t L = p.shape.length();
        if (p.length_source == LengthSource::predicted && r.mode == NatMode::length) {
            p.length_source = LengthSource::form;
            p.length = L;
        } else if (p.length != 0 && p.length != L) {
            return make_error("layout: the form's layout has " + std::to_string(L) + " tokens, the poem " +
                              std::to_string(p.length));
        }
        const std::vector<std::string> layout = p.shape.layout();
        for (size_t i = 0; i < layout.size(); ++i) {
            if (layout[i].empty()) continue;
            auto id = char_id(layout[i], "layout");
            if (!id) return make_error(id.error());
            if (Status st = give(i, *id, "layout"); !st) return make_error(st.error());
        }
    }

    // --- the prompt: characters from position 0 (unknown ones read as <unk>, as the AT prompt does)
    std::vector<std::string> prompt_cps;
    for (const std::string& cp : io::split_utf8(r.prompt)) {
        if (cp != "\r") prompt_cps.push_back(cp);
    }
    for (size_t i = 0; i < prompt_cps.size(); ++i) {
        const std::string& cp = prompt_cps[i];
        p.prompt_text += cp;
        auto id = tok.id_of(cp);
        int32_t t = id && !tok.is_special(*id) ? *id : tok.unk();
        if (t == tok.unk() &&
            std::find(p.unknown_chars.begin(), p.unknown_chars.end(), cp) == p.unknown_chars.end())
            p.unknown_chars.push_back(cp);
        if (i >= cap)
            return make_error("the prompt is " + std::to_string(prompt_cps.size()) +
                              " tokens long; the model writes at most " + cap_text);
        if (Status st = give(i, t, "prompt character"); !st) return make_error(st.error());
    }
    p.prompt_chars = prompt_cps.size();

    // --- constraints and the acrostic
    for (const Constraint& c : r.constraints) {
        auto id = char_id(c.text, "constraint at position " + std::to_string(c.position));
        if (!id) return make_error(id.error());
        if (Status st = give(c.position, *id, "constraint"); !st) return make_error(st.error());
    }
    if (!r.acrostic.empty()) {
        if (!p.shape.regular())
            return make_error("an acrostic needs a regular form (its line starts), not '" + p.form + "'");
        std::vector<std::string> heads;
        for (const std::string& cp : io::split_utf8(r.acrostic)) {
            if (cp != "\r" && cp != "\n" && cp != " ") heads.push_back(cp);
        }
        if (heads.size() > p.shape.lines)
            return make_error("the acrostic has " + std::to_string(heads.size()) + " characters, " + p.form +
                              " has " + std::to_string(p.shape.lines) + " lines");
        for (size_t i = 0; i < heads.size(); ++i) {
            auto id = char_id(heads[i], "acrostic character " + std::to_string(i + 1));
            if (!id) return make_error(id.error());
            if (!is_poem_char(heads[i]))
                return make_error("acrostic character " + std::to_string(i + 1) + " " + spell(heads[i]) +
                                  " is not a poem character");
            if (Status st = give(p.shape.line_start(i), *id, "acrostic character " + std::to_string(i + 1));
                !st)
                return make_error(st.error());
        }
    }

    p.min_length = p.given.empty() ? 1 : p.given.rbegin()->first + 1;
    if (p.length != 0 && p.min_length > p.length) {
        const size_t pos = p.given.rbegin()->first;
        return make_error("a given character at position " + std::to_string(pos) +
                          " is past the poem's length " + std::to_string(p.length) + " (" +
                          length_source_name(p.length_source) + ")");
    }
    return p;
}

}  // namespace

Result<PoemPlan> plan_poem(const NatModel& model, const NatRequest& request) {
    return plan_with({*model.tokenizer, model.forms, model.default_form(), model.form_names(),
                      model.cmlm->max_len, model.cmlm->max_len_fixed},
                     request);
}

Result<GenerateRequest> at_request_for(const TextModel& at, const NatRequest& request) {
    if (request.mode != NatMode::length)
        return make_error(
            "fixed mode is the CMLM's input format; an AT model ends at <eos> by itself (use mode length)");
    if (request.length_beam != 1 || request.sample || request.strategy != NatStrategy::nat)
        return make_error(
            "at_request_for takes the poem's constraints only (no length beam, sampling or hybrid)");
    const size_t start = at.forms.empty() ? 1 : 2;  // <bos> (<form>)
    const size_t context = at.transformer->config.context;
    const size_t longest = context > start + 1 ? context - start - 1 : 0;  // room for the <eos>
    auto plan = plan_with({*at.tokenizer, at.forms, at.default_form(), at.form_names(), longest, longest,
                           "the AT context without <bos>, form and <eos>"},
                          request);
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

// ------------------------------------------------------------------------------------------- session
Result<NatSession> NatSession::create(const NatModel& model, const NatRequest& request) {
    if (request.strategy != NatStrategy::nat)
        return make_error("a NatSession decodes strategy \"nat\"; the hybrid is a HybridSession");
    auto plan = plan_poem(model, request);
    if (!plan) return make_error(plan.error());
    return create(model, std::move(*plan), request);
}

Result<NatSession> NatSession::create(const NatModel& model, PoemPlan plan, const NatRequest& settings,
                                      std::shared_ptr<models::TransformerState> state) {
    if (!model.cmlm || !model.tokenizer) return make_error("nat: no model");
    if (Status st = check_settings(settings, plan); !st) return make_error(st.error());
    const models::Cmlm& cm = *model.cmlm;
    const size_t rows = 2 + std::max(cm.max_len, cm.max_len_fixed);
    if (!state) state = std::make_shared<models::TransformerState>(models::make_state(cm.transformer, rows));
    if (state->max_rows < rows)
        return make_error("nat: the state holds " + std::to_string(state->max_rows) +
                          " rows, the CMLM needs " + std::to_string(rows));
    auto form = model.form_id(plan.form);
    if (!form) return make_error("unknown form '" + plan.form + "' (known: " + model.form_names() + ")");
    const size_t V = cm.transformer.config.vocab_size;

    NatSession s;
    s.cmlm_ = model.cmlm;
    s.tokenizer_ = model.tokenizer;
    s.settings_ = settings;
    s.mode_token_ = plan.mode == NatMode::length ? model.len : model.fixed;
    s.form_token_ = *form;
    s.mask_ = model.mask;
    s.state_ = std::move(state);
    s.rng_ = Pcg32(settings.seed);
    s.x_.resize(V);
    s.values_.resize(V);
    s.order_.resize(V);
    s.lengths_.resize(cm.max_len + 1);
    for (size_t id = 0; id < V;
         ++id) {  // no specials in a poem (fixed mode: but <eos>), no ids without a token
        const bool eos = int32_t(id) == model.tokenizer->eos();
        if (id >= model.tokenizer->size() ||
            (model.tokenizer->is_special(int32_t(id)) && !(eos && plan.mode == NatMode::fixed)))
            s.banned_.push_back(int32_t(id));
    }
    NatResult& r = s.result_;
    r.mode = plan.mode;
    r.sample = settings.sample;
    r.seed = settings.seed;
    r.unknown_chars = plan.unknown_chars;
    r.length_source = plan.length_source;
    r.prompt_tokens = 2 + plan.prompt_chars;
    r.text = plan.prompt_text;
    for (const auto& [pos, id] : plan.given) r.given.push_back(pos);
    s.plan_ = std::move(plan);
    if (s.plan_.mode == NatMode::fixed) {
        s.add_candidate(cm.max_len_fixed);
    } else if (s.plan_.length != 0) {
        s.add_candidate(s.plan_.length);
    } else {
        s.length_pending_ = true;
    }
    if (!s.length_pending_ && s.candidates_[0].done) s.finish(NatStop::none);  // nothing to predict
    return s;
}

void NatSession::add_candidate(size_t length) {
    Candidate c;
    c.length = length;
    c.seq.assign(2 + length, mask_);
    c.seq[0] = mode_token_;
    c.seq[1] = form_token_;
    c.given.assign(length, 0);
    c.confidence.assign(length, std::numeric_limits<float>::quiet_NaN());
    c.records.resize(length);
    auto give = [&](size_t pos, int32_t id) {
        c.seq[2 + pos] = id;
        c.given[pos] = 1;
        c.records[pos].id = id;
        c.records[pos].text = tokenizer_->token_text(id);
        c.records[pos].forced = true;
    };
    for (const auto& [pos, id] : plan_.given) {
        if (pos < length) give(pos, id);
    }
    if (plan_.mode == NatMode::fixed && plan_.length != 0) {  // a known length: <eos> from there on
        for (size_t pos = plan_.length; pos < length; ++pos) give(pos, tokenizer_->eos());
    }
    for (size_t pos = 0; pos < length; ++pos) {
        if (!c.given[pos]) c.todo.push_back(pos);
    }
    c.masked = c.todo;
    c.done = c.todo.empty();
    candidates_.push_back(std::move(c));
}

Result<NatEvent> NatSession::step() {
    if (done())
        return make_error(std::string("nat: the session is done (") + nat_stop_name(result_.stop_reason) +
                          ")");
    const auto t0 = Clock::now();
    auto ev = length_pending_ ? step_length() : step_pass();
    busy_ += Clock::now() - t0;
    result_.ms = to_ms(busy_);
    result_.tokens_per_s = result_.ms > 0 ? double(result_.tokens.size()) / (result_.ms / 1000.0) : 0.0;
    if (ev) {
        ev->index = steps_++;
        ev->done = done();
    }
    return ev;
}

Result<NatEvent> NatSession::step_length() {
    const models::Cmlm& cm = *cmlm_;
    const std::array<int32_t, 2> prefix = {mode_token_, form_token_};
    auto out = models::forward_all(cm.transformer, *state_, prefix);
    if (!out) return fail("nat: length pass: " + out.error());
    ++result_.forward_passes;
    models::length_logits(cm, *state_, lengths_);
    ops::log_softmax(lengths_.data(), lengths_.size());
    // Lengths that hold every given position, most probable first (ties: the shorter first).
    std::vector<size_t> order;
    for (size_t L = plan_.min_length; L <= cm.max_len; ++L) order.push_back(L);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return lengths_[a] > lengths_[b]; });
    const size_t beam = std::min(settings_.length_beam, order.size());
    const size_t shown = std::min(order.size(), std::max(kLengthCandidatesShown, beam));
    NatEvent ev;
    ev.kind = NatEvent::Kind::length;
    for (size_t i = 0; i < shown; ++i)
        result_.length_candidates.push_back({order[i], double(lengths_[order[i]])});
    ev.length_candidates = result_.length_candidates;
    for (size_t i = 0; i < beam; ++i) {
        add_candidate(order[i]);
        ev.decoding.push_back(order[i]);
    }
    length_pending_ = false;
    bool all_done = true;
    for (const Candidate& c : candidates_) all_done = all_done && c.done;
    if (all_done) finish(NatStop::none);
    return ev;
}

Status NatSession::run_pass(Candidate& c, size_t t) {
    const models::Transformer& tf = cmlm_->transformer;
    const size_t V = tf.config.vocab_size;
    auto logits = models::forward_all(tf, *state_, c.seq);
    if (!logits) return Status::failure("nat: pass " + std::to_string(t) + ": " + logits.error());
    ++result_.forward_passes;
    const float* rows = logits->data();
    std::span<float> x(x_.data(), V);
    for (size_t p : c.masked) {
        const float* row = rows + (2 + p) * V;
        std::copy(row, row + V, x.begin());
        for (int32_t banned : banned_) x[size_t(banned)] = -std::numeric_limits<float>::infinity();
        int32_t id = 0;
        if (!settings_.sample) {
            id = int32_t(ops::argmax(x.data(), V));
            ops::softmax(x.data(), V, nullptr);
        } else {
            sampling_distribution(x, {settings_.temperature, settings_.top_k, settings_.top_p}, order_,
                                  values_);
            id = int32_t(draw(x, rng_.uniform()));
        }
        c.seq[2 + p] = id;
        c.confidence[p] = x[size_t(id)];
        c.records[p] = make_record(*tokenizer_, id, x, false, settings_.top_n, order_, values_);
    }
    // Given positions after the prompt: the probability this pass gives them (for the result's tokens).
    for (size_t p = plan_.prompt_chars; p < c.length; ++p) {
        if (!c.given[p]) continue;
        const float* row = rows + (2 + p) * V;
        std::copy(row, row + V, x.begin());
        ops::softmax(x.data(), V, nullptr);
        c.records[p] = make_record(*tokenizer_, c.seq[2 + p], x, true, settings_.top_n, order_, values_);
    }
    c.passes = t;
    c.logprob = 0.0;
    for (size_t p : c.todo) c.logprob += std::log(double(c.confidence[p]));

    NatPass rec;
    rec.pass = t;
    rec.length = c.length;
    rec.text = poem_text(c, 0);
    for (size_t p = 0; p < c.length; ++p) rec.slots.push_back(tokenizer_->token_text(c.seq[2 + p]));
    rec.masked = c.masked;
    rec.confidence = c.confidence;
    c.history.push_back(std::move(rec));

    const size_t n = remask_count(c.todo.size(), settings_.iterations, t);
    if (n == 0) {
        c.done = true;
        c.masked.clear();
        return {};
    }
    std::vector<size_t> order = c.todo;  // ascending, so stable_sort breaks ties by position
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return c.confidence[a] < c.confidence[b]; });
    order.resize(n);
    std::sort(order.begin(), order.end());
    for (size_t p : order) c.seq[2 + p] = mask_;
    c.masked = std::move(order);
    return {};
}

Result<NatEvent> NatSession::step_pass() {
    ++pass_;
    for (Candidate& c : candidates_) {
        if (c.done) continue;
        if (Status st = run_pass(c, pass_); !st) return fail(st.error());
    }
    NatEvent ev;
    ev.kind = NatEvent::Kind::pass;
    const Candidate& best = candidates_[best_candidate()];
    if (!best.history.empty()) ev.pass = best.history.back();
    for (const Candidate& c : candidates_) ev.beams.push_back(beam_of(c));
    bool all_done = true;
    for (const Candidate& c : candidates_) all_done = all_done && c.done;
    if (all_done) finish(NatStop::none);
    return ev;
}

NatBeam NatSession::beam_of(const Candidate& c) const {
    NatBeam b;
    b.length = c.length;
    b.logprob = c.logprob;
    b.avg_logprob = c.todo.empty() ? 0.0 : c.logprob / double(c.todo.size());
    b.passes = c.passes;
    b.text = poem_text(c, 0);
    return b;
}

size_t NatSession::best_candidate() const {
    size_t best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < candidates_.size(); ++i) {
        const Candidate& c = candidates_[i];
        if (c.passes == 0 && !c.todo.empty()) continue;  // not predicted yet
        const double s = beam_of(c).avg_logprob;
        if (s > best_score) {
            best = i;
            best_score = s;
        }
    }
    return best;
}

// The poem from position `from` (fixed mode: up to the first <eos>, whose position goes to *cut).
std::string NatSession::poem_text(const Candidate& c, size_t from, size_t* cut) const {
    size_t end = c.length;
    if (plan_.mode == NatMode::fixed) {
        for (size_t p = 0; p < c.length; ++p) {
            if (c.seq[2 + p] == tokenizer_->eos()) {
                end = p;
                break;
            }
        }
    }
    if (cut) *cut = end;
    from = std::min(from, end);
    return tokenizer_->decode(std::span<const int32_t>(c.seq.data() + 2 + from, end - from));
}

void NatSession::finish(NatStop reason) {
    NatResult& r = result_;
    if (!candidates_.empty()) {
        const size_t b = best_candidate();
        const Candidate& c = candidates_[b];
        size_t end = 0;
        const size_t from = plan_.prompt_chars;
        const std::string completion = poem_text(c, from, &end);
        const bool predicted = c.passes > 0 || c.todo.empty();
        output_.assign(c.seq.begin() + 2, c.seq.end());
        r.length = end;
        r.iterations = c.passes;
        r.logprob = c.logprob;
        r.score = beam_of(c).avg_logprob;
        r.passes = c.history;
        r.beams.clear();
        for (const Candidate& k : candidates_) r.beams.push_back(beam_of(k));
        r.tokens.clear();
        if (predicted) {
            r.completion = completion;
            r.text = plan_.prompt_text + completion;
            const size_t last =
                plan_.mode == NatMode::fixed && end < c.length ? end + 1 : end;  // the <eos> too
            for (size_t p = std::min(from, end); p < last; ++p) r.tokens.push_back(c.records[p]);
        }
        if (reason == NatStop::none) {
            reason = plan_.mode == NatMode::length ? NatStop::length
                     : end < c.length              ? NatStop::eos
                                                   : NatStop::max_tokens;
        }
    } else if (reason == NatStop::none) {
        reason = NatStop::length;
    }
    r.stop_reason = reason;
    r.tokens_per_s = r.ms > 0 ? double(r.tokens.size()) / (r.ms / 1000.0) : 0.0;
}

void NatSession::cancel() {
    if (!done()) finish(NatStop::cancelled);
}

Result<NatEvent> NatSession::fail(std::string message) {
    result_.error = message;
    result_.stop_reason = NatStop::error;
    return make_error(std::move(message));
}

// -------------------------------------------------------------------------------------------- hybrid
Result<HybridSession> HybridSession::create(const TextModel& at, const NatModel& nat,
                                            const NatRequest& request) {
    if (!at.transformer || !at.tokenizer || !nat.cmlm || !nat.tokenizer)
        return make_error("hybrid: no model");
    if (request.sample)
        return make_error(
            "the hybrid reproduces AT greedy: its drafts use argmax (decoding \"sample\" is not used)");
    if (request.length_beam != 1) return make_error("the hybrid drafts one length: length_beam must be 1");
    const io::Tokenizer& tok = *nat.tokenizer;
    if (at.tokenizer->size() != tok.size())
        return make_error(
            "the AT and NAT models must share the tokenizer: " + std::to_string(at.tokenizer->size()) +
            " vs " + std::to_string(tok.size()) + " tokens");
    for (size_t i = 0; i < tok.size(); ++i) {
        if (at.tokenizer->token_text(int32_t(i)) != tok.token_text(int32_t(i)))
            return make_error("the AT and NAT models must share the tokenizer: token " + std::to_string(i) +
                              " is " + spell(at.tokenizer->token_text(int32_t(i))) + " vs " +
                              spell(tok.token_text(int32_t(i))));
    }
    NatRequest settings = request;
    settings.strategy = NatStrategy::nat;
    auto plan = plan_poem(nat, settings);
    if (!plan) return make_error(plan.error());
    if (Status st = check_settings(settings, *plan); !st) return make_error(st.error());
    const GenerateRequest g = at_request(*plan, tok);
    auto prompt = encode_prompt(at, g.form, g.prompt);
    if (!prompt) return make_error(prompt.error());
    const size_t C = at.transformer->config.context;
    if (prompt->tokens.size() >= C)
        return make_error("the prompt is " + std::to_string(prompt->tokens.size() - prompt->body_start) +
                          " tokens long; with the start tokens it must stay under the context of " +
                          std::to_string(C) + " tokens");

    HybridSession s;
    for (const Constraint& c : g.constraints) {
        const size_t pos = prompt->body_start + c.position;
        if (pos >= C)
            return make_error("constraint at position " + std::to_string(c.position) +
                              " is past the AT context");
        s.forced_[pos] = *tok.id_of(c.text);
    }
    const models::Cmlm& cm = *nat.cmlm;
    const size_t V = at.transformer->config.vocab_size;
    s.at_ = at.transformer;
    s.tokenizer_ = at.tokenizer;
    s.nat_ = nat;
    s.plan_ = std::move(*plan);
    s.settings_ = settings;
    s.seq_ = prompt->tokens;
    s.seq_.reserve(C);
    s.body_start_ = prompt->body_start;
    s.prompt_size_ = prompt->tokens.size();
    s.at_state_ = models::make_state(*at.transformer, 0);
    s.nat_state_ = std::make_shared<models::TransformerState>(
        models::make_state(cm.transformer, 2 + std::max(cm.max_len, cm.max_len_fixed)));
    s.probs_.resize(V);
    s.logp_.resize(V);
    s.values_.resize(V);
    s.order_.resize(V);
    s.info_.text = g.prompt;
    s.info_.unknown_chars = prompt->unknown_chars;
    s.result_.text = g.prompt;
    s.result_.prompt_tokens = s.prompt_size_;
    s.result_.iterations = settings.iterations;
    s.result_.unknown_chars = prompt->unknown_chars;
    return s;
}

Result<HybridEvent> HybridSession::step() {
    if (done())
        return make_error(std::string("hybrid: the session is done (") +
                          stop_reason_name(result_.stop_reason) + ")");
    const auto t0 = Clock::now();
    const io::Tokenizer& tok = *tokenizer_;
    const models::Cmlm& cm = *nat_.cmlm;
    const size_t C = at_->config.context, V = at_->config.vocab_size;
    const size_t S = seq_.size(), chars = S - body_start_;
    HybridRound round;
    round.round = result_.rounds.size() + 1;

    // --- 1. the CMLM drafts the rest, the accepted text given
    std::vector<int32_t> draft;
    const size_t cap = plan_.mode == NatMode::length ? cm.max_len : cm.max_len_fixed;
    const bool room = chars < cap && (plan_.length == 0 || chars < plan_.length);
    if (room) {
        PoemPlan p = plan_;
        for (size_t i = 0; i < chars; ++i) p.given[i] = seq_[body_start_ + i];
        p.prompt_chars = chars;
        p.min_length = std::max(p.min_length, chars + 1);
        if (p.mode == NatMode::length && p.length_source == LengthSource::predicted &&
            predicted_length_ != 0) {
            p.length_source = LengthSource::given;
            p.length = std::max(predicted_length_, p.min_length);
        }
        auto ns = NatSession::create(nat_, std::move(p), settings_, nat_state_);
        if (!ns) return fail("hybrid: draft: " + ns.error());
        while (!ns->done()) {
            auto ev = ns->step();
            if (!ev) return fail("hybrid: draft: " + ev.error());
        }
        const NatResult& nr = ns->result();
        round.nat_passes = nr.forward_passes;
        if (predicted_length_ == 0 && plan_.mode == NatMode::length)
            predicted_length_ = ns->output_ids().size();
        const std::vector<int32_t>& y = ns->output_ids();
        const size_t end = plan_.mode == NatMode::length ? y.size() : nr.length;
        draft.assign(y.begin() + std::ptrdiff_t(std::min(chars, end)), y.begin() + std::ptrdiff_t(end));
    }
    draft.push_back(tok.eos());
    if (S + draft.size() > C) draft.resize(C - S);  // positions S .. S+m-1 stay inside the context
    round.draft = tok.decode(draft);
    round.drafted = draft.size();

    // --- 2. AT checks the draft in one pass: the uncached tokens + the draft
    std::vector<int32_t> feed(seq_.begin() + std::ptrdiff_t(fed_), seq_.end());
    feed.insert(feed.end(), draft.begin(), draft.end());
    auto logits = models::forward_all(*at_, at_state_, feed, fed_);
    if (!logits) return fail("hybrid: verify: " + logits.error());
    ++result_.at_passes;
    const float* rows = logits->data();
    // AT greedy's pick for sequence position `pos` (read from the row of position pos - 1).
    auto pick = [&](size_t pos) {
        const float* row = rows + (pos - 1 - fed_) * V;
        const auto forced = forced_.find(pos);
        const bool is_forced = forced != forced_.end();
        std::copy(row, row + V, logp_.begin());
        ops::log_softmax(logp_.data(), V);
        // As GenerationSession: <eos> is not a choice while a forced token lies ahead.
        std::copy(row, row + V, probs_.begin());
        if (forced_.upper_bound(pos) != forced_.end()) probs_[size_t(tok.eos())] = std::numeric_limits<float>::lowest();
        const int32_t id = is_forced ? forced->second : int32_t(ops::argmax(probs_.data(), V));
        ops::softmax(probs_.data(), V, nullptr);
        TokenRecord rec = make_record(tok, id, probs_, is_forced, settings_.top_n, order_, values_);
        result_.logprob += logp_[size_t(id)];
        seq_.push_back(id);
        result_.tokens.push_back(std::move(rec));
        return id;
    };
    StopReason stop = StopReason::none;
    auto ended = [&](int32_t id) {
        if (id == tok.eos())
            stop = StopReason::eos;
        else if (seq_.size() >= C)
            stop = StopReason::context_full;
        return stop != StopReason::none;
    };
    size_t accepted = 0;
    bool disagreed = false;
    for (size_t j = 0; j < draft.size() && stop == StopReason::none; ++j) {
        const int32_t id = pick(S + j);
        if (id == draft[j]) {
            ++accepted;
        } else {
            round.at_token = tok.token_text(id);
            disagreed = true;
        }
        if (ended(id) || disagreed) break;
    }
    if (!disagreed && stop == StopReason::none) {  // the whole draft agreed: AT's next token comes free
        const int32_t id = pick(S + draft.size());
        round.at_token = tok.token_text(id);
        ended(id);
    }
    fed_ = S + accepted;  // the rejected draft token's cache row is overwritten by the next pass
    round.accepted = accepted;

    // --- 3. bookkeeping
    result_.drafted += round.drafted;
    result_.accepted += accepted;
    result_.nat_passes += round.nat_passes;
    result_.forward_passes = result_.at_passes + result_.nat_passes;
    result_.at_greedy_passes = result_.tokens.size();
    result_.saved_passes = (long long)result_.at_greedy_passes - (long long)result_.at_passes;
    result_.completion =
        tok.decode(std::span<const int32_t>(seq_.data() + prompt_size_, seq_.size() - prompt_size_));
    result_.text = info_.text + result_.completion;
    result_.score = result_.tokens.empty() ? 0.0 : result_.logprob / double(result_.tokens.size());
    round.text = result_.text;
    result_.rounds.push_back(round);
    if (stop != StopReason::none) finish(stop);
    busy_ += Clock::now() - t0;
    result_.ms = to_ms(busy_);
    result_.tokens_per_s = result_.ms > 0 ? double(result_.tokens.size()) / (result_.ms / 1000.0) : 0.0;
    HybridEvent ev;
    ev.index = round.round - 1;
    ev.round = std::move(round);
    ev.done = done();
    return ev;
}

void HybridSession::cancel() {
    if (!done()) finish(StopReason::cancelled);
}

void HybridSession::finish(StopReason reason) {
    result_.stop_reason = reason;
}

Result<HybridEvent> HybridSession::fail(std::string message) {
    result_.error = message;
    finish(StopReason::error);
    return make_error(std::move(message));
}

}  // namespace atnat::decode
