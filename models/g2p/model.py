"""g2p: English spelling -> ARPAbet pronunciation, one encoder and two decoders (arch "g2p").

The lecture's sequence-to-sequence Transformer, small enough for a CPU: an encoder reads the letters, and two
decoders write the phonemes by attending to it through cross-attention:

    encoder       letters x1 .. xS (no <bos>), bidirectional self-attention          -> memory [S, d]
    AT decoder    <bos> y1 .. y(T-1) -> y1 .. yT <eos>: causal self-attention + cross-attention, one phoneme
                  per pass (greedy, beam, sampling)
    NAT decoder   <mask> x L -> y1 .. yL: bidirectional self-attention + cross-attention; L from a length head
                  on the mean of the memory; then mask-predict passes (as poet-nat)

Blocks are poet-at's (RMSNorm pre-norm, SwiGLU, no biases) with learned absolute position embeddings instead of
rotary ones (an alignment between letter i and phoneme j is a question of absolute positions). One embedding
table [V, d] over the joint vocabulary (specials, letters, phonemes) serves the encoder, both decoders and, tied,
both output layers.

    enc(x):     h = emb[x] + enc_pos[:S];  h = h + attn(n1(h), n1(h), mask = valid letters);  h = h + mlp(n2(h))
                memory = enc_norm(h)                                                       [S, d]
    dec(y, m):  h = emb[y] + dec_pos[:T]
                h = h + attn(n1(h), n1(h), causal (AT) or bidirectional (NAT))             self-attention
                h = h + attn(n2(h), memory)                                                 cross-attention
                h = h + mlp(n3(h));   logits = dec_norm(h) @ emb^T                          [T, V]
    length:     length_logits = length_head @ mean(memory over valid letters)              [max_len + 1]

Importing this file has no side effects.
"""
import math
import os
import sys
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # models/
from common.text import MLP, RMSNorm  # noqa: E402  (the poets' blocks: SwiGLU, RMSNorm)


@dataclass
class G2PConfig:
    vocab_size: int = 71  # 5 specials + 27 letters + 39 phonemes (models/data/cmudict/tokenizer.json)
    d_model: int = 192
    n_heads: int = 4
    d_ff: int = 512
    enc_layers: int = 3
    dec_layers: int = 3  # per decoder
    max_letters: int = 32  # encoder positions (longest word: 28 letters)
    max_phonemes: int = 32  # decoder positions: AT <bos> + phonemes, NAT phonemes (longest: 28)
    norm_eps: float = 1e-5
    dropout: float = 0.0  # training only: attention weights and each sublayer's output (train.py --dropout)


class Attention(nn.Module):
    """Multi-head attention of queries x [B, T, d] over keys/values m [B, S, d]; mask [B or 1, 1, T, S] True =
    may attend. Self-attention when m is x, cross-attention when m is the encoder's memory."""

    def __init__(self, cfg):
        super().__init__()
        d = cfg.d_model
        self.n_heads, self.hd, self.dropout = cfg.n_heads, d // cfg.n_heads, cfg.dropout
        self.wq = nn.Linear(d, d, bias=False)  # [d, d]
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)

    def forward(self, x, m, mask):
        B, T, d = x.shape
        S = m.shape[1]
        q = self.wq(x).view(B, T, self.n_heads, self.hd).transpose(1, 2)  # [B, H, T, hd]
        k = self.wk(m).view(B, S, self.n_heads, self.hd).transpose(1, 2)  # [B, H, S, hd]
        v = self.wv(m).view(B, S, self.n_heads, self.hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.hd))  # [B, H, T, S]
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        self.last_weights = att.detach()  # for the cross-attention heatmap
        att = F.dropout(att, self.dropout, self.training)
        return self.wo((att @ v).transpose(1, 2).reshape(B, T, d))


class EncoderBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attn_norm, self.attn = RMSNorm(cfg.d_model, cfg.norm_eps), Attention(cfg)
        self.mlp_norm, self.mlp = RMSNorm(cfg.d_model, cfg.norm_eps), MLP(cfg)
        self.dropout = cfg.dropout  # on each sublayer's output (training only), as in poet-at's blocks

    def forward(self, h, mask):
        x = self.attn_norm(h)
        h = h + F.dropout(self.attn(x, x, mask), self.dropout, self.training)
        return h + F.dropout(self.mlp(self.mlp_norm(h)), self.dropout, self.training)


class DecoderBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self_norm, self.self_attn = RMSNorm(cfg.d_model, cfg.norm_eps), Attention(cfg)
        self.cross_norm, self.cross_attn = RMSNorm(cfg.d_model, cfg.norm_eps), Attention(cfg)
        self.mlp_norm, self.mlp = RMSNorm(cfg.d_model, cfg.norm_eps), MLP(cfg)
        self.dropout = cfg.dropout

    def forward(self, h, memory, self_mask, cross_mask):
        x = self.self_norm(h)
        h = h + F.dropout(self.self_attn(x, x, self_mask), self.dropout, self.training)
        h = h + F.dropout(self.cross_attn(self.cross_norm(h), memory, cross_mask), self.dropout, self.training)
        return h + F.dropout(self.mlp(self.mlp_norm(h)), self.dropout, self.training)


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(cfg.max_phonemes, cfg.d_model))  # [T_max, d]
        self.blocks = nn.ModuleList(DecoderBlock(cfg) for _ in range(cfg.dec_layers))
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)


