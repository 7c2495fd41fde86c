#include "core/decode/nat.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/ops/ops.hpp"

namespace atnat::decode {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxIterations = 100;
constexpr size_t kMaxLengthBeam = 8;
constexpr size_t kMaxTopN = 20;
constexpr size_t kLengthCandidatesShown = 5;

}  // namespace

size_t remask_count(size_t m, size_t iterations, size_t t) {
    if (iterations == 0 || t >= iterations) return 0;
    return m * (iterations - t) / iterations;
}

// --------------------------------------------------------------------------------------------- model
Result<NatModel> NatModel::load(const io::WeightFile& file) {
    auto cmlm = models::load_cmlm(file);
    if (!cmlm) return make_error(cmlm.error());
    auto vocabulary = load_vocabulary(file, cmlm->transformer.config.vocab_size, /*require_forms=*/true);
    if (!vocabulary) return make_error(vocabulary.error());
    NatModel m{std::move(*vocabulary), std::make_shared<const models::Cmlm>(std::move(*cmlm))};
    m.mask = m.tokenizer->mask();
    m.len = m.tokenizer->special("len").value_or(-1);
    m.fixed = m.tokenizer->special("fixed").value_or(-1);
    if (m.mask < 0 || m.len < 0 || m.fixed < 0)
        return make_error("the tokenizer lacks a special the CMLM's inputs need (mask, len, fixed)");
    return m;
}

Result<NatModel> NatModel::load(std::vector<uint8_t> bytes) {
    auto file = io::WeightFile::parse(std::move(bytes));
    if (!file) return make_error(file.error());
    return load(*file);
}

// ---------------------------------------------------------------------------------------------- plan
Result<PoemPlan> plan_poem(const NatModel& model, const PoemRequest& request) {
    return plan_poem(model, PoemLimits{model.cmlm->max_len, model.cmlm->max_len_fixed}, request);
}

Status check_nat_settings(const NatRequest& r, const PoemPlan& plan) {
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
                               name_of(plan.length_source));
    if (!(r.guidance >= 0.f && r.guidance <= kMaxGuidance))
        return Status::failure("guidance = " + format_number(r.guidance) + " is outside [0, " +
                               format_number(kMaxGuidance) + "]");
    if (r.top_n > kMaxTopN)
        return Status::failure("top_n = " + std::to_string(r.top_n) + " is outside [0, " +
                               std::to_string(kMaxTopN) + "]");
    return {};
}

// ------------------------------------------------------------------------------------------- session
size_t nat_state_rows(const models::Cmlm& cm) {
    return 2 + std::max(cm.max_len, cm.max_len_fixed);
}

MemoryPart nat_state_memory(const models::Cmlm& cm, const std::string& name) {
    const size_t rows = nat_state_rows(cm);
    return {name + " (" + std::to_string(rows) + " rows, context " +
                std::to_string(cm.transformer.config.context) + ")",
            models::state_bytes(cm.transformer.config, rows)};
}

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
    if (Status st = check_nat_settings(settings, plan); !st) return make_error(st.error());
    const models::Cmlm& cm = *model.cmlm;
    const size_t rows = nat_state_rows(cm);
    if (!state) {
        std::vector<MemoryPart> parts = {{"weights", cm.transformer.file.byte_size()}, nat_state_memory(cm)};
        if (settings.guidance > 0.f)
            parts.push_back(
                {"guided logits", uint64_t(rows) * cm.transformer.config.vocab_size * sizeof(float)});
        const Status st = check_memory(settings.max_memory, parts);
        if (!st) return make_error(st.error());
        state = std::make_shared<models::TransformerState>(models::make_state(cm.transformer, rows));
    }
    if (state->max_rows < rows)
        return make_error("nat: the state holds " + std::to_string(state->max_rows) +
                          " rows, the CMLM needs " + std::to_string(rows));
    auto form = model.form_id(plan.form);
    if (!form) return make_error("unknown form '" + plan.form + "' (known: " + model.form_names() + ")");
    const size_t V = cm.transformer.config.vocab_size;
    PickerSettings picking;
    picking.sample = settings.decoding == Decoding::sample;
    picking.sampling = settings;
    picking.top_n = settings.top_n;
    picking.seed = settings.seed;
    picking.repetition_penalty = settings.repetition_penalty;
    for (size_t id = 0; id < V;
         ++id) {  // no specials in a poem (fixed mode: but <eos>), no ids without a token
        const bool eos = int32_t(id) == model.tokenizer->eos();
        if (id >= model.tokenizer->size() ||
            (model.tokenizer->is_special(int32_t(id)) && !(eos && plan.mode == NatMode::fixed)))
            picking.banned.push_back(int32_t(id));
    }
    auto picker = TokenPicker::create(V, std::move(picking));
    if (!picker) return make_error(picker.error());

    NatSession s;
    s.cmlm_ = model.cmlm;
    s.tokenizer_ = model.tokenizer;
    s.settings_ = settings;
    s.mode_token_ = plan.mode == NatMode::length ? model.len : model.fixed;
    s.form_token_ = *form;
    s.mask_ = model.mask;
    s.state_ = std::move(state);
    s.picker_ = std::move(*picker);
    s.lengths_.resize(cm.max_len + 1);
    if (settings.repetition_penalty != 1.f || settings.guidance > 0.f) {
        s.poem_char_.resize(model.tokenizer->size());
        for (size_t id = 0; id < s.poem_char_.size(); ++id) {
            const bool special = model.tokenizer->is_special(int32_t(id));
            s.poem_char_[id] = !special && is_poem_char(model.tokenizer->token_text(int32_t(id)));
        }
        s.canvas_.reserve(rows);
    }
    if (settings.guidance > 0.f) {
        for (size_t q = 0; q < plan.prompt_chars; ++q)
            s.guidance_on_ = s.guidance_on_ || s.is_poem_char_id(plan.given.at(q));
        s.guided_logits_.reserve(rows * V);
        s.blind_.reserve(rows);
    }
    NatResult& r = s.result_;
    r.mode = plan.mode;
    r.sample = settings.decoding == Decoding::sample;
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
    if (!s.length_pending_ && s.candidates_[0].done) s.finish(StopReason::none);  // nothing to predict
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
        return make_error(std::string("nat: the session is done (") + name_of(result_.stop_reason) + ")");
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
    // + the prompt's first line before its "，" or "。", as CMLM.length_logits is trained (first_line_length)
    std::vector<int32_t> prefix = {mode_token_, form_token_};
    if (cm.length_prompt) {
        const auto comma = tokenizer_->id_of("，"), full_stop = tokenizer_->id_of("。");
        for (size_t pos = 0; pos < plan_.prompt_chars; ++pos) {
            const int32_t id = plan_.given.at(pos);
            if (id == comma || id == full_stop) break;
            prefix.push_back(id);
        }
    }
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
    if (all_done) finish(StopReason::none);
    return ev;
}

