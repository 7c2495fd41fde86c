"""Shared pieces of the poetry models (poet-at, poet-nat): config, tokenizer, data, and the Transformer block.

Importing this module has no side effects. The block is written once so that both models are the same
design (pre-norm RMSNorm, rotary positions in the rotate-half convention, SwiGLU MLP, no biases) and differ
only in the attention mask and in what they put on top.

Shapes: B batch, T sequence, d d_model, H heads, hd = d / H head size, f d_ff, V vocab.
"""
import json
import math
import os
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # models/
POETRY_DIR = os.path.join(ROOT, "data", "poetry")
CACHE_DIR = os.path.join(ROOT, "data", "cache")


# ----------------------------------------------------------------------------------------------- config
@dataclass
class TransformerConfig:
    vocab_size: int = 5242
    d_model: int = 256
    n_layers: int = 4
    n_heads: int = 4
    d_ff: int = 688
    context: int = 128
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    dropout: float = 0.0


# -------------------------------------------------------------------------------------------- tokenizer
class CharTokenizer:
    """One token per character. Ids: <pad>0 <bos>1 <eos>2 <mask>3 <unk>4 \\n5 <len>6 <fixed>7,
    forms 8..12, '，'13 '。'14, then the characters by descending train frequency."""

    def __init__(self, spec):
        self.spec = spec
        self.tokens = spec["tokens"]
        self.index = {t: i for i, t in enumerate(self.tokens)}
        s = spec["specials"]
        self.pad, self.bos, self.eos, self.mask = s["pad"], s["bos"], s["eos"], s["mask"]
        self.unk, self.newline, self.len, self.fixed = s["unk"], s["newline"], s["len"], s["fixed"]
        self.forms = {name: self.index[tok] for name, tok in spec["forms"].items()}

    @classmethod
    def load(cls, path=os.path.join(POETRY_DIR, "tokenizer.json")):
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))

    def __len__(self):
        return len(self.tokens)

    def encode(self, text):
        """Poem text (chars, '，', '。', '\\n') -> ids; no specials added."""
        return [self.index.get(ch, self.unk) for ch in text]

    def decode(self, ids):
        out = []
        for i in ids:
            t = self.tokens[i]
            out.append(t if (len(t) == 1 or i == self.newline) else ("" if i == self.pad else t))
        return "".join(out)


def load_splits(tok):
    """-> {"train"|"val"|"test": [(form_id, [poem token ids]), ...]} from models/data/cache/poetry.json."""
    path = os.path.join(CACHE_DIR, "poetry.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} missing: run /usr/bin/python3 models/data/prepare_poetry.py")
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    return {s: [(tok.forms[p["form"]], tok.encode(p["text"])) for p in v] for s, v in raw.items()}


def length_bucketed_batches(lengths, batch_size, gen):
    """Shuffle, then sort by length within windows of 50 batches, cut into batches, shuffle the batches.
    Keeps padding small while every epoch still visits every example once in random order."""
    perm = torch.randperm(len(lengths), generator=gen).tolist()
    window = 50 * batch_size
    batches = []
    for w in range(0, len(perm), window):
        chunk = sorted(perm[w : w + window], key=lambda i: lengths[i])
        batches += [chunk[b : b + batch_size] for b in range(0, len(chunk), batch_size)]
    order = torch.randperm(len(batches), generator=gen).tolist()
    return [batches[i] for i in order]


# ----------------------------------------------------------------------------------------------- blocks
class RMSNorm(nn.Module):
    """y = x / sqrt(mean(x^2) + eps) * weight   (weight only, no bias, no mean subtraction)."""

    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(hd, T, theta):
    """cos, sin: [T, hd/2] with angle[p, i] = p * theta^(-2i/hd), positions p = 0..T-1."""
    inv_freq = theta ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)  # [hd/2]
    angle = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None, :]  # [T, hd/2]
    return angle.cos().float(), angle.sin().float()


