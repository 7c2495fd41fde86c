#include "core/decode/pronounce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/decode/language_model.hpp"
#include "core/ops/ops.hpp"

namespace atnat::decode {

namespace {

using Clock = std::chrono::steady_clock;

// Every id the decoders may not write: all but the phonemes and (AT only) <eos>.
std::vector<int32_t> banned_ids(const io::G2PTokenizer& tok, size_t vocab, bool allow_eos) {
    std::vector<int32_t> out;
    for (size_t id = 0; id < vocab; ++id) {
        const auto i = int32_t(id);
        if (tok.is_phoneme(i) || (allow_eos && i == tok.eos())) continue;
        out.push_back(i);
    }
    return out;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ model

Result<PronounceModel> PronounceModel::load(const io::WeightFile& file) {
    if (file.arch() != "g2p")
        return make_error("arch '" + file.arch() + "' is not a pronunciation model (g2p)");
    auto s2s = models::load_seq2seq(file);
    if (!s2s) return make_error(s2s.error());
    if (!file.has_tokenizer()) return make_error("the weight file has no tokenizer in its metadata");
    auto tok = io::G2PTokenizer::from_json(file.tokenizer());
    if (!tok) return make_error("tokenizer: " + tok.error());
    if (tok->size() != s2s->config.vocab_size) {
        return make_error("the tokenizer has " + std::to_string(tok->size()) + " tokens, the model " +
                          std::to_string(s2s->config.vocab_size));
    }
    PronounceModel m;
    m.seq2seq = std::make_shared<const models::Seq2Seq>(std::move(*s2s));
    m.tokenizer = std::make_shared<const io::G2PTokenizer>(std::move(*tok));
    return m;
}

Result<PronounceModel> PronounceModel::load(std::vector<uint8_t> bytes) {
    auto file = io::WeightFile::parse(std::move(bytes));
    if (!file) return make_error(file.error());
    return load(*file);
}

Result<std::vector<int32_t>> PronounceModel::letters(std::string_view word) const {
    auto ids = tokenizer->encode_word(word);
    if (!ids) return ids;
    const size_t max = seq2seq->config.max_letters;
    if (ids->size() > max) {
        return make_error("the word has " + std::to_string(ids->size()) +
                          " letters; this model reads at most " + std::to_string(max));
    }
    return ids;
}

// ---------------------------------------------------------------------------------------------- request

std::span<const Choice<PronounceStrategy>> choices(PronounceStrategy) {
    static constexpr Choice<PronounceStrategy> kNames[] = {{PronounceStrategy::greedy, "greedy"},
                                                           {PronounceStrategy::beam, "beam"},
                                                           {PronounceStrategy::sample, "sample"},
                                                           {PronounceStrategy::nat, "nat"}};
    return kNames;
}

Status check(const PronounceRequest& r) {
    const bool sampling = r.strategy == PronounceStrategy::sample ||
                          (r.strategy == PronounceStrategy::nat && r.decoding == Decoding::sample);
    if (Status st = check(static_cast<const SamplingParams&>(r), sampling); !st) return st;
    if (r.strategy == PronounceStrategy::beam && !std::isfinite(r.length_penalty)) {
        return Status::failure("length_penalty must be a finite number");
    }
    return {};
}

// -------------------------------------------------------------------------------------- cross-attention

double diagonality(std::span<const float> a, size_t rows, size_t cols) {
    if (rows == 0 || cols == 0) return 0.0;
    // best[c]: the best Σ A[t', c(t')] over monotonic paths of rows 0 .. t ending at letter c; from[t][c]:
    // the letter of row t-1 on that path.
    std::vector<double> best(cols), next(cols);
    std::vector<size_t> from(rows * cols, 0);
    for (size_t c = 0; c < cols; ++c) best[c] = a[c];
    for (size_t t = 1; t < rows; ++t) {
        double run = -std::numeric_limits<double>::infinity();
        size_t arg = 0;
        for (size_t c = 0; c < cols; ++c) {
            if (best[c] > run) {
                run = best[c];
                arg = c;
            }
            next[c] = run + a[t * cols + c];
            from[t * cols + c] = arg;
        }
        std::swap(best, next);
    }
    size_t c = size_t(std::max_element(best.begin(), best.end()) - best.begin());
    double mass = 0.0;
    for (size_t t = rows; t-- > 0;) {
        for (size_t j = c > 0 ? c - 1 : 0; j <= std::min(c + 1, cols - 1); ++j) mass += a[t * cols + j];
        c = from[t * cols + c];
    }
    return mass / double(rows);
}

// ---------------------------------------------------------------------------------------------- session

Result<PronounceSession> PronounceSession::create(const PronounceModel& model,
                                                  const PronounceRequest& request) {
    if (Status st = check(request); !st) return make_error(st.error());
    const auto start = Clock::now();
    auto letters = model.letters(request.word);
    if (!letters) return make_error(letters.error());
    // The AT strategies keep a self-attention cache per hypothesis and one more for the heatmap's pass.
    const models::Seq2SeqConfig& c = model.seq2seq->config;
    std::vector<MemoryPart> parts = {
        {"weights", model.seq2seq->file.byte_size()},
        {"encoder and decoder state (max_letters " + std::to_string(c.max_letters) + ", max_phonemes " +
             std::to_string(c.max_phonemes) + ")",
         models::state_bytes(c)}};
    if (request.strategy != PronounceStrategy::nat) {
        const bool beam = request.strategy == PronounceStrategy::beam;
        const uint64_t caches = beam ? uint64_t(request.beam) + 1 : 2;
        parts.push_back({std::to_string(caches) + " decoder caches (" +
                             (beam ? "beam = " + std::to_string(request.beam) + ", " : "") + "max_phonemes " +
                             std::to_string(c.max_phonemes) + ")",
                         caches * models::at_cache_bytes(c)});
    }
    if (Status st = check_memory(request.max_memory, parts); !st) return make_error(st.error());
    PronounceSession s;
    s.model_ = model.seq2seq;
    s.tokenizer_ = model.tokenizer;
    s.request_ = request;
    s.letters_ = std::move(*letters);
    s.state_ = std::make_shared<models::Seq2SeqState>(models::make_state(*s.model_));
    s.result_.word = request.word;
    s.result_.strategy = request.strategy;
    s.result_.seed = request.seed;
    const size_t V = s.model_->config.vocab_size;
    if (s.is_nat()) {
        PickerSettings p;
        p.sample = request.decoding == Decoding::sample;
        p.sampling = request;
        p.banned = banned_ids(*s.tokenizer_, V, false);
        p.top_n = request.top_n;
        p.seed = request.seed;
        auto picker = TokenPicker::create(V, std::move(p));
        if (!picker) return make_error(picker.error());
        s.picker_ = std::move(*picker);
    } else {
        DecodeOptions o;
        static_cast<SamplingParams&>(o) = request;
        o.strategy = request.strategy == PronounceStrategy::beam     ? Strategy::beam
                     : request.strategy == PronounceStrategy::sample ? Strategy::sample
                                                                     : Strategy::greedy;
        o.beam_width = request.beam;
        o.length_penalty = request.length_penalty;
        o.seed = request.seed;
        o.max_tokens = s.model_->config.max_phonemes - 1;
        o.eos = s.tokenizer_->eos();
        o.banned = banned_ids(*s.tokenizer_, V, true);
        o.top_n = request.top_n;
        // The tokenizer as the generic session sees it: a view into the G2P tokenizer, kept alive with it.
        std::shared_ptr<const io::Tokenizer> vocab(s.tokenizer_, &s.tokenizer_->vocabulary());
        auto at = GenerationSession::create(std::make_unique<Seq2SeqLM>(s.model_, s.state_), vocab,
                                            {s.tokenizer_->bos()}, std::move(o));
        if (!at) return make_error(at.error());
        s.at_.emplace(std::move(*at));
    }
    if (Status st = models::encode(*s.model_, *s.state_, s.letters_); !st) return make_error(st.error());
    s.result_.forward_passes = 1;
    s.busy_ = Clock::now() - start;
    s.result_.ms = to_ms(s.busy_);
    return s;
}

Result<PronounceEvent> PronounceSession::step() {
    if (done()) return make_error("the session is done");
    const auto start = Clock::now();
    Result<PronounceEvent> ev = !is_nat() ? step_at() : length_pending_ ? step_length() : step_pass();
    busy_ += Clock::now() - start;
    result_.ms = to_ms(busy_);
    if (ev) {
        ev->index = steps_++;
        ev->done = done();
        if (done()) {
            if (Status st = fill_attention(); !st) return fail(st.error());
        }
    }
    return ev;
}

void PronounceSession::cancel() {
    if (done()) return;
    if (is_nat()) {
        finish_nat(StopReason::cancelled);
    } else {
        at_->cancel();
        finish_at();
    }
    (void)fill_attention();  // best effort: a cancelled word keeps its heatmap when the model can give one
}

Result<PronounceEvent> PronounceSession::fail(std::string message) {
    result_.error = message;
    result_.stop_reason = StopReason::error;
    return make_error(std::move(message));
}

std::string PronounceSession::arpabet_of(std::span<const int32_t> ids) const {
    std::string s;
    for (int32_t id : ids) {
        if (!s.empty()) s += ' ';
        s += id == tokenizer_->mask() ? "<mask>" : tokenizer_->vocabulary().token_text(id);
    }
    return s;
}

void PronounceSession::set_output(std::vector<int32_t> ids) {
    result_.arpabet = arpabet_of(ids);
    auto ipa = tokenizer_->ipa_text(ids);
    result_.ipa = ipa ? *ipa : "";
    result_.ids = std::move(ids);
}

// -------------------------------------------------------------------------------------------------- AT

Result<PronounceEvent> PronounceSession::step_at() {
    auto step = at_->step();
    if (!step) {
        finish_at();
        return fail(step.error());
    }
    ++at_steps_;
    PronounceEvent ev;
    if (step->kind == StepEvent::Kind::token) {
        ev.kind = PronounceEvent::Kind::token;
        ev.token = step->token;
        if (step->token.id != tokenizer_->eos()) at_tokens_.push_back(step->token.id);
        ev.arpabet = arpabet_of(at_tokens_);
    } else {
        ev.kind = PronounceEvent::Kind::beam;
        ev.arpabet = step->text;
        ev.score = step->score;
        ev.finished = step->finished;
    }
    if (at_->done()) finish_at();
    return ev;
}

void PronounceSession::finish_at() {
    const GenerateResult& g = at_->result();
    std::vector<int32_t> ids;
    for (const TokenRecord& t : g.tokens) {
        if (t.id != tokenizer_->eos()) ids.push_back(t.id);
    }
    set_output(std::move(ids));
    result_.tokens = g.tokens;
    result_.logprob = g.logprob;
    result_.score = g.score;
    result_.stop_reason = g.stop_reason;
    if (!g.error.empty()) result_.error = g.error;
    result_.forward_passes = 1 + g.forward_passes;
    result_.passes = at_steps_;  // greedy / sample: a token per step; beam: a step of every hypothesis
    result_.candidates.clear();
    for (const BeamCandidate& b : g.candidates) {
        Pronunciation p;
        for (int32_t id : b.tokens) {
            if (id != tokenizer_->eos()) p.ids.push_back(id);
        }
        p.arpabet = arpabet_of(p.ids);
        if (auto ipa = tokenizer_->ipa_text(p.ids)) p.ipa = *ipa;
        p.logprob = b.logprob;
        p.score = b.score;
        p.finished = b.finished;
        result_.candidates.push_back(std::move(p));
    }
}

// ------------------------------------------------------------------------------------------------- NAT

Result<PronounceEvent> PronounceSession::step_length() {
    length_pending_ = false;
    const size_t T = model_->config.max_phonemes;
    length_logp_.assign(state_->length_logits.begin(), state_->length_logits.begin() + T + 1);
    ops::log_softmax(length_logp_.data(), T + 1);
    std::vector<size_t> order(T + 1);
    for (size_t i = 0; i <= T; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return length_logp_[a] > length_logp_[b]; });
    PronounceEvent ev;
    ev.kind = PronounceEvent::Kind::length;
    for (size_t i = 0; i < std::min<size_t>(T + 1, 8); ++i) {
        ev.length_candidates.push_back({order[i], double(length_logp_[order[i]])});
    }
    result_.length_candidates = ev.length_candidates;
    // The K most probable lengths, a predicted 0 read as 1 (model.py clamps the argmax to at least 1).
    for (size_t i = 0; i <= T && ev.decoding.size() < request_.length_beam; ++i) {
        const size_t L = std::max<size_t>(order[i], 1);
        if (std::find(ev.decoding.begin(), ev.decoding.end(), L) != ev.decoding.end()) continue;
        ev.decoding.push_back(L);
        Candidate c;
        c.length = L;
        c.seq.assign(L, tokenizer_->mask());
        c.confidence.assign(L, 0.f);
        c.logp.assign(L, 0.0);
        c.records.resize(L);
        for (size_t p = 0; p < L; ++p) c.masked.push_back(p);
        candidates_.push_back(std::move(c));
    }
    return ev;
}

Status PronounceSession::run_pass(Candidate& c) {
    const size_t V = model_->config.vocab_size, T = request_.iterations;
    auto logits = models::nat_forward(*model_, *state_, c.seq);
    if (!logits) return Status::failure("nat: pass " + std::to_string(c.passes + 1) + ": " + logits.error());
    ++result_.forward_passes;
    ++c.passes;
    const float* rows = logits->data();
    for (size_t p : c.masked) {
        const Pick pick = picker_.pick({rows + p * V, V}, p);
        c.seq[p] = pick.id;
        c.confidence[p] = pick.prob;
        c.logp[p] = pick.logprob;
        c.records[p] = picker_.record(tokenizer_->vocabulary(), pick);
    }
    c.logprob = 0.0;
    for (double lp : c.logp) c.logprob += lp;

    NatPass rec;
    rec.pass = c.passes;
    rec.length = c.length;
    rec.text = arpabet_of(c.seq);
    for (int32_t id : c.seq) rec.slots.push_back(tokenizer_->vocabulary().token_text(id));
    rec.masked = c.masked;
    rec.confidence = c.confidence;
    c.history.push_back(std::move(rec));

    const size_t n = remask_count(c.length, T, c.passes);
    if (c.passes >= T || n == 0) {
        c.done = true;
        c.masked.clear();
        return {};
    }
    std::vector<size_t> order(c.length);
    for (size_t p = 0; p < c.length; ++p) order[p] = p;  // ascending, so stable_sort breaks ties by position
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return c.confidence[a] < c.confidence[b]; });
    order.resize(n);
    std::sort(order.begin(), order.end());
    for (size_t p : order) c.seq[p] = tokenizer_->mask();
    c.masked = std::move(order);
    return {};
}

