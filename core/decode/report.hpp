// The JSON of every generator's events and results, text and images, in one place, so the CLI (--json) and
// the Embind glue emit the same documents (requests: request.hpp). dump_json never throws on odd text.
//
// ---- autoregressive text (GenerationSession) and scoring
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
//
// ---- non-autoregressive text (NatSession), the hybrid (HybridSession) and the run metrics
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
//    "generated_tokens": 25, "forward_passes": 11, "iterations": 10, "blind_passes": 0 (prompt guidance's
//    share of forward_passes), "ms": 30.1, "tokens_per_s": 830,
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
// ---- images (RasterSampler, MaskPredictSampler)
// Rows event (PixelCNN, one per step: an image row, or one pixel with method naive):
//   {"type": "rows", "index": 0, "begin": 0, "end": 28, "row_end": true, "done": false}
// Pass event (pixnat, one per parallel pass):
//   {"type": "pass", "index": 0, "step": 1, "revealed": 98, "still_masked": 686, "row_end": true,
//    "done": false}
// Image result:
//   {"type": "result", "arch": "pixelcnn" | "pixnat", "method": "naive" | "cached" | "mask-predict",
//    "height": 28, "width": 28, "levels": 16, "image": [<H*W levels>], "forward_passes": 0, "row_updates":
//    28, "pixel_updates": 784, "positions": 784, "ms": 35.2, "cancelled": false}
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/decode/generate.hpp"
#include "core/decode/metrics.hpp"
#include "core/decode/nat.hpp"
#include "core/decode/pixels.hpp"
#include "core/decode/pronounce.hpp"
#include "core/decode/request.hpp"
#include "core/decode/speculative.hpp"
#include "core/decode/text_model.hpp"

namespace atnat::decode {

nlohmann::json to_json(const TokenRecord& token);
nlohmann::json to_json(const StepEvent& event);
nlohmann::json to_json(const GenerateResult& result);
nlohmann::json to_json(const ScoreResult& score, bool per_token = false);

nlohmann::json to_json(const NatPass& pass);
nlohmann::json to_json(const NatEvent& event);
nlohmann::json to_json(const NatResult& result);
nlohmann::json to_json(const HybridRound& round);
nlohmann::json to_json(const HybridEvent& event);
nlohmann::json to_json(const HybridResult& result);
nlohmann::json to_json(const RunMetrics& metrics);
// Pronounce: events {"type": "token" | "beam" | "length" | "pass", ...}; the result {"type": "pronounce",
// "word", "strategy", "arpabet", "ipa", "phonemes", "logprob", "score", "passes", "forward_passes", "ms",
// "candidates", "tokens", "attention": {"layers", "heads", "rows", "cols", "row_labels", "col_labels",
// "weights" [L·H·rows·cols], "mean" [rows·cols], "head_diagonality" [L·H], "diagonality"}, NAT: "length",
// "length_candidates", "nat_passes"}.
nlohmann::json to_json(const CrossAttention& attention);
nlohmann::json to_json(const PronounceEvent& event);
nlohmann::json to_json(const PronounceResult& result);

nlohmann::json to_json(const RasterEvent& event);
nlohmann::json to_json(const MaskEvent& event);
nlohmann::json to_json(const PixelResult& result);

// dump with invalid UTF-8 replaced by U+FFFD (never throws); indent < 0: one line.
std::string dump_json(const nlohmann::json& j, int indent = -1);

}  // namespace atnat::decode
