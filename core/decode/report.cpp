#include "core/decode/report.hpp"

#include <cmath>

namespace atnat::decode {

namespace {

using nlohmann::json;

// Milliseconds and rates: 3 decimals are plenty.
json rounded(double x) {
    if (!std::isfinite(x)) return nullptr;
    return std::round(x * 1000.0) / 1000.0;
}

json f64(double x) {
    return std::isfinite(x) ? json(x) : json(nullptr);
}

json sizes(const std::vector<size_t>& v) {
    return json(v);
}

json floats(const std::vector<float>& v) {
    json a = json::array();
    for (float x : v) a.push_back(json_float(x));
    return a;
}

json length_candidates(const std::vector<LengthCandidate>& v) {
    json a = json::array();
    for (const LengthCandidate& c : v) a.push_back({{"length", c.length}, {"logprob", f64(c.logprob)}});
    return a;
}

json beams(const std::vector<NatBeam>& v) {
    json a = json::array();
    for (const NatBeam& b : v)
        a.push_back({{"length", b.length},
                     {"logprob", f64(b.logprob)},
                     {"avg_logprob", f64(b.avg_logprob)},
                     {"passes", b.passes},
                     {"text", b.text}});
    return a;
}

json tokens(const std::vector<TokenRecord>& v) {
    json a = json::array();
    for (const TokenRecord& t : v) a.push_back(to_json(t));
    return a;
}

// An event: {"type", "index", <fields>, "done"}.
json event(const char* type, size_t index, const json& fields, bool done) {
    json j = {{"type", type}, {"index", index}};
    j.update(fields);
    j["done"] = done;
    return j;
}

// The keys every text result has: what was written, why it stopped, what it cost.
template <class R>
json text_result(const char* strategy, const R& r) {
    json j = {{"type", "result"},
              {"strategy", strategy},
              {"text", r.text},
              {"completion", r.completion},
              {"tokens", tokens(r.tokens)},
              {"stop_reason", name_of(r.stop_reason)},
              {"prompt_tokens", r.prompt_tokens},
              {"generated_tokens", r.tokens.size()},
              {"forward_passes", r.forward_passes},
              {"ms", rounded(r.ms)},
              {"tokens_per_s", rounded(r.tokens_per_s)},
              {"logprob", f64(r.logprob)},
              {"score", f64(r.score)},
              {"unknown_chars", r.unknown_chars}};
    if (r.stop_reason == StopReason::error) j["error"] = r.error;
    return j;
}

}  // namespace

// ------------------------------------------------------------------------------------------ AT text
json to_json(const TokenRecord& t) {
    json top = json::array();
    for (const TokenProb& p : t.top)
        top.push_back({{"id", p.id}, {"text", p.text}, {"prob", json_float(p.prob)}});
    return {{"id", t.id},
            {"text", t.text},
            {"prob", json_float(t.prob)},
            {"forced", t.forced},
            {"top", std::move(top)}};
}

json to_json(const StepEvent& e) {
    if (e.kind == StepEvent::Kind::beam) {
        return {{"type", "beam"},        {"step", e.index},        {"text", e.text},
                {"score", f64(e.score)}, {"finished", e.finished}, {"done", e.done}};
    }
    return event("token", e.index, to_json(e.token), e.done);
}

json to_json(const GenerateResult& r) {
    json j = text_result(name_of(r.strategy), r);
    j.update({{"prefill_ms", rounded(r.prefill_ms)},
              {"ttft_ms", rounded(r.ttft_ms)},
              {"decode_tokens_per_s", rounded(r.decode_tokens_per_s)},
              {"seed", r.seed}});
    return j;
}

json to_json(const ScoreResult& s, bool per_token) {
    json j = {{"type", "score"},
              {"form", s.form},
              {"tokens", s.tokens},
              {"nll", f64(s.nll)},
              {"ppl", f64(s.ppl)},
              {"total_nll", f64(s.total_nll)},
              {"chars", s.chars},
              {"nll_chars", f64(s.nll_chars)},
              {"ppl_chars", f64(s.ppl_chars)},
              {"total_nll_chars", f64(s.total_nll_chars)},
              {"ms", rounded(s.ms)},
              {"unknown_chars", s.unknown_chars}};
    if (per_token) {
        json t = json::array();
        for (const ScoredToken& p : s.per_token)
            t.push_back({{"id", p.id}, {"text", p.text}, {"nll", f64(p.nll)}});
        j["per_token"] = std::move(t);
    }
    return j;
}

std::string dump_json(const json& j, int indent) {
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// ------------------------------------------------------------------------------ NAT text and hybrid
json to_json(const NatPass& p) {
    return {{"pass", p.pass},   {"length", p.length},        {"text", p.text},
            {"slots", p.slots}, {"masked", sizes(p.masked)}, {"confidence", floats(p.confidence)}};
}

json to_json(const NatEvent& e) {
    if (e.kind == NatEvent::Kind::length) {
        return event(
            "length", e.index,
            {{"candidates", length_candidates(e.length_candidates)}, {"decoding", sizes(e.decoding)}},
            e.done);
    }
    json fields = to_json(e.pass);
    fields["beams"] = beams(e.beams);
    return event("pass", e.index, fields, e.done);
}

json to_json(const NatResult& r) {
    json passes = json::array();
    for (const NatPass& p : r.passes) passes.push_back(to_json(p));
    json j = text_result("nat", r);
    j.update({{"mode", name_of(r.mode)},
              {"decoding", r.sample ? "sample" : "argmax"},
              {"iterations", r.iterations},
              {"blind_passes", r.blind_passes},
              {"seed", r.seed},
              {"length", r.length},
              {"length_source", name_of(r.length_source)},
              {"length_candidates", length_candidates(r.length_candidates)},
              {"beams", beams(r.beams)},
              {"given", sizes(r.given)},
              {"passes", std::move(passes)}});
    return j;
}

json to_json(const HybridRound& r) {
    return {{"round", r.round},     {"nat_passes", r.nat_passes}, {"draft", r.draft},
            {"drafted", r.drafted}, {"accepted", r.accepted},     {"at_token", r.at_token},
            {"text", r.text}};
}

json to_json(const HybridEvent& e) {
    return event("round", e.index, to_json(e.round), e.done);
}

json to_json(const HybridResult& r) {
    json rounds = json::array();
    for (const HybridRound& x : r.rounds) rounds.push_back(to_json(x));
    json j = text_result("hybrid", r);
    j.update({{"at_passes", r.at_passes},
              {"nat_passes", r.nat_passes},
              {"at_greedy_passes", r.at_greedy_passes},
              {"saved_passes", r.saved_passes},
              {"drafted", r.drafted},
              {"accepted", r.accepted},
              {"acceptance", r.drafted ? f64(double(r.accepted) / double(r.drafted)) : json(0.0)},
              {"iterations", r.iterations},
              {"rounds", std::move(rounds)}});
    return j;
}

json to_json(const RunMetrics& m) {
    const FormCheck& f = m.form_check;
    auto distinct = [](const Distinct& d) {
        return json{{"rate", f64(d.rate)}, {"ngrams", d.ngrams}, {"distinct", d.distinct}};
    };
    return {{"type", "metrics"},
            {"form", m.form},
            {"ms", rounded(m.ms)},
            {"forward_passes", m.forward_passes},
            {"chars", m.chars},
            {"chars_per_s", rounded(m.chars_per_s)},
            {"at_ppl", m.scored ? f64(m.at_ppl) : json(nullptr)},
            {"at_ppl_chars", m.scored ? f64(m.at_ppl_chars) : json(nullptr)},
            {"repetition",
             {{"rate", f64(m.repetition.rate)},
              {"pairs", m.repetition.pairs},
              {"repeated", m.repetition.repeated}}},
            {"distinct_1", distinct(m.distinct_1)},
            {"distinct_2", distinct(m.distinct_2)},
            {"cross_line",
             {{"rate", f64(m.cross_line.rate)},
              {"ngrams", m.cross_line.ngrams},
              {"repeated", m.cross_line.repeated}}},
            {"form_check",
             {{"ok", f.ok},
              {"count_ok", f.count_ok},
              {"lengths_ok", f.lengths_ok},
              {"pattern_ok", f.pattern_ok},
              {"lines", f.lines},
              {"line_lengths", f.line_lengths},
              {"problem", f.problem}}}};
}

// ------------------------------------------------------------------------------------------- images
json to_json(const RasterEvent& e) {
    return event("rows", e.index, {{"begin", e.range.begin}, {"end", e.range.end}, {"row_end", e.row_end}},
                 e.done);
}

json to_json(const MaskEvent& e) {
    return event("pass", e.index,
                 {{"step", e.pass.step},
                  {"revealed", e.pass.revealed},
                  {"still_masked", e.pass.still_masked},
                  {"row_end", true}},
                 e.done);
}

json to_json(const PixelResult& r) {
    return {{"type", "result"},
            {"arch", r.arch},
            {"method", r.method},
            {"height", r.height},
            {"width", r.width},
            {"levels", r.levels},
            {"image", r.image},
            {"forward_passes", r.stats.forward_passes},
            {"row_updates", r.stats.row_updates},
            {"pixel_updates", r.stats.pixel_updates},
            {"positions", r.stats.positions},
            {"ms", r.stats.ms},
            {"cancelled", r.cancelled}};
}

// ---------------------------------------------------------------------------------------------- pronounce

json to_json(const CrossAttention& a) {
    json heads = json::array();
    for (double d : a.head_diagonality) heads.push_back(rounded(d));
    return {{"layers", a.layers},
            {"heads", a.heads},
            {"rows", a.rows},
            {"cols", a.cols},
            {"row_labels", a.row_labels},
            {"col_labels", a.col_labels},
            {"weights", floats(a.weights)},
            {"mean", floats(a.mean)},
            {"head_diagonality", heads},
            {"diagonality", rounded(a.diagonality)}};
}

json to_json(const PronounceEvent& e) {
    switch (e.kind) {
        case PronounceEvent::Kind::token: {
            json j = to_json(e.token);
            j["arpabet"] = e.arpabet;
            return event("token", e.index, j, e.done);
        }
        case PronounceEvent::Kind::beam:
            return event("beam", e.index,
                         {{"arpabet", e.arpabet}, {"score", f64(e.score)}, {"finished", e.finished}}, e.done);
        case PronounceEvent::Kind::length:
            return event(
                "length", e.index,
                {{"candidates", length_candidates(e.length_candidates)}, {"decoding", sizes(e.decoding)}},
                e.done);
        case PronounceEvent::Kind::pass: {
            json fields = to_json(e.pass);
            fields["arpabet"] = e.arpabet;
            fields["beams"] = beams(e.beams);
            return event("pass", e.index, fields, e.done);
        }
    }
    return nullptr;
}

json to_json(const PronounceResult& r) {
    json candidates = json::array();
    for (const Pronunciation& p : r.candidates) {
        candidates.push_back({{"arpabet", p.arpabet},
                              {"ipa", p.ipa},
                              {"logprob", f64(p.logprob)},
                              {"score", f64(p.score)},
                              {"finished", p.finished},
                              {"passes", p.passes}});
    }
    json j = {{"type", "pronounce"},
              {"word", r.word},
              {"strategy", name_of(r.strategy)},
              {"arpabet", r.arpabet},
              {"ipa", r.ipa},
              {"phonemes", r.ids},
              {"logprob", f64(r.logprob)},
              {"score", f64(r.score)},
              {"passes", r.passes},
              {"forward_passes", r.forward_passes},
              {"ms", rounded(r.ms)},
              {"seed", r.seed},
              {"stop_reason", stop_reason_name(r.stop_reason)},
              {"candidates", std::move(candidates)},
              {"tokens", tokens(r.tokens)},
              {"attention", to_json(r.attention)}};
    if (!r.error.empty()) j["error"] = r.error;
    if (r.strategy == PronounceStrategy::nat) {
        json passes = json::array();
        for (const NatPass& p : r.nat_passes) passes.push_back(to_json(p));
        j.update({{"length", r.length},
                  {"length_candidates", length_candidates(r.length_candidates)},
                  {"nat_passes", std::move(passes)}});
    }
    return j;
}

}  // namespace atnat::decode