NatBeam PronounceSession::beam_of(const Candidate& c) const {
    NatBeam b;
    b.length = c.length;
    b.logprob = c.logprob;
    b.avg_logprob = c.length ? c.logprob / double(c.length) : 0.0;
    b.passes = c.passes;
    b.text = arpabet_of(c.seq);
    return b;
}

size_t PronounceSession::best_candidate() const {
    size_t best = 0;
    for (size_t i = 1; i < candidates_.size(); ++i) {
        if (beam_of(candidates_[i]).avg_logprob > beam_of(candidates_[best]).avg_logprob) best = i;
    }
    return best;
}

Result<PronounceEvent> PronounceSession::step_pass() {
    for (Candidate& c : candidates_) {
        if (c.done) continue;
        if (Status st = run_pass(c); !st) {
            finish_nat(StopReason::error);
            return fail(st.error());
        }
    }
    PronounceEvent ev;
    ev.kind = PronounceEvent::Kind::pass;
    const Candidate& best = candidates_[best_candidate()];
    ev.pass = best.history.back();
    ev.arpabet = arpabet_of(best.seq);
    for (const Candidate& c : candidates_) ev.beams.push_back(beam_of(c));
    if (std::all_of(candidates_.begin(), candidates_.end(), [](const Candidate& c) { return c.done; })) {
        finish_nat(StopReason::length);
    }
    return ev;
}