def apply_rope(x, cos, sin):
    """Rotate-half: x [B, H, T, hd], halves x1 = x[..., :hd/2], x2 = x[..., hd/2:];
    out = [x1*cos - x2*sin, x2*cos + x1*sin]  (pair (i, i+hd/2) is rotated by angle[p, i])."""
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.d_model
        self.n_heads, self.hd = cfg.n_heads, d // cfg.n_heads
        self.wq = nn.Linear(d, d, bias=False)  # [d, d]; rows h*hd..(h+1)*hd belong to head h
        self.wk = nn.Linear(d, d, bias=False)  # [d, d]
        self.wv = nn.Linear(d, d, bias=False)  # [d, d]
        self.wo = nn.Linear(d, d, bias=False)  # [d, d]; input columns are the heads concatenated
        self.dropout = cfg.dropout

    def forward(self, x, cos, sin, mask):
        """x [B, T, d]; mask [B or 1, 1, T, T] bool, True = may attend. -> [B, T, d]"""
        B, T, d = x.shape
        q = self.wq(x).view(B, T, self.n_heads, self.hd).transpose(1, 2)  # [B, H, T, hd]
        k = self.wk(x).view(B, T, self.n_heads, self.hd).transpose(1, 2)
        v = self.wv(x).view(B, T, self.n_heads, self.hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.hd))  # [B, H, T, T]
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        att = F.dropout(att, self.dropout, self.training)
        y = (att @ v).transpose(1, 2).reshape(B, T, d)  # heads concatenated: [B, T, H*hd]
        return self.wo(y)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.w_gate = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)  # [f, d]
        self.w_up = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)  # [f, d]
        self.w_down = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)  # [d, f]

    def forward(self, x):
        return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))


class Block(nn.Module):
    """x = x + attn(attn_norm(x));  x = x + mlp(mlp_norm(x))."""

    def __init__(self, cfg):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.mlp_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.mlp = MLP(cfg)
        self.dropout = cfg.dropout

    def forward(self, x, cos, sin, mask):
        x = x + F.dropout(self.attn(self.attn_norm(x), cos, sin, mask), self.dropout, self.training)
        x = x + F.dropout(self.mlp(self.mlp_norm(x)), self.dropout, self.training)
        return x


def init_weights(module):
    """GPT-2 style: Linear and Embedding N(0, 0.02); RMSNorm weights stay 1."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)


def transformer_tensors(model):
    """The exported tensors shared by poet-at and poet-nat, in file order: name -> torch Parameter.
    tok_emb [V, d]; layers.{i}.{attn_norm [d], wq wk wv wo [d, d], mlp_norm [d], w_gate w_up [f, d],
    w_down [d, f]}; final_norm [d]. Linear weights keep PyTorch's [out, in] layout (y = W x)."""
    out = {"tok_emb": model.tok_emb.weight}
    for i, b in enumerate(model.layers):
        p = f"layers.{i}."
        out[p + "attn_norm"] = b.attn_norm.weight
        out[p + "wq"], out[p + "wk"] = b.attn.wq.weight, b.attn.wk.weight
        out[p + "wv"], out[p + "wo"] = b.attn.wv.weight, b.attn.wo.weight
        out[p + "mlp_norm"] = b.mlp_norm.weight
        out[p + "w_gate"], out[p + "w_up"] = b.mlp.w_gate.weight, b.mlp.w_up.weight
        out[p + "w_down"] = b.mlp.w_down.weight
    out["final_norm"] = model.final_norm.weight
    return out


def to_numpy(params):
    return {k: v.detach().float().cpu().numpy() for k, v in params.items()}


@torch.no_grad()
def load_tensors(params, arrays):
    """Copy exported arrays back into the parameters (shapes must match exactly, no name left over)."""
    if set(params) != set(arrays):
        raise ValueError(f"tensor names differ: {sorted(set(params) ^ set(arrays))}")
    for name, p in params.items():
        a = torch.from_numpy(arrays[name].copy())
        if tuple(a.shape) != tuple(p.shape):
            raise ValueError(f"{name}: file shape {tuple(a.shape)} != model shape {tuple(p.shape)}")
        p.copy_(a)


def sha256_file(path):
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def f32_list(t):
    """float32 tensor -> flat list of Python floats rounded to 7 significant digits (relative error <= 5e-7,
    i.e. a few float32 ulps); written as plain JSON numbers to keep the fixtures small."""
    return [float(f"{x:.7g}") for x in t.detach().float().reshape(-1).tolist()]
