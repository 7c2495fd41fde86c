"""poet-at: a decoder-only (Llama-style) Transformer over characters, arch "gpt" in the atnat weight file.

Sequence: <bos> <form> c1 .. cN <eos>, context 128. Positions 0, 1, 2, ... in that order.

    h = tok_emb[tokens]                                   [T, d]
    for each layer:  h = h + attn(attn_norm(h))           causal, rotary (rotate-half) on q and k
                     h = h + w_down(silu(w_gate h) * w_up h)
    logits = final_norm(h) @ tok_emb^T                    [T, V]   (tied embeddings, no bias)

Importing this file has no side effects.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # models/
from common.text import Block, RMSNorm, TransformerConfig, init_weights, rope_tables  # noqa: E402

GPTConfig = TransformerConfig


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)  # [V, d]; also the output matrix
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.final_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        cos, sin = rope_tables(cfg.d_model // cfg.n_heads, cfg.context, cfg.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)  # [context, hd/2]
        self.register_buffer("rope_sin", sin, persistent=False)
        init_weights(self)

    def forward(self, tokens):
        """tokens [B, T] int64 (T <= context) -> logits [B, T, V]; logits[:, t] predicts token t+1."""
        B, T = tokens.shape
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        mask = torch.ones(T, T, dtype=torch.bool, device=tokens.device).tril()[None, None]  # key j <= query i
        h = self.tok_emb(tokens)
        for layer in self.layers:
            h = layer(h, cos, sin, mask)
        return self.final_norm(h) @ self.tok_emb.weight.t()

    @torch.no_grad()
    def generate_greedy(self, prompt, max_new, eos):
        """No-cache reference: re-run the full sequence for every new token; stops after emitting eos."""
        seq = list(prompt)
        for _ in range(max_new):
            nxt = int(self(torch.tensor([seq[-self.cfg.context :]]))[0, -1].argmax())
            seq.append(nxt)
            if nxt == eos:
                break
        return seq[len(prompt) :]

    @torch.no_grad()
    def sample(self, prompt, max_new, eos, temperature=1.0, top_k=0, gen=None):
        seq = list(prompt)
        for _ in range(max_new):
            logits = self(torch.tensor([seq[-self.cfg.context :]]))[0, -1] / temperature
            if top_k:
                kth = logits.topk(top_k).values[-1]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            nxt = int(torch.multinomial(logits.softmax(-1), 1, generator=gen))
            seq.append(nxt)
            if nxt == eos:
                break
        return seq[len(prompt) :]