void PronounceSession::finish_nat(StopReason reason) {
    result_.stop_reason = reason;
    if (candidates_.empty()) return;
    std::vector<size_t> order(candidates_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return beam_of(candidates_[a]).avg_logprob > beam_of(candidates_[b]).avg_logprob;
    });
    result_.candidates.clear();
    for (size_t i : order) {
        const Candidate& c = candidates_[i];
        Pronunciation p;
        p.ids = c.seq;
        p.arpabet = arpabet_of(c.seq);
        if (auto ipa = tokenizer_->ipa_text(c.seq)) p.ipa = *ipa;  // none while a <mask> is left
        p.logprob = c.logprob;
        p.score = beam_of(c).avg_logprob;
        p.passes = c.passes;
        result_.candidates.push_back(std::move(p));
    }
    const Candidate& best = candidates_[order[0]];
    std::vector<int32_t> ids;
    for (int32_t id : best.seq) {
        if (id != tokenizer_->mask()) ids.push_back(id);
    }
    set_output(std::move(ids));
    result_.tokens = best.records;
    result_.logprob = best.logprob;
    result_.score = beam_of(best).avg_logprob;
    result_.length = best.length;
    result_.nat_passes = best.history;
    result_.passes = 0;
    for (const Candidate& c : candidates_) result_.passes = std::max(result_.passes, c.passes);
}