class G2P(nn.Module):
    def __init__(self, cfg: G2PConfig):
        super().__init__()
        self.cfg = cfg
        self.emb = nn.Embedding(cfg.vocab_size, cfg.d_model)  # [V, d], tied outputs
        self.enc_pos = nn.Parameter(torch.zeros(cfg.max_letters, cfg.d_model))  # [S_max, d]
        self.enc_blocks = nn.ModuleList(EncoderBlock(cfg) for _ in range(cfg.enc_layers))
        self.enc_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.at = Decoder(cfg)
        self.nat = Decoder(cfg)
        self.length_head = nn.Linear(cfg.d_model, cfg.max_phonemes + 1, bias=False)  # [max_phonemes+1, d]
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, mean=0.0, std=0.02)
        for p in (self.enc_pos, self.at.pos, self.nat.pos):
            nn.init.normal_(p, mean=0.0, std=0.02)

    def encode(self, letters, letter_valid):
        """letters [B, S], letter_valid [B, S] bool -> memory [B, S, d]."""
        S = letters.shape[1]
        h = self.emb(letters) + self.enc_pos[:S]
        mask = letter_valid[:, None, None, :]
        for block in self.enc_blocks:
            h = block(h, mask)
        return self.enc_norm(h)

    def decode(self, decoder, tokens, memory, letter_valid, causal, token_valid=None):
        """tokens [B, T] -> logits [B, T, V] of `decoder` (self.at or self.nat) attending to memory."""
        T = tokens.shape[1]
        h = self.emb(tokens) + decoder.pos[:T]
        if causal:
            self_mask = torch.ones(T, T, dtype=torch.bool, device=tokens.device).tril()[None, None]
        elif token_valid is not None:
            self_mask = token_valid[:, None, None, :]
        else:
            self_mask = torch.ones(1, 1, T, T, dtype=torch.bool, device=tokens.device)
        cross_mask = letter_valid[:, None, None, :]
        for block in decoder.blocks:
            h = block(h, memory, self_mask, cross_mask)
        return decoder.norm(h) @ self.emb.weight.t()

    def length_logits(self, memory, letter_valid):
        """[B, max_phonemes + 1]: the NAT length distribution from the mean of the memory over the letters."""
        w = letter_valid.float()[..., None]
        return self.length_head((memory * w).sum(1) / w.sum(1))


@torch.no_grad()
def at_greedy(model, letters, letter_valid, bos, eos, max_len=None):
    """Reference greedy AT decoding of a batch (no cache: the whole prefix each step). -> list of id lists."""
    max_len = max_len or model.cfg.max_phonemes - 1
    memory = model.encode(letters, letter_valid)
    B = letters.shape[0]
    y = torch.full((B, 1), bos, dtype=torch.long, device=letters.device)
    done = torch.zeros(B, dtype=torch.bool, device=letters.device)
    for _ in range(max_len):
        nxt = model.decode(model.at, y, memory, letter_valid, causal=True)[:, -1].argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
        y = torch.cat([y, nxt[:, None]], 1)
        done |= nxt == eos
        if done.all():
            break
    out = []
    for row in y[:, 1:].tolist():
        out.append(row[: row.index(eos)] if eos in row else row)
    return out


@torch.no_grad()
def nat_mask_predict(model, letters, letter_valid, mask, iterations, allowed):
    """Reference NAT decoding of a batch: L = argmax of the length head (at least 1), then mask-predict as
    poet-nat's (pass 1 predicts every position; after pass t the n = floor(L (T - t) / T) least confident go
    back to <mask>). allowed: bool [V], the ids a position may take (the phonemes). -> list of id lists."""
    memory = model.encode(letters, letter_valid)
    lengths = model.length_logits(memory, letter_valid).argmax(-1).clamp(min=1).tolist()
    out = []
    for b, L in enumerate(lengths):
        y = torch.full((1, L), mask, dtype=torch.long, device=letters.device)
        conf = torch.zeros(L, device=letters.device)
        remask = torch.arange(L, device=letters.device)
        for t in range(iterations):
            logits = model.decode(model.nat, y, memory[b : b + 1], letter_valid[b : b + 1], causal=False)[0]
            p = logits.masked_fill(~allowed, float("-inf")).softmax(-1)[remask]
            best = p.max(-1)
            y[0, remask] = best.indices
            conf[remask] = best.values
            n = L * (iterations - t - 1) // iterations
            if n == 0:
                break
            remask = conf.argsort()[:n].sort().values
            y[0, remask] = mask
        out.append(y[0].tolist())
    return out
