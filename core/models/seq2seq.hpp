// The encoder-decoder of the Pronounce models (arch "g2p"): one encoder over letters, an autoregressive (AT)
// and a non-autoregressive (NAT) decoder that attend to it through cross-attention, and a length head. It
// mirrors models/g2p/model.py (G2P.encode, G2P.decode, G2P.length_logits):
//
//     encode:   h = emb[letters] + enc_pos[:S]                                            [S, d]
//               per block:  h = h + attn(attn_norm(h), attn_norm(h))       (bidirectional over the letters)
//                           h = h + mlp(mlp_norm(h))
//               memory = enc_norm(h)                                                      [S, d]
//               length_logits = length_head · mean(memory rows)                           [T_max + 1]
//     decode:   h = emb[tokens] + pos[:T]                       (pos, blocks, norm: the AT's or the NAT's
//     own)
//               per block:  h = h + attn(self_norm(h), self_norm(h))      (AT causal, NAT bidirectional)
//                           h = h + attn(cross_norm(h), memory)           (cross-attention to every letter)
//                           h = h + mlp(mlp_norm(h))
//               logits = norm(h) · embᵀ                                                   [T, V]
// with attn(x, m) = wo · concat_heads(softmax(q kᵀ / sqrt(hd)) v), q = wq x, k = wk m, v = wv m, and
// mlp(x) = w_down · (silu(w_gate x) * (w_up x)); RMSNorm, no biases, learned absolute positions, one
// embedding table [V, d] for letters, phonemes and specials (tied with both output layers).
//
// Shapes: S letters (1 .. S_max = max_letters), T decoder positions (1 .. T_max = max_phonemes), d = d_model,
// H = n_heads, hd = d / H, f = d_ff, V = vocab_size, L = dec_layers. Weights are F32 in PyTorch [out, in]
// layout, named as model.py's parameters without ".weight" (emb, enc_blocks.0.attn.wq,
// at.blocks.2.cross_attn.wk, nat.pos, length_head, ...; models/g2p/export.py).
//
// Usage (one word; the AT decoder step by step, the NAT decoder over a whole masked sequence):
//     auto model = load_seq2seq(file);                  // validated views into the file's bytes
//     Seq2SeqState s = make_state(*model);              // every buffer of one word, allocated once
//     AtCache cache = make_at_cache(*model);            // one per AT hypothesis (beam search keeps several)
//     encode(*model, s, letters);                       // memory, both decoders' cross K/V, length logits
//     at_step(*model, s, cache, bos, 0);                // [V] logits of the first phoneme, then pos 1, 2 ...
//     nat_forward(*model, s, masked);                   // [T, V] logits of every position
// Nothing allocates after make_state / make_at_cache. Every call checks its input and returns an Error (never
// throws, never reads out of bounds): no word encoded, a word too long, an id outside the vocabulary, a
// position past the cache or T_max, a cache filled for another word.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>
#include <xtensor/xtensor.hpp>

#include "core/io/safetensors.hpp"
#include "core/models/common.hpp"
#include "core/status.hpp"

