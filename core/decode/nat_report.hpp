// The JSON shapes of non-autoregressive and hybrid generation and of the run metrics, shared by the CLI
// (--json) and the Embind glue, in the style of report.hpp (whose token records they reuse).
//
// NAT / hybrid request (every key optional; unknown keys are an error):
//   {"strategy": "nat" | "hybrid", "prompt": "春", "form": "wuyan-jueju", "mode": "length" | "fixed",
//    "length": "auto" | "form" | 25, "length_beam": 1, "iterations": 10, "decoding": "argmax" | "sample",
//    "temperature": 1.0, "top_k": 0, "top_p": 1.0, "seed": 0, "top_n": 5,
//    "constraints": [{"position": 6, "text": "花"}], "acrostic": "春夏秋冬",
//    "blank_text": "床前_月光，疑是地上霜。", "layout": false}
// The keys shared with the AT request (prompt, form, temperature, top_k, top_p, seed, top_n, constraints) are
// checked by report.hpp's request_from_json, so they are accepted and rejected exactly as for AT.
//
// Length event (NatSession, the first step when the length is predicted):
//   {"type": "length", "index": 0, "candidates": [{"length": 25, "logprob": -0.01}, ...],
//    "decoding": [25], "done": false}
// Pass event (NatSession, one per pass; the fields of the currently best length candidate):
//   {"type": "pass", "index": 1, "pass": 1, "length": 25, "text": "...", "slots": ["春", "，", ...],
//    "masked": [0, 1, 3, ...], "confidence": [0.41, null, ...],
//    "beams": [{"length": 25, "logprob": -30.2, "avg_logprob": -1.5, "passes": 1, "text": "..."}],
//    "done": false}
//   masked: positions that were <mask> in this pass's input (what this pass predicted); confidence: per
//   position, the probability of its token when last predicted, null for given positions.
// NAT result:
//   {"type": "result", "strategy": "nat", "mode": "length", "decoding": "argmax", "text": "...",
//    "completion": "...", "tokens": [<token records as report.hpp>], "stop_reason": "length" | "eos" |
//    "max_tokens" | "cancelled" | "error", "error": "..." (only with "error"), "prompt_tokens": 2,
//    "generated_tokens": 25, "forward_passes": 11, "iterations": 10, "ms": 30.1, "tokens_per_s": 830,
//    "logprob": -35.2, "score": -1.4, "seed": 0, "unknown_chars": [], "length": 25,
//    "length_source": "predicted" | "given" | "form" | "blank_text" | "eos",
//    "length_candidates": [{"length", "logprob"}], "beams": [...], "given": [0, 1],
//    "passes": [{"pass", "length", "text", "slots", "masked", "confidence"}]}
// Hybrid round event (HybridSession, one per round):
//   {"type": "round", "index": 0, "round": 1, "nat_passes": 3, "draft": "...", "drafted": 24,
//    "accepted": 3, "at_token": "山", "text": "<poem so far>", "done": false}
// Hybrid result:
//   {"type": "result", "strategy": "hybrid", "text", "completion", "tokens", "stop_reason" (as AT),
//    "prompt_tokens", "generated_tokens", "forward_passes", "at_passes", "nat_passes", "at_greedy_passes",
//    "saved_passes", "drafted", "accepted", "acceptance", "iterations", "ms", "tokens_per_s", "logprob",
//    "score", "unknown_chars", "rounds": [<round events without type/index/done>]}
// Metrics:
//   {"type": "metrics", "form": "wuyan-jueju", "ms": 30.1, "forward_passes": 11, "chars": 20,
//    "chars_per_s": 664, "at_ppl": 40.2 | null, "at_ppl_chars": 80.1 | null,
//    "repetition": {"rate": 0.05, "pairs": 16, "repeated": 1},
//    "form_check": {"ok": true, "count_ok": true, "lengths_ok": true, "pattern_ok": true, "lines": 4,
//                   "line_lengths": [5, 5, 5, 5], "problem": ""}}
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/decode/metrics.hpp"
#include "core/decode/nat.hpp"
#include "core/decode/speculative.hpp"
#include "core/status.hpp"

namespace atnat::decode {

Result<NatRequest> nat_request_from_json(const nlohmann::json& j);
Result<NatRequest> nat_request_from_json_text(std::string_view text);  // parses without exceptions
nlohmann::json to_json(const NatRequest& request);

nlohmann::json to_json(const NatPass& pass);
nlohmann::json to_json(const NatEvent& event);
nlohmann::json to_json(const NatResult& result);
nlohmann::json to_json(const HybridRound& round);
nlohmann::json to_json(const HybridEvent& event);
nlohmann::json to_json(const HybridResult& result);
nlohmann::json to_json(const RunMetrics& metrics);

}  // namespace atnat::decode
