#include "core/decode/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "core/decode/sampling.hpp"
#include "core/io/json.hpp"

namespace atnat::decode {

namespace {

using nlohmann::json;

// The shortest "%.Ng" spelling of a float that reads back as the same float (0.1f -> "0.1"). (libc++ 14, the
// wasm build's, has no floating-point std::to_chars.)
std::string shortest(float x) {
    char buf[32];
    for (int digits = 6; digits <= 9; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, double(x));
        if (std::strtof(buf, nullptr) == x) break;
    }
    return buf;
}

// A float as the double with the float's shortest decimal spelling (0.1f -> 0.1, not 0.10000000149011612).
json f32(float x) {
    if (!std::isfinite(x)) return nullptr;
    return std::strtod(shortest(x).c_str(), nullptr);
}

// Milliseconds and rates: 3 decimals are plenty.
json rounded(double x) {
    if (!std::isfinite(x)) return nullptr;
    return std::round(x * 1000.0) / 1000.0;
}

json f64(double x) {
    return std::isfinite(x) ? json(x) : json(nullptr);
}

std::string kind_of(const json& v) {
    if (v.is_null()) return "null";
    if (v.is_boolean()) return "a boolean";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_array()) return "an array";
    return "an object";
}

Status get_number(const json& j, const char* key, float& out) {
    const auto it = j.find(key);
    if (it == j.end()) return {};
    if (!it->is_number() || !std::isfinite(it->get<double>())) {
        return Status::failure(std::string(key) + " must be a number, found " + kind_of(*it));
    }
    out = float(it->get<double>());
    return {};
}

// An integer in [lo, hi]; an integral float (e.g. 4.0 from JavaScript) is accepted.
Status get_int(const json& j, const char* key, int64_t lo, int64_t hi, int64_t& out) {
    const auto it = j.find(key);
    if (it == j.end()) return {};
    const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    double d = 0;
    if (it->is_number_integer()) {
        if (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(hi)) {
            return Status::failure(std::string(key) + " = " + it->dump() + " is outside " + range);
        }
        out = it->get<int64_t>();
    } else if (it->is_number_float() && std::isfinite(d = it->get<double>()) && d == std::floor(d) &&
               std::fabs(d) < 9e15) {
        out = int64_t(d);
    } else {
        return Status::failure(std::string(key) + " must be an integer in " + range + ", found " +
                               (it->is_number() ? it->dump() : kind_of(*it)));
    }
    if (out < lo || out > hi)
        return Status::failure(std::string(key) + " = " + std::to_string(out) + " is outside " + range);
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

}  // namespace

Result<GenerateRequest> request_from_json(const json& j) {
    if (!j.is_object()) return make_error("a generate request must be a JSON object, found " + kind_of(j));
    static const char* const keys[] = {
        "prompt", "form",           "strategy", "temperature", "top_k",       "top_p", "repetition_penalty",
        "beam",   "length_penalty", "seed",     "max_tokens",  "constraints", "top_n"};
    for (const auto& item : j.items()) {
        const std::string& k = item.key();
        if (std::find_if(std::begin(keys), std::end(keys), [&](const char* key) { return k == key; }) ==
            std::end(keys)) {
            std::string known;
            for (const char* key : keys) known += (known.empty() ? "" : ", ") + std::string(key);
            return make_error("unknown request key '" + k + "' (known: " + known + ")");
        }
    }
    GenerateRequest r;
    std::string strategy = "greedy";
    int64_t top_k = 0, beam = r.beam, seed_lo = 0, top_n = int64_t(r.top_n), max_tokens = -1;
    for (Status st :
         {get_string(j, "prompt", r.prompt), get_string(j, "form", r.form),
          get_string(j, "strategy", strategy), get_number(j, "temperature", r.temperature),
          get_int(j, "top_k", -(int64_t(1) << 40), int64_t(1) << 40, top_k), get_number(j, "top_p", r.top_p),
          get_number(j, "repetition_penalty", r.repetition_penalty),
          get_int(j, "beam", -(int64_t(1) << 40), int64_t(1) << 40, beam),
          get_number(j, "length_penalty", r.length_penalty),
          get_int(j, "max_tokens", -(int64_t(1) << 40), int64_t(1) << 40, max_tokens),
          get_int(j, "top_n", 0, 20, top_n)}) {
        if (!st) return make_error(st.error());
    }
    if (auto it = j.find("seed"); it != j.end()) {  // any unsigned 64-bit integer (JavaScript: up to 2^53)
        if (it->is_number_unsigned()) {
            r.seed = it->get<uint64_t>();
        } else if (Status st = get_int(j, "seed", 0, int64_t(1) << 53, seed_lo); !st) {
            return make_error(st.error());
        } else {
            r.seed = uint64_t(seed_lo);
        }
    }
    auto s = parse_strategy(strategy);
    if (!s) return make_error("unknown strategy '" + strategy + "' (known: greedy, sample, beam)");
    r.strategy = *s;
    r.top_k = int32_t(std::clamp<int64_t>(top_k, INT32_MIN, 1 << 20));  // 2^20: more than any vocabulary, off
    // a greedy or beam request ignores the temperature (it may be 0), never the other settings
    const float temperature = r.strategy == Strategy::sample ? r.temperature : 1.f;
    if (Status s = check(SamplingParams{temperature, r.top_k, r.top_p}); !s) return make_error(s.error());
    if (beam < 1 || beam > 8) return make_error("beam = " + std::to_string(beam) + " is outside [1, 8]");
    r.beam = int32_t(beam);
    if (Status s = check_repetition_penalty(r.repetition_penalty); !s) return make_error(s.error());
    if (j.contains("max_tokens")) {
        if (max_tokens < 1) return make_error("max_tokens = " + std::to_string(max_tokens) + " must be >= 1");
        r.max_tokens = size_t(std::min<int64_t>(max_tokens, int64_t(1) << 30));
    }
    r.top_n = size_t(top_n);
    if (auto it = j.find("constraints"); it != j.end()) {
        if (!it->is_array())
            return make_error("constraints must be an array of {position, text}, found " + kind_of(*it));
        for (const json& c : *it) {
            if (!c.is_object())
                return make_error("each constraint must be an object {\"position\": N, \"text\": \"字\"}");
            for (const auto& [k, v] : c.items()) {
                if (k != "position" && k != "text")
                    return make_error("unknown constraint key '" + k + "' (known: position, text)");
            }
            int64_t pos = -1;
            Constraint con;
            if (!c.contains("position") || !c.contains("text"))
                return make_error("a constraint needs position and text");
            if (Status st = get_int(c, "position", 0, 1 << 20, pos); !st)
                return make_error("constraint " + st.error());
            if (Status st = get_string(c, "text", con.text); !st)
                return make_error("constraint " + st.error());
            con.position = size_t(pos);
            r.constraints.push_back(std::move(con));
        }
    }
    return r;
}