namespace atnat::models {

struct Seq2SeqConfig {
    size_t vocab_size = 0;    // V: specials, letters and phonemes in one table
    size_t d_model = 0;       // d
    size_t n_heads = 0;       // H
    size_t head_dim = 0;      // hd = d / H
    size_t d_ff = 0;          // f
    size_t enc_layers = 0;    // encoder blocks
    size_t dec_layers = 0;    // L: blocks of each decoder
    size_t max_letters = 0;   // S_max: encoder positions
    size_t max_phonemes = 0;  // T_max: decoder positions; the length head has T_max + 1 classes (0 .. T_max)
    float norm_eps = 1e-5f;
};

struct AttentionWeights {  // model.py Attention
    Matrix wq;             // [d, d]   rows h·hd .. (h+1)·hd belong to head h (so do wk's and wv's)
    Matrix wk;             // [d, d]
    Matrix wv;             // [d, d]
    Matrix wo;             // [d, d]   input columns: the heads concatenated
};

struct MlpWeights {  // common/text.py MLP (SwiGLU)
    Matrix w_gate;   // [f, d]
    Matrix w_up;     // [f, d]
    Matrix w_down;   // [d, f]
};

struct EncoderBlockWeights {  // model.py EncoderBlock
    WeightView<1> attn_norm;  // [d]
    AttentionWeights attn;
    WeightView<1> mlp_norm;  // [d]
    MlpWeights mlp;
};

struct DecoderBlockWeights {  // model.py DecoderBlock
    WeightView<1> self_norm;  // [d]
    AttentionWeights self_attn;
    WeightView<1> cross_norm;  // [d]
    AttentionWeights cross_attn;
    WeightView<1> mlp_norm;  // [d]
    MlpWeights mlp;
};

struct DecoderWeights {                       // model.py Decoder (G2P.at and G2P.nat)
    WeightView<2> pos;                        // [T_max, d]  learned absolute positions
    std::vector<DecoderBlockWeights> blocks;  // [L]
    WeightView<1> norm;                       // [d]
};

struct Seq2SeqWeights {
    Matrix emb;                                   // [V, d]     embedding of every token; tied output matrix
    WeightView<2> enc_pos;                        // [S_max, d]
    std::vector<EncoderBlockWeights> enc_blocks;  // [enc_layers]
    WeightView<1> enc_norm;                       // [d]
    DecoderWeights at;                            // causal self-attention
    DecoderWeights nat;                           // bidirectional self-attention
    WeightView<2> length_head;                    // [T_max + 1, d]
};

struct Seq2Seq {
    io::WeightFile file;  // owns the bytes every view points into (shared, immutable)
    Seq2SeqConfig config;
    Seq2SeqWeights weights;
};

// Validates arch "g2p", the values (check_weight_values), the config (vocab_size 1..65536, d_model 1..4096
// divisible by n_heads, enc_layers and dec_layers 1..64, d_ff 1..16384, max_letters and max_phonemes
// 1..1024, norm_eps in (0, 1)) and every tensor's name, dtype and shape. Tensors the model does not use are
// an error too (a file written for another model).
Result<Seq2Seq> load_seq2seq(const io::WeightFile& file);

// Keys and values of the encoder memory as one decoder's cross-attention reads them, per layer.
struct CrossCache {
    xt::xtensor<float, 3> key;    // [L, S_max, d]  row j = cross_attn.wk · memory[j], heads concatenated
    xt::xtensor<float, 3> value;  // [L, S_max, d]  row j = cross_attn.wv · memory[j]
};

// Everything one word needs: what encode() leaves for the decoders, and the activations of every call.
struct Seq2SeqState {
    size_t n_letters = 0;                 // S of the encoded word; 0 = nothing encoded yet
    uint64_t word = 0;                    // how many words this state has encoded (tags AT caches)
    xt::xtensor<float, 2> memory;         // [S_max, d]      enc_norm(h), rows < S
    CrossCache at_cross;                  // the AT decoder's cross K/V of the memory (computed once per word)
    CrossCache nat_cross;                 // the NAT decoder's
    xt::xtensor<float, 1> length_logits;  // [T_max + 1]     length_head · mean(memory)
    // The softmax weights of every cross-attention head over the letters, for the rows of the last decoder
    // call (AT: row = position; NAT: every row). For the heatmap (model.py Attention.last_weights).
    xt::xtensor<float, 4> cross_attention;  // [L, H, T_max, S_max]   rows < T, columns < S
    // Activations (R = max(S_max, T_max) rows).
    xt::xtensor<float, 2> x;       // [R, d]  residual stream
    xt::xtensor<float, 2> xb;      // [R, d]  normed input of a sub-block; after a decoder call: norm(h)
    xt::xtensor<float, 2> q;       // [R, d]
    xt::xtensor<float, 2> k;       // [R, d]  self-attention keys of the encoder and the NAT decoder
    xt::xtensor<float, 2> v;       // [R, d]
    xt::xtensor<float, 2> att;     // [R, d]  attention output, heads concatenated
    xt::xtensor<float, 2> proj;    // [R, d]  wo / w_down output before the residual add
    xt::xtensor<float, 2> gate;    // [R, f]
    xt::xtensor<float, 2> up;      // [R, f]
    xt::xtensor<float, 1> scores;  // [R]     self-attention weights of one query and head
    xt::xtensor<float, 2> logits;  // [T_max, V]
};

// The AT decoder's self-attention KV cache of one hypothesis. Filled by at_step / at_forward_all for the
// word encoded in a state; beam search copies it (copy_cache) when a hypothesis forks.
struct AtCache {
    size_t length = 0;            // positions 0 .. length-1 hold keys and values
    uint64_t word = 0;            // Seq2SeqState::word of the word they were computed for
    xt::xtensor<float, 3> key;    // [L, T_max, d]  row p = self_attn.wk · self_norm(h_p), heads concatenated
    xt::xtensor<float, 3> value;  // [L, T_max, d]
};

Seq2SeqState make_state(const Seq2Seq& model);
AtCache make_at_cache(const Seq2Seq& model);
// The bytes make_state and make_at_cache allocate for this config (a request's memory budget,
// core/decode/budget.hpp).
uint64_t state_bytes(const Seq2SeqConfig& config);
uint64_t at_cache_bytes(const Seq2SeqConfig& config);
// Copies src's first src.length rows into dst (same model; no allocation).
void copy_cache(const Seq2Seq& model, const AtCache& src, AtCache& dst);

// G2P.encode + G2P.length_logits of one word: letters [S] (ids, 1 <= S <= S_max). Fills state.memory, the
// cross K/V of both decoders and state.length_logits. A new word invalidates every AtCache of the old one.
Status encode(const Seq2Seq& model, Seq2SeqState& state, std::span<const int32_t> letters);

// One AT decoder token at position pos (0 = <bos>; pos <= cache.length, pos < T_max) attending to the
// cache's rows < pos and to the memory: the GEMV path. Keeps cache rows < pos, writes row pos, sets
// cache.length = pos + 1 (pos < length rewinds). Returns the next-token logits [V], valid until the next
// call on this state.
Result<std::span<const float>> at_step(const Seq2Seq& model, Seq2SeqState& state, AtCache& cache,
                                       int32_t token, size_t pos);

// The AT decoder over tokens at positions start .. start+n-1 (start <= cache.length, start + n <= T_max)
// in one GEMM pass, causal over the cache: teacher forcing when start = 0 and tokens = <bos> y1 .. y(T-1).
// Returns every row's logits [n, V] row-major (row i predicts the token after tokens[i]).
Result<std::span<const float>> at_forward_all(const Seq2Seq& model, Seq2SeqState& state, AtCache& cache,
                                              std::span<const int32_t> tokens, size_t start = 0);

// The NAT decoder over a whole sequence tokens [T] (1 <= T <= T_max; unknown positions hold <mask>), every
// position attending to every position and to the memory. Returns the logits of every position [T, V]
// (row t is the token AT position t).
Result<std::span<const float>> nat_forward(const Seq2Seq& model, Seq2SeqState& state,
                                           std::span<const int32_t> tokens);

}  // namespace atnat::models
