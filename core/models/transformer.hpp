// The Llama-style Transformer shared by poet-at (arch "gpt": causal decoder) and poet-nat (arch "cmlm": the
// same blocks with bidirectional attention). It mirrors models/common/text.py (Block, RMSNorm, rope_tables)
// and models/poet-at/model.py (GPT.forward):
//
//     h = tok_emb[tokens]                                        [n, d]
//     for each layer:  h = h + wo · attn(rope(wq · attn_norm(h)), rope(wk · attn_norm(h)), wv · attn_norm(h))
//                      h = h + w_down · (silu(w_gate · mlp_norm(h)) * (w_up · mlp_norm(h)))
//     logits = final_norm(h) · tok_embᵀ                          [n, V]   (tied embeddings, no biases)
//
// Shapes: n rows processed in one call, d = d_model, H = n_heads, hd = d / H, f = d_ff, V = vocab_size,
// C = context. Matrices are in PyTorch [out, in] layout, F32 or int8 with row scales (Matrix: a file may mix
// them); rows h·hd .. (h+1)·hd of wq/wk/wv belong to head h. Norm weights are F32.
//
// Usage:
//     auto model = load_transformer(file);                 // views into the file's bytes, validated
//     TransformerState s = make_state(*model);              // every buffer, allocated once
//     auto last = prefill(*model, s, prompt);               // GEMM over the prompt, fills the KV cache
//     auto next = forward_token(*model, s, token, pos);     // GEMV, one token, appends to the KV cache
//     auto all  = forward_all(*model, s, tokens);           // [n, V] logits of every position
// None of the forward functions allocates; they return an Error (never throw, never read out of bounds) for a
// bad token id, a position past the context or past the filled cache, or more rows than the state holds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>
#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

#include "core/io/safetensors.hpp"
#include "core/models/common.hpp"
#include "core/status.hpp"

namespace atnat::models {

struct TransformerConfig {
    size_t vocab_size = 0;  // V
    size_t d_model = 0;     // d
    size_t n_layers = 0;
    size_t n_heads = 0;   // H
    size_t head_dim = 0;  // hd = d / H (even: rotary pairs (i, i + hd/2))
    size_t d_ff = 0;      // f
    size_t context = 0;   // C: positions 0 .. C-1
    float rope_theta = 10000.f;
    float norm_eps = 1e-5f;
    bool causal = true;  // "gpt": key j attends only to j <= i; "cmlm": every key
};

struct LayerWeights {
    WeightView<1> attn_norm;  // [d]
    Matrix wq;                // [d, d]
    Matrix wk;                // [d, d]
    Matrix wv;                // [d, d]
    Matrix wo;                // [d, d]   input columns: the heads concatenated
    WeightView<1> mlp_norm;   // [d]
    Matrix w_gate;            // [f, d]
    Matrix w_up;              // [f, d]
    Matrix w_down;            // [d, f]
};

struct TransformerWeights {
    Matrix tok_emb;                    // [V, d]   embedding table and (tied) output matrix
    std::vector<LayerWeights> layers;  // [n_layers]
    WeightView<1> final_norm;          // [d]
};

struct Transformer {
    io::WeightFile file;  // owns the bytes every view points into (shared, immutable)
    std::string arch;     // "gpt" or "cmlm"
    TransformerConfig config;
    TransformerWeights weights;
    xt::xtensor<float, 2> rope_cos;  // [C, hd/2]  cos(p · θ^(-2i/hd)), computed in double as rope_tables()
    xt::xtensor<float, 2> rope_sin;  // [C, hd/2]
};

// Validates arch ("gpt" or "cmlm"), the config (vocab_size 1..1M, d_model 1..8192 divisible by n_heads with
// an even head_dim, n_layers 1..256, d_ff 1..65536, context 1..8192, rope_theta (1, 1e9], norm_eps (0, 1))
// and every tensor's name, dtype and shape. Extra tensors (e.g. cmlm's length_head) are left for the caller.
Result<Transformer> load_transformer(const io::WeightFile& file);

// Activations and KV cache for one sequence, allocated once by make_state(); forward calls write only here.
struct TransformerState {
    size_t max_rows = 0;  // rows one forward call may process (prefill longer prompts in chunks)
    size_t length = 0;    // positions 0 .. length-1 hold valid keys/values
    // KV cache: per layer, row p holds position p's rotated key / value, heads concatenated.
    xt::xtensor<float, 3> key_cache;    // [n_layers, C, d]
    xt::xtensor<float, 3> value_cache;  // [n_layers, C, d]
    xt::xtensor<float, 2> x;            // [max_rows, d]  residual stream
    xt::xtensor<float, 2> xb;    // [max_rows, d]  normed input of a sub-block; after a forward: final_norm(h)
    xt::xtensor<float, 2> q;     // [max_rows, d]  rotated queries
    xt::xtensor<float, 2> att;   // [max_rows, d]  attention output, heads concatenated
    xt::xtensor<float, 2> proj;  // [max_rows, d]  wo / w_down output before the residual add
    xt::xtensor<float, 2> gate;  // [max_rows, f]
    xt::xtensor<float, 2> up;    // [max_rows, f]
    xt::xtensor<float, 1> scores;  // [C]            attention weights of one query and head
    xt::xtensor<float, 2> logits;  // [max_rows, V]
};

// max_rows = 0 means the context (prefill and forward_all in one call); 1 is enough for step-only states
// (e.g. beam hypotheses forked after the prompt).
TransformerState make_state(const Transformer& model, size_t max_rows = 0);
// The bytes make_state allocates for this config (a request's memory budget, core/decode/budget.hpp).
uint64_t state_bytes(const TransformerConfig& config, size_t max_rows = 0);
// A state of the whole context may take at most this much: a config that needs more is refused at load.
constexpr uint64_t kMaxStateBytes = uint64_t(1) << 30;

// Copies src's first src.length cache rows into dst (same model; no allocation).
void copy_cache(const Transformer& model, const TransformerState& src, TransformerState& dst);

// One token at position pos (pos <= state.length, pos < C): GEMV path. Keeps cache rows < pos, writes row
// pos, sets length = pos + 1 (so pos < length rewinds). Returns the next-token logits [V], valid until the
// next call. Causal models only.
Result<std::span<const float>> forward_token(const Transformer& model, TransformerState& state, int32_t token,
                                             size_t pos);

// The prompt tokens at positions start .. start+n-1 (start <= state.length, start + n <= C), GEMM over up to
// max_rows rows at a time, causal attention over the cache. Returns the logits of the last position [V].
Result<std::span<const float>> prefill(const Transformer& model, TransformerState& state,
                                       std::span<const int32_t> tokens, size_t start = 0);

// Every position's logits [n, V] row-major (n <= max_rows): row i predicts the token after tokens[i].
// Causal: tokens sit at positions start .. start+n-1 after the cached prefix (scoring, verifying a draft).
// Non-causal (cmlm): start must be 0; every position attends to all n. After the call state.xb holds
// final_norm(h) [n, d] (the hidden states a length head reads).
Result<std::span<const float>> forward_all(const Transformer& model, TransformerState& state,
                                           std::span<const int32_t> tokens, size_t start = 0);

}  // namespace atnat::models
