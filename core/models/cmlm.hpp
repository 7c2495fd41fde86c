// poet-nat's conditional masked LM (CMLM, Ghazvininejad et al. 2019): the Transformer with bidirectional
// attention (arch "cmlm") plus a length head. Mirrors models/poet-nat/model.py (CMLM.forward, length_logits):
//
//     h             = final_norm(blocks(tok_emb[tokens]))    [T, d]      (forward_all; kept in state.xb)
//     logits        = h · tok_embᵀ                           [T, V]      the token AT position t (not t+1)
//     length_logits = length_head · h[0]                     [max_len+1] L = 0 .. max_len
//
// The length is read from a forward over <len> <form>, followed by the poem's given first characters (up to
// the first line's "，": NatSession) when the file's config says "length_prompt": true (how the head is
// trained: CMLM.length_logits; never over masks, which position 0 would just count). Without the key the
// head was trained on the two tokens alone.
// Input formats (models/poet-nat):
//     length mode:  <len>   <form> y1 .. yL      (L <= max_len, y = poem tokens, no <eos>)
//     fixed mode:   <fixed> <form> z1 .. zN      (N = max_len_fixed: the poem, then <eos> up to N)
//
// Usage:
//     auto cmlm = load_cmlm(file);                               // validated views into the file's bytes
//     auto state = models::make_state(cmlm->transformer);         // rows for the longest input
//     models::forward_all(cmlm->transformer, state, {len, form});  // 2 tokens
//     length_logits(*cmlm, state, out);                            // out: [max_len+1]
#pragma once

#include <cstddef>
#include <span>

#include "core/io/safetensors.hpp"
#include "core/models/transformer.hpp"
#include "core/status.hpp"

namespace atnat::models {

struct Cmlm {
    Transformer transformer;     // arch "cmlm": config.causal == false
    WeightView<2> length_head;   // [max_len+1, d]  no bias
    size_t max_len = 0;          // length classes 0 .. max_len; length mode needs 2 + max_len <= context
    size_t max_len_fixed = 0;    // N of fixed mode; 2 + N <= context
    bool length_prompt = false;  // config "length_prompt": the length pass sees the prompt after <len> <form>
};

// Validates arch "cmlm", the transformer (load_transformer), config max_len in [1, context - 2] and
// max_len_fixed in [1, context - 2], an optional boolean length_prompt (absent: false), and length_head's
// name, dtype and shape [max_len + 1, d_model].
Result<Cmlm> load_cmlm(const io::WeightFile& file);

// out[max_len + 1] = length_head · state.xb[0]: the length logits of the last forward_all over `state`
// (which must have processed at least one row: position 0 holds <len>). No allocation.
void length_logits(const Cmlm& model, const TransformerState& state, std::span<float> out);

}  // namespace atnat::models