Status NatSession::run_pass(Candidate& c, size_t t) {
    const models::Transformer& tf = cmlm_->transformer;
    const size_t V = tf.config.vocab_size;
    auto logits = models::forward_all(tf, *state_, c.seq);
    if (!logits) return Status::failure("nat: pass " + std::to_string(t) + ": " + logits.error());
    ++result_.forward_passes;
    const float* rows = logits->data();
    if (guidance_on_) {
        if (Status st = guide(c, t, rows); !st) return st;
        rows = guided_logits_.data();
    }
    // The repetition penalty's history: the characters this pass's input holds (the canvas).
    canvas_.clear();
    if (settings_.repetition_penalty != 1.f) {
        for (size_t q = 0; q < c.length; ++q) {
            const int32_t id = c.seq[2 + q];
            if (is_poem_char_id(id)) canvas_.push_back(id);
        }
    }
    for (size_t p : c.masked) {
        const Pick pick = picker_.pick({rows + (2 + p) * V, V}, 0, canvas_);
        c.seq[2 + p] = pick.id;
        c.confidence[p] = pick.prob;
        c.records[p] = picker_.record(*tokenizer_, pick);
    }
    // Given positions after the prompt: the probability this pass gives them (for the result's tokens).
    for (size_t p = plan_.prompt_chars; p < c.length; ++p) {
        if (c.given[p]) c.records[p] = picker_.given(*tokenizer_, {rows + (2 + p) * V, V}, c.seq[2 + p]);
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

// Prompt guidance: `rows` are the pass's logits z; the same canvas with the prompt's characters masked gives
// z_blind, and the rows of the positions to predict become (1 + G)·z - G·z_blind in guided_logits_ (the
// others are copied: the records of given positions read them).
Status NatSession::guide(const Candidate& c, size_t t, const float* rows) {
    const models::Transformer& tf = cmlm_->transformer;
    const size_t V = tf.config.vocab_size;
    guided_logits_.assign(rows, rows + (2 + c.length) * V);
    blind_ = c.seq;
    for (size_t q = 0; q < plan_.prompt_chars; ++q) {
        if (is_poem_char_id(c.seq[2 + q])) blind_[2 + q] = mask_;
    }
    auto blind = models::forward_all(tf, *state_, blind_);
    if (!blind) return Status::failure("nat: pass " + std::to_string(t) + " (guidance): " + blind.error());
    ++result_.forward_passes;
    ++result_.blind_passes;
    const float g = settings_.guidance;
    for (size_t p : c.masked) {
        float* row = guided_logits_.data() + (2 + p) * V;
        const float* blind_row = blind->data() + (2 + p) * V;
        for (size_t v = 0; v < V; ++v) row[v] = (1.f + g) * row[v] - g * blind_row[v];
    }
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
    if (all_done) finish(StopReason::none);
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

void NatSession::finish(StopReason reason) {
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
        if (reason == StopReason::none) {
            reason = plan_.mode == NatMode::length ? StopReason::length
                     : end < c.length              ? StopReason::eos
                                                   : StopReason::max_tokens;
        }
    } else if (reason == StopReason::none) {
        reason = StopReason::length;
    }
    r.stop_reason = reason;
    r.tokens_per_s = r.ms > 0 ? double(r.tokens.size()) / (r.ms / 1000.0) : 0.0;
}

void NatSession::cancel() {
    if (!done()) finish(StopReason::cancelled);
}

Result<NatEvent> NatSession::fail(std::string message) {
    result_.error = message;
    result_.stop_reason = StopReason::error;
    return make_error(std::move(message));
}

}  // namespace atnat::decode
