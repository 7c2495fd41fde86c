"""poet-at's GPT.forward with a KV cache: the model the ONNX export and the PyTorch engine of
bench/side_by_side.mjs run. The weights are models/poet-at's, loaded through its export.py.

    logits, k0, v0, k1, v1, ... = CachedGPT(gpt)(tokens, k0, v0, k1, v1, ...)

tokens [1, T] int64 at positions P .. P+T-1, where P = past length (past k/v: [1, H, P, hd] per layer,
P may be 0); logits [1, V] of the LAST position only (what decoding needs; a prefill that produced all
T rows of logits would do an extra T·d·V GEMM the other engines skip); present k/v [1, H, P+T, hd].
Keys are stored after the rotary embedding, as in the C++ core's cache.

Importing this file has no side effects but putting models/ on sys.path (for models/common).
"""
import importlib.util
import math
import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POET_AT = os.path.join(REPO, "models", "poet-at")
sys.path.insert(0, os.path.join(REPO, "models"))
from common.text import apply_rope  # noqa: E402


def _load_poet_at_export():
    """models/poet-at/export.py as a module (the folder is not a package; export.py imports its model.py)."""
    sys.path.insert(0, POET_AT)
    sys.modules.pop("model", None)  # export.py's `from model import ...` must find poet-at's model.py
    try:
        spec = importlib.util.spec_from_file_location("poet_at_export", os.path.join(POET_AT, "export.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(POET_AT)


def load_poet_at(path=os.path.join(POET_AT, "model.safetensors")):
    """-> (GPT in eval mode, the file's metadata) from an exported atnat-1 file (arch "gpt")."""
    model, _, meta = _load_poet_at_export().load_exported(path)
    return model, meta


def attend(q, k, v, past_k, past_v, cos_table, sin_table, n_heads):
    """Rotary embedding, KV-cache append and causal attention of T new positions P .. P+T-1.
    q, k, v [1, T, d] (heads concatenated); past_k, past_v [1, H, P, hd]; cos_table, sin_table [C, hd/2].
    -> (y [1, T, d], present_k [1, H, P+T, hd] (rotated keys), present_v [1, H, P+T, hd])."""
    T, P, H = q.shape[1], past_k.shape[2], n_heads
    hd = q.shape[2] // H
    cos, sin = cos_table[P : P + T], sin_table[P : P + T]  # [T, hd/2]
    # reshape(1, -1, ...) rather than view(B, T, ...): constant shapes, no shape arithmetic in the graph
    q = apply_rope(q.reshape(1, -1, H, hd).transpose(1, 2), cos, sin)  # [1, H, T, hd]
    k = torch.cat([past_k, apply_rope(k.reshape(1, -1, H, hd).transpose(1, 2), cos, sin)], dim=2)
    v = torch.cat([past_v, v.reshape(1, -1, H, hd).transpose(1, 2)], dim=2)  # [1, H, P+T, hd]
    # query i (position P+i) may attend key j (position j) when j <= P+i
    mask = torch.arange(P + T)[None, :] <= (torch.arange(T) + P)[:, None]  # [T, P+T]
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))  # [1, H, T, P+T]
    att = att.masked_fill(~mask, float("-inf")).softmax(-1)
    return (att @ v).transpose(1, 2).reshape(1, -1, H * hd), k, v


class CachedGPT(nn.Module):
    """Wraps a GPT (models/poet-at/model.py) without copying its weights; same math, plus a KV cache."""

    def __init__(self, gpt):
        super().__init__()
        self.gpt = gpt
        cfg = gpt.cfg
        self.n_layers, self.n_heads, self.hd = cfg.n_layers, cfg.n_heads, cfg.d_model // cfg.n_heads

    def forward(self, tokens, *past):
        """tokens [1, T]; past: 2 · n_layers tensors k0, v0, k1, v1, ... each [1, H, P, hd]."""
        g = self.gpt
        cos, sin = g.rope_cos, g.rope_sin
        h = g.tok_emb(tokens)  # [1, T, d]
        present = []
        for i, layer in enumerate(g.layers):
            a = layer.attn
            x = layer.attn_norm(h)
            y, k, v = attend(a.wq(x), a.wk(x), a.wv(x), past[2 * i], past[2 * i + 1], cos, sin, self.n_heads)
            present += [k, v]
            h = h + a.wo(y)
            h = h + layer.mlp(layer.mlp_norm(h))
        logits = g.final_norm(h[:, -1]) @ g.tok_emb.weight.t()  # [1, V]
        return (logits, *present)

    def empty_cache(self):
        """The past of an empty sequence: 2 · n_layers tensors [1, H, 0, hd]."""
        return [torch.zeros(1, self.n_heads, 0, self.hd) for _ in range(2 * self.n_layers)]

    @torch.no_grad()
    def generate_greedy(self, prompt, max_new, eos):
        """Prefill the prompt, then one token per pass through the cache; stops after emitting eos."""
        out = self(torch.tensor([prompt]), *self.empty_cache())
        logits, past = out[0], out[1:]
        tokens = []
        while True:
            nxt = int(logits[0].argmax())
            tokens.append(nxt)
            if nxt == eos or len(tokens) == max_new:
                return tokens
            out = self(torch.tensor([[nxt]]), *past)
            logits, past = out[0], out[1:]


