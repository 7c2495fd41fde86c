// The JSON shapes of generation and scoring, in one place, so the CLI (--json) and the Embind glue emit the
// same documents. All parsing is non-throwing (errors are values) and dump_json never throws on odd text.
//
// Request (every key optional; unknown keys are an error):
//   {"prompt": "春", "form": "wuyan-jueju", "strategy": "greedy" | "sample" | "beam",
//    "temperature": 1.0, "top_k": 0, "top_p": 1.0, "repetition_penalty": 1.0,
//    "beam": 4, "length_penalty": 1.0, "seed": 0, "max_tokens": 128, "top_n": 5,
//    "constraints": [{"position": 6, "text": "花"}]}          // position: poem characters after the form,
//    0-based
// Token event (greedy, sample), one per step():
//   {"type": "token", "index": 0, "id": 25, "text": "春", "prob": 0.41, "forced": false,
//    "top": [{"id": 25, "text": "春", "prob": 0.41}, ...], "done": false}
// Beam event, one per step():
//   {"type": "beam", "step": 0, "text": "<best hypothesis so far>", "score": -1.2, "finished": 0, "done":
//   false}
// Result (result()):
//   {"type": "result", "strategy": "greedy", "text": "<prompt + completion>", "completion": "...",
//    "tokens": [<token as in the event, without type/index/done>], "stop_reason": "eos" | "max_tokens" |
//    "context_full" | "cancelled" | "error" | "none", "error": "..." (only with stop_reason "error"),
//    "prompt_tokens": 3, "generated_tokens": 25, "forward_passes": 25, "ms": 12.5, "prefill_ms": 0.8,
//    "ttft_ms": 1.1, "tokens_per_s": 2000, "decode_tokens_per_s": 2100, "logprob": -40.1, "score": -1.6,
//    "seed": 0, "unknown_chars": []}
// Score:
//   {"type": "score", "form": "free", "tokens": 26, "nll": 3.1, "ppl": 22.2, "total_nll": 80.6,
//    "chars": 20, "nll_chars": 3.9, "ppl_chars": 49.4, "total_nll_chars": 78.0, "ms": 2.0,
//    "unknown_chars": [], "per_token": [{"id": 25, "text": "春", "nll": 4.2}, ...]}   // per_token on request
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/decode/generate.hpp"
#include "core/decode/text_model.hpp"
#include "core/status.hpp"

namespace atnat::decode {

Result<GenerateRequest> request_from_json(const nlohmann::json& j);
Result<GenerateRequest> request_from_json_text(std::string_view text);  // parses without exceptions
nlohmann::json to_json(const GenerateRequest& request);

nlohmann::json to_json(const TokenRecord& token);
nlohmann::json to_json(const StepEvent& event);
nlohmann::json to_json(const GenerateResult& result);
nlohmann::json to_json(const ScoreResult& score, bool per_token = false);

// dump with invalid UTF-8 replaced by U+FFFD (never throws); indent < 0: one line.
std::string dump_json(const nlohmann::json& j, int indent = -1);

}  // namespace atnat::decode
