#include "core/decode/nat_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/decode/report.hpp"
#include "core/io/json.hpp"

namespace atnat::decode {

namespace {

using nlohmann::json;

// A float as the double with the float's shortest decimal spelling; non-finite -> null (as report.cpp).
json f32(float x) {
    if (!std::isfinite(x)) return nullptr;
    char buf[32];
    for (int digits = 6; digits <= 9; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, double(x));
        if (std::strtof(buf, nullptr) == x) break;
    }
    return std::strtod(buf, nullptr);
}

json f64(double x) {
    return std::isfinite(x) ? json(x) : json(nullptr);
}

json rounded(double x) {
    if (!std::isfinite(x)) return nullptr;
    return std::round(x * 1000.0) / 1000.0;
}

std::string kind_of(const json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "a boolean";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_array()) return "an array";
    return "an object";
}

// An integer in [lo, hi] (an integral float from JavaScript is accepted).
Status get_size(const json& j, const char* key, int64_t lo, int64_t hi, size_t& out) {
    const auto it = j.find(key);
    if (it == j.end()) return {};
    std::string range = "[";
    range += std::to_string(lo);
    range += ", ";
    range += std::to_string(hi);
    range += "]";
    double d = 0;
    if (!it->is_number() || !std::isfinite(d = it->get<double>()) || d != std::floor(d))
        return Status::failure(std::string(key) + " must be an integer in " + range + ", found " +
                               (it->is_number() ? it->dump() : kind_of(*it)));
    if (d < double(lo) || d > double(hi))
        return Status::failure(std::string(key) + " = " + it->dump() + " is outside " + range);
    out = size_t(d);
    return {};
}

Status get_string(const json& j, const char* key, std::string& out) {
    const auto it = j.find(key);
    if (it == j.end()) return {};
    if (!it->is_string())
        return Status::failure(std::string(key) + " must be a string, found " + kind_of(*it));
    out = it->get<std::string>();
    return {};
}

json sizes(const std::vector<size_t>& v) {
    return json(v);
}

json floats(const std::vector<float>& v) {
    json a = json::array();
    for (float x : v) a.push_back(f32(x));
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

}  // namespace

Result<NatRequest> nat_request_from_json(const json& j) {
    if (!j.is_object()) return make_error("a NAT request must be a JSON object, found " + kind_of(j));
    static const char* const keys[] = {"strategy",    "prompt",     "form",     "mode",        "length",
                                       "length_beam", "iterations", "decoding", "temperature", "top_k",
                                       "top_p",       "seed",       "top_n",    "constraints", "acrostic",
                                       "blank_text",  "layout"};
    static const char* const shared[] = {"prompt", "form", "temperature", "top_k",
                                         "top_p",  "seed", "top_n",       "constraints"};
    for (const auto& item : j.items()) {
        const std::string& k = item.key();
        if (std::none_of(std::begin(keys), std::end(keys), [&](const char* key) { return k == key; })) {
            std::string known;
            for (const char* key : keys) known += (known.empty() ? "" : ", ") + std::string(key);
            return make_error("unknown request key '" + k + "' (known: " + known + ")");
        }
    }
    NatRequest r;
    std::string strategy = "nat", mode = "length", decoding = "argmax";
    for (Status st :
         {get_string(j, "strategy", strategy), get_string(j, "mode", mode),
          get_string(j, "decoding", decoding), get_string(j, "acrostic", r.acrostic),
          get_string(j, "blank_text", r.blank_text), get_size(j, "length_beam", 1, 8, r.length_beam),
          get_size(j, "iterations", 1, 100, r.iterations)}) {
        if (!st) return make_error(st.error());
    }
    if (strategy == "nat") {
        r.strategy = NatStrategy::nat;
    } else if (strategy == "hybrid") {
        r.strategy = NatStrategy::hybrid;
    } else {
        return make_error("unknown strategy '" + strategy + "' (known: nat, hybrid)");
    }
    auto m = parse_nat_mode(mode);
    if (!m) return make_error("unknown mode '" + mode + "' (known: length, fixed)");
    r.mode = *m;
    if (decoding != "argmax" && decoding != "sample")
        return make_error("unknown decoding '" + decoding + "' (known: argmax, sample)");
    r.sample = decoding == "sample";
    if (auto it = j.find("length"); it != j.end()) {
        if (it->is_string() && *it == "auto") {
            r.length = LengthSource::predicted;
        } else if (it->is_string() && *it == "form") {
            r.length = LengthSource::form;
        } else if (it->is_number()) {
            r.length = LengthSource::given;
            if (Status st = get_size(j, "length", 1, 1 << 20, r.given_length); !st)
                return make_error(st.error());
        } else {
            return make_error("length must be \"auto\", \"form\" or a number of tokens, found " +
                              (it->is_string() ? "'" + it->get<std::string>() + "'" : kind_of(*it)));
        }
    }
    if (auto it = j.find("layout"); it != j.end()) {
        if (!it->is_boolean()) return make_error("layout must be true or false, found " + kind_of(*it));
        r.layout = it->get<bool>();
    }
    // The keys shared with the AT request: report.hpp's parser checks them.
    json sub = json::object();
    for (const char* key : shared) {
        if (j.contains(key)) sub[key] = j[key];
    }
    if (r.sample) sub["strategy"] = "sample";
    auto g = request_from_json(sub);
    if (!g) return make_error(g.error());
    r.prompt = g->prompt;
    r.form = g->form;
    r.temperature = g->temperature;
    r.top_k = g->top_k;
    r.top_p = g->top_p;
    r.seed = g->seed;
    r.top_n = g->top_n;
    r.constraints = g->constraints;
    return r;
}