Result<GenerateRequest> request_from_json_text(std::string_view text) {
    auto j = io::parse_json(text, "the generate request");
    if (!j) return make_error(j.error());
    return request_from_json(*j);
}

json to_json(const GenerateRequest& r) {
    json c = json::array();
    for (const Constraint& con : r.constraints) c.push_back({{"position", con.position}, {"text", con.text}});
    json j = {{"prompt", r.prompt},
              {"form", r.form},
              {"strategy", strategy_name(r.strategy)},
              {"temperature", f32(r.temperature)},
              {"top_k", r.top_k},
              {"top_p", f32(r.top_p)},
              {"repetition_penalty", f32(r.repetition_penalty)},
              {"beam", r.beam},
              {"length_penalty", f32(r.length_penalty)},
              {"seed", r.seed},
              {"top_n", r.top_n},
              {"constraints", std::move(c)}};
    if (r.max_tokens) j["max_tokens"] = *r.max_tokens;
    return j;
}

json to_json(const TokenRecord& t) {
    json top = json::array();
    for (const TokenProb& p : t.top) top.push_back({{"id", p.id}, {"text", p.text}, {"prob", f32(p.prob)}});
    return {
        {"id", t.id}, {"text", t.text}, {"prob", f32(t.prob)}, {"forced", t.forced}, {"top", std::move(top)}};
}

json to_json(const StepEvent& e) {
    if (e.kind == StepEvent::Kind::beam) {
        return {{"type", "beam"},        {"step", e.index},        {"text", e.text},
                {"score", f64(e.score)}, {"finished", e.finished}, {"done", e.done}};
    }
    json j = {{"type", "token"}, {"index", e.index}};
    j.update(to_json(e.token));
    j["done"] = e.done;
    return j;
}

json to_json(const GenerateResult& r) {
    json tokens = json::array();
    for (const TokenRecord& t : r.tokens) tokens.push_back(to_json(t));
    json j = {{"type", "result"},
              {"strategy", strategy_name(r.strategy)},
              {"text", r.text},
              {"completion", r.completion},
              {"tokens", std::move(tokens)},
              {"stop_reason", stop_reason_name(r.stop_reason)},
              {"prompt_tokens", r.prompt_tokens},
              {"generated_tokens", r.tokens.size()},
              {"forward_passes", r.forward_passes},
              {"ms", rounded(r.ms)},
              {"prefill_ms", rounded(r.prefill_ms)},
              {"ttft_ms", rounded(r.ttft_ms)},
              {"tokens_per_s", rounded(r.tokens_per_s)},
              {"decode_tokens_per_s", rounded(r.decode_tokens_per_s)},
              {"logprob", f64(r.logprob)},
              {"score", f64(r.score)},
              {"seed", r.seed},
              {"unknown_chars", r.unknown_chars}};
    if (r.stop_reason == StopReason::error) j["error"] = r.error;
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

}  // namespace atnat::decode
