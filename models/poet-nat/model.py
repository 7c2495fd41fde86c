"""poet-nat: a conditional masked LM (CMLM, Ghazvininejad et al. 2019) with a length head, arch "cmlm".

Same blocks as poet-at (RMSNorm, rotary rotate-half, SwiGLU, pre-norm, tied embeddings) but attention is
NOT causal: every position sees every position. One model, two input modes chosen by the first token:

    length mode:  <len>   <form> y1 .. yL        y = poem tokens (chars, '，', '。', '\\n'), L <= max_len
    fixed mode:   <fixed> <form> z1 .. zN        z = poem tokens then <eos> up to N = max_len_fixed
Unknown positions hold <mask>; given characters (prefix, acrostic heads, blanks' context) are simply unmasked.

    h = final_norm(blocks(tok_emb[tokens]))               [T, d]
    logits        = h @ tok_emb^T                         [T, V]       token distribution at every position
    length_logits = length_head @ h[0]                    [max_len+1]  read at position 0 (the <len> token)

The length is predicted from a forward over <len> <form> and the characters the poem starts with, if any, never
over <mask>s (see length_logits); that is how it is trained. On inputs with masks the head still computes, but
position 0 has then seen (and can count) them.

Importing this file has no side effects.
"""
import os
import sys
from dataclasses import dataclass

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # models/
from common.text import Block, RMSNorm, TransformerConfig, init_weights, rope_tables  # noqa: E402


def first_line_length(ys, tok):
    """Characters before the first "，" or "。" (all of ys if neither occurs): the most of a prompt the length pass
    sees (CMLM.length_logits is trained on <len> <form> y1 .. yk with k <= this; so is NatSession's length pass)."""
    ends = [i for i, t in enumerate(ys) if t in (tok.index["，"], tok.index["。"])]
    return ends[0] if ends else len(ys)


@dataclass
class CMLMConfig(TransformerConfig):
    max_len: int = 120  # length head classes 0..max_len (targets clipped to max_len)
    max_len_fixed: int = 104  # N of fixed mode (covers >= 99% of the cleaned poems)


class CMLM(nn.Module):
    def __init__(self, cfg: CMLMConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)  # [V, d]; also the output matrix
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.final_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.length_head = nn.Linear(cfg.d_model, cfg.max_len + 1, bias=False)  # [max_len+1, d]
        cos, sin = rope_tables(cfg.d_model // cfg.n_heads, cfg.context, cfg.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)  # [context, hd/2]
        self.register_buffer("rope_sin", sin, persistent=False)
        init_weights(self)

    def hidden(self, tokens, key_valid=None):
        """tokens [B, T] -> final-normed hidden states [B, T, d].
        key_valid [B, T] bool marks real (non-<pad>) tokens; only training batches have padding."""
        B, T = tokens.shape
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        if key_valid is None:
            mask = torch.ones(1, 1, T, T, dtype=torch.bool, device=tokens.device)  # bidirectional
        else:
            mask = key_valid[:, None, None, :]  # [B, 1, 1, T]: every query sees every real key
        h = self.tok_emb(tokens)
        for layer in self.layers:
            h = layer(h, cos, sin, mask)
        return self.final_norm(h)

    def forward(self, tokens):
        """tokens [B, T] -> (logits [B, T, V], length_logits [B, max_len+1] from position 0)."""
        h = self.hidden(tokens)
        return h @ self.tok_emb.weight.t(), self.length_head(h[:, 0])

    def length_logits(self, prefix, key_valid=None):
        """prefix [B, 2 + k] = <len> <form> p1 .. pk (the k >= 0 characters the poem starts with, if given)
        -> [B, max_len+1]: the length head on position 0 of a forward over exactly these tokens (key_valid
        [B, T] when rows of different k are padded). The length is predicted BEFORE any <mask> is laid out:
        with bidirectional attention, position 0 of the full sequence would see how many positions follow and
        just count them. The prompt's characters let it tell a 7-character free poem from a 5-character one."""
        return self.length_head(self.hidden(prefix, key_valid)[:, 0])

    @torch.no_grad()
    def mask_predict(self, tokens, mask_id, iterations=10):
        """Reference mask-predict (Ghazvininejad et al. 2019) for one sequence tokens [T] (list or 1-D tensor).
        Positions holding mask_id are decoded; all other positions are given and never change.
        Iteration 0 fills every masked position with its argmax; iteration t = 1..iterations-1 re-masks the
        n = floor(M * (iterations - t) / iterations) least-confident decoded positions (M = number of decoded
        positions; confidence = probability when last predicted) and predicts them again. -> list of ids."""
        x = torch.as_tensor(tokens).clone()
        todo = (x == mask_id).nonzero().flatten()
        M = len(todo)
        if M == 0:
            return x.tolist()
        conf = torch.zeros(M)
        remask = todo
        for t in range(iterations):
            logits, _ = self(x[None])
            p = logits[0, remask].softmax(-1)  # [n, V]
            best = p.max(-1)
            x[remask] = best.indices
            conf[(todo[:, None] == remask[None, :]).any(1)] = best.values
            n = M * (iterations - t - 1) // iterations
            if n == 0:
                break
            order = conf.argsort()[:n]  # least confident first
            remask = todo[order].sort().values
            x[remask] = mask_id
        return x.tolist()