Result<NatRequest> nat_request_from_json_text(std::string_view text) {
    auto j = io::parse_json(text, "the NAT request");
    if (!j) return make_error(j.error());
    return nat_request_from_json(*j);
}

json to_json(const NatRequest& r) {
    json c = json::array();
    for (const Constraint& con : r.constraints) c.push_back({{"position", con.position}, {"text", con.text}});
    json length = r.length == LengthSource::given  ? json(r.given_length)
                  : r.length == LengthSource::form ? json("form")
                                                   : json("auto");
    return {{"strategy", nat_strategy_name(r.strategy)},
            {"prompt", r.prompt},
            {"form", r.form},
            {"mode", nat_mode_name(r.mode)},
            {"length", std::move(length)},
            {"length_beam", r.length_beam},
            {"iterations", r.iterations},
            {"decoding", r.sample ? "sample" : "argmax"},
            {"temperature", f32(r.temperature)},
            {"top_k", r.top_k},
            {"top_p", f32(r.top_p)},
            {"seed", r.seed},
            {"top_n", r.top_n},
            {"constraints", std::move(c)},
            {"acrostic", r.acrostic},
            {"blank_text", r.blank_text},
            {"layout", r.layout}};
}

json to_json(const NatPass& p) {
    return {{"pass", p.pass},   {"length", p.length},        {"text", p.text},
            {"slots", p.slots}, {"masked", sizes(p.masked)}, {"confidence", floats(p.confidence)}};
}

json to_json(const NatEvent& e) {
    if (e.kind == NatEvent::Kind::length) {
        return {{"type", "length"},
                {"index", e.index},
                {"candidates", length_candidates(e.length_candidates)},
                {"decoding", sizes(e.decoding)},
                {"done", e.done}};
    }
    json j = {{"type", "pass"}, {"index", e.index}};
    j.update(to_json(e.pass));
    j["beams"] = beams(e.beams);
    j["done"] = e.done;
    return j;
}

json to_json(const NatResult& r) {
    json passes = json::array();
    for (const NatPass& p : r.passes) passes.push_back(to_json(p));
    json j = {{"type", "result"},
              {"strategy", "nat"},
              {"mode", nat_mode_name(r.mode)},
              {"decoding", r.sample ? "sample" : "argmax"},
              {"text", r.text},
              {"completion", r.completion},
              {"tokens", tokens(r.tokens)},
              {"stop_reason", nat_stop_name(r.stop_reason)},
              {"prompt_tokens", r.prompt_tokens},
              {"generated_tokens", r.tokens.size()},
              {"forward_passes", r.forward_passes},
              {"iterations", r.iterations},
              {"ms", rounded(r.ms)},
              {"tokens_per_s", rounded(r.tokens_per_s)},
              {"logprob", f64(r.logprob)},
              {"score", f64(r.score)},
              {"seed", r.seed},
              {"unknown_chars", r.unknown_chars},
              {"length", r.length},
              {"length_source", length_source_name(r.length_source)},
              {"length_candidates", length_candidates(r.length_candidates)},
              {"beams", beams(r.beams)},
              {"given", sizes(r.given)},
              {"passes", std::move(passes)}};
    if (r.stop_reason == NatStop::error) j["error"] = r.error;
    return j;
}

json to_json(const HybridRound& r) {
    return {{"round", r.round},     {"nat_passes", r.nat_passes}, {"draft", r.draft},
            {"drafted", r.drafted}, {"accepted", r.accepted},     {"at_token", r.at_token},
            {"text", r.text}};
}

json to_json(const HybridEvent& e) {
    json j = {{"type", "round"}, {"index", e.index}};
    j.update(to_json(e.round));
    j["done"] = e.done;
    return j;
}

json to_json(const HybridResult& r) {
    json rounds = json::array();
    for (const HybridRound& x : r.rounds) rounds.push_back(to_json(x));
    json j = {{"type", "result"},
              {"strategy", "hybrid"},
              {"text", r.text},
              {"completion", r.completion},
              {"tokens", tokens(r.tokens)},
              {"stop_reason", stop_reason_name(r.stop_reason)},
              {"prompt_tokens", r.prompt_tokens},
              {"generated_tokens", r.tokens.size()},
              {"forward_passes", r.forward_passes},
              {"at_passes", r.at_passes},
              {"nat_passes", r.nat_passes},
              {"at_greedy_passes", r.at_greedy_passes},
              {"saved_passes", r.saved_passes},
              {"drafted", r.drafted},
              {"accepted", r.accepted},
              {"acceptance", r.drafted ? f64(double(r.accepted) / double(r.drafted)) : json(0.0)},
              {"iterations", r.iterations},
              {"ms", rounded(r.ms)},
              {"tokens_per_s", rounded(r.tokens_per_s)},
              {"logprob", f64(r.logprob)},
              {"score", f64(r.score)},
              {"unknown_chars", r.unknown_chars},
              {"rounds", std::move(rounds)}};
    if (r.stop_reason == StopReason::error) j["error"] = r.error;
    return j;
}

json to_json(const RunMetrics& m) {
    const FormCheck& f = m.form_check;
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
            {"form_check",
             {{"ok", f.ok},
              {"count_ok", f.count_ok},
              {"lengths_ok", f.lengths_ok},
              {"pattern_ok", f.pattern_ok},
              {"lines", f.lines},
              {"line_lengths", f.line_lengths},
              {"problem", f.problem}}}};
}

}  // namespace atnat::decode