// -------------------------------------------------------------------------------------- cross-attention

Status PronounceSession::fill_attention() {
    const models::Seq2SeqConfig& cfg = model_->config;
    const std::vector<int32_t>& ids = result_.ids;
    const bool at = !is_nat();
    const bool eos = at && !result_.tokens.empty() && result_.tokens.back().id == tokenizer_->eos();
    const size_t rows = ids.size() + (eos ? 1 : 0);
    if (rows == 0) return {};
    if (at) {
        // Row i of <bos> y1 .. y(rows-1) predicts token i+1: y1 .. yn and the <eos>.
        std::vector<int32_t> tokens = {tokenizer_->bos()};
        tokens.insert(tokens.end(), ids.begin(), ids.begin() + long(rows - 1));
        models::AtCache cache = models::make_at_cache(*model_);
        auto logits = models::at_forward_all(*model_, *state_, cache, tokens, 0);
        if (!logits) return Status::failure("cross-attention: " + logits.error());
    } else {
        auto logits = models::nat_forward(*model_, *state_, ids);
        if (!logits) return Status::failure("cross-attention: " + logits.error());
    }
    CrossAttention& a = result_.attention;
    const size_t L = cfg.dec_layers, H = cfg.n_heads, S = letters_.size();
    a.layers = L;
    a.heads = H;
    a.rows = rows;
    a.cols = S;
    a.row_labels.clear();
    for (int32_t id : ids) a.row_labels.push_back(tokenizer_->vocabulary().token_text(id));
    if (eos) a.row_labels.push_back("<eos>");
    a.col_labels.clear();
    for (int32_t id : letters_) a.col_labels.push_back(tokenizer_->vocabulary().token_text(id));
    a.weights.assign(L * H * rows * S, 0.f);
    a.mean.assign(rows * S, 0.f);
    a.head_diagonality.assign(L * H, 0.0);
    for (size_t l = 0; l < L; ++l) {
        for (size_t h = 0; h < H; ++h) {
            float* head = a.weights.data() + (l * H + h) * rows * S;
            for (size_t t = 0; t < rows; ++t) {
                for (size_t j = 0; j < S; ++j) {
                    head[t * S + j] = state_->cross_attention(l, h, t, j);
                    a.mean[t * S + j] += head[t * S + j] / float(L * H);
                }
            }
            a.head_diagonality[l * H + h] = diagonality({head, ids.size() * S}, ids.size(), S);
        }
    }
    a.diagonality = diagonality(a.mean, ids.size(), S);
    return {};
}

// ------------------------------------------------------------------------------------------------- run

Result<PronounceResult> pronounce(const PronounceModel& model, const PronounceRequest& request) {
    return run_to_end(PronounceSession::create(model, request));
}

}  // namespace atnat::decode