class GroupQueryAttention(torch.autograd.Function):
    """attend() as one node of ONNX Runtime's com.microsoft GroupQueryAttention (docs/ContribOperators.md in
    the onnxruntime repository): rotary (rotate-half) on q and k, the cache append and causal attention.
    PyTorch runs forward (= attend) while tracing; the ONNX graph gets symbolic's node.
    seqlens_k [1] int32 = P + T - 1, total_length int32 scalar = P + T (the operator's own inputs)."""

    @staticmethod
    def forward(ctx, q, k, v, past_k, past_v, seqlens_k, total_length, cos_table, sin_table, n_heads):
        return attend(q, k, v, past_k, past_v, cos_table, sin_table, n_heads)

    @staticmethod
    def symbolic(g, q, k, v, past_k, past_v, seqlens_k, total_length, cos_table, sin_table, n_heads):
        return g.op(
            "com.microsoft::GroupQueryAttention",
            q,
            k,
            v,
            past_k,
            past_v,
            seqlens_k,
            total_length,
            cos_table,
            sin_table,
            num_heads_i=n_heads,
            kv_num_heads_i=n_heads,
            do_rotary_i=1,
            rotary_interleaved_i=0,
            outputs=3,
        )


class FusedCachedGPT(CachedGPT):
    """The same function laid out the way ONNX Runtime's own LLM exports are: q, k, v in one matrix
    [3d, d] and gate, up in one [2f, d] (the same weights, stacked), attention as GroupQueryAttention.
    ONNX Runtime's graph optimiser fuses the RMSNorms itself (SimplifiedLayerNormalization)."""

    def __init__(self, gpt):
        super().__init__(gpt)
        with torch.no_grad():
            self.wqkv = [torch.cat([b.attn.wq.weight, b.attn.wk.weight, b.attn.wv.weight]) for b in gpt.layers]
            self.w_gate_up = [torch.cat([b.mlp.w_gate.weight, b.mlp.w_up.weight]) for b in gpt.layers]

    def forward(self, tokens, *past):
        g = self.gpt
        d, f = g.cfg.d_model, g.cfg.d_ff
        total = (torch._shape_as_tensor(past[0])[2] + torch._shape_as_tensor(tokens)[1]).to(torch.int32)
        seqlens_k = (total - 1).reshape(1)
        h = g.tok_emb(tokens)  # [1, T, d]
        present = []
        for i, layer in enumerate(g.layers):
            q, k, v = F.linear(layer.attn_norm(h), self.wqkv[i]).split(d, dim=-1)
            y, k, v = GroupQueryAttention.apply(
                q, k, v, past[2 * i], past[2 * i + 1], seqlens_k, total, g.rope_cos, g.rope_sin, self.n_heads
            )
            present += [k, v]
            h = h + layer.attn.wo(y)
            gate, up = F.linear(layer.mlp_norm(h), self.w_gate_up[i]).split(f, dim=-1)
            h = h + layer.mlp.w_down(F.silu(gate) * up)
        logits = g.final_norm(h[:, -1]) @ g.tok_emb.weight.t()  # [1, V]
        return (logits, *present)


def io_names(n_layers):
    """ONNX input and output names: tokens, past_k0, past_v0, ... -> logits, present_k0, present_v0, ..."""
    kv = [f"{kind}{i}" for i in range(n_layers) for kind in ("k", "v")]
    return ["tokens"] + [f"past_{n}" for n in kv], ["logits"] + [f"present_{n}" for n in kv]


def export_onnx(gpt, path, fused=False, opset=17):
    """torch.onnx.export of CachedGPT(gpt) (or FusedCachedGPT) with dynamic sequence axes (T new tokens,
    P past positions)."""
    model = (FusedCachedGPT if fused else CachedGPT)(gpt).eval()
    inputs, outputs = io_names(model.n_layers)
    # trace with P > 0 and T > 1 so that neither axis is specialised to a constant
    example = (
        torch.zeros(1, 3, dtype=torch.long),
        *[torch.zeros(1, model.n_heads, 5, model.hd) for _ in range(2 * model.n_layers)],
    )
    axes = {"tokens": {1: "T"}, "logits": {}}
    axes.update({n: {2: "P"} for n in inputs[1:]})
    axes.update({n: {2: "P_plus_T"} for n in outputs[1:]})
    with torch.no_grad(), warnings.catch_warnings():
        # expected: hd becomes a constant (it is one), torch has no shape function for the contrib op (ONNX
        # Runtime infers the shapes itself), and g.op's deprecation notice
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=".*(GroupQueryAttention|_graph_op).*")
        torch.onnx.export(
            model,
            example,
            path,
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=opset,
            do_constant_folding=True,
            custom_opsets={"com.microsoft": 1} if fused else None,
        )
