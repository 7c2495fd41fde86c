"""pixnat: the parallel (non-autoregressive) counterpart of the PixelCNN, MaskGIT-style over pixels
(Chang et al. 2022, "MaskGIT: Masked Generative Image Transformer"), with a dilated conv ResNet in place of
the bidirectional transformer.

Input: a 28x28 grid of tokens, each a grey level 0..L-1 or MASK (= L), and a class c in 0..9.
Output: logits over the L levels at every pixel, in one pass (no causality: every pixel sees every pixel).

C++ op sequence for forward(tokens, c) -> logits [H, W, L] (channels-last [H*W, ch] buffers, P = H*W):

    h = embedding(tok_emb [L+1, C], tokens, P)                 # [P, C]; MASK is row L
    h = add(h, pos_emb [P, C])                                 # learned position vector per pixel
    for i in 0..B-1 (d = dilations[i]):
        z = layernorm(h[p], blocks.i.norm.weight, blocks.i.norm.bias, eps=1e-5)   # per pixel, over C
        z = conv2d_dilated(z, blocks.i.conv.weight [3, 3, C, C], bias = blocks.i.conv.bias + blocks.i.class_emb[c],
                           dilation d, zero padding d on all four sides)          # [P, C]
        gelu(z)
        z = conv1x1(z, blocks.i.proj.weight [C, C], blocks.i.proj.bias)
        h = add(h, z)                                          # residual
    z = layernorm(h[p], norm_out.weight, norm_out.bias, eps=1e-5)
    logits = conv1x1(z, head.weight [L, C], head.bias)         # [P, L]

Dilation: atnat's conv2d has no dilation parameter. A 3x3 conv with dilation d is exactly the conv2d of a
(2d+1)x(2d+1) kernel whose only non-zero taps are (d*i, d*j), i, j in 0..2, with tap mask = those 9 taps,
padding d on each side. The file stores the compact [3, 3, C, C] weights + dilation; the C++ loader can
either expand them at load time into that tap-masked kernel (no extra download; memory (2d+1)^2/9 times the
compact size: 32x at d = 8), or the kernel gains a `dilation` argument (out[oy, ox] reads
in[oy - pad + d*i, ox - pad + d*j]) -- the cleaner option, and the one this model asks for.

Receptive field: 1 + 2 * sum(dilations) = 61 > 2 * 27 + 1 with the default 1,2,4,8,1,2,4,8: every
output pixel sees the whole image.
"""
import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class PixNATConfig:
    levels: int = 16
    channels: int = 64
    dilations: list = field(default_factory=lambda: [1, 2, 4, 8, 1, 2, 4, 8])
    n_classes: int = 10
    height: int = 28
    width: int = 28


class Block(nn.Module):
    def __init__(self, cfg: PixNATConfig, dilation: int):
        super().__init__()
        C = cfg.channels
        self.dilation = dilation
        self.norm = nn.LayerNorm(C)
        self.conv = nn.Conv2d(C, C, 3, padding=dilation, dilation=dilation)
        self.class_emb = nn.Embedding(cfg.n_classes, C)
        self.proj = nn.Conv2d(C, C, 1)
        nn.init.zeros_(self.class_emb.weight)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, h, c):
        z = self.norm(h.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        z = self.conv(z) + self.class_emb(c)[:, :, None, None]
        return h + self.proj(F.gelu(z))


class PixNAT(nn.Module):
    def __init__(self, cfg: PixNATConfig):
        super().__init__()
        self.cfg = cfg
        C, P = cfg.channels, cfg.height * cfg.width
        self.mask_id = cfg.levels
        self.tok_emb = nn.Embedding(cfg.levels + 1, C)
        self.pos_emb = nn.Parameter(torch.randn(P, C) * 0.02)
        self.blocks = nn.ModuleList(Block(cfg, d) for d in cfg.dilations)
        self.norm_out = nn.LayerNorm(C)
        self.head = nn.Conv2d(C, cfg.levels, 1)

    def forward(self, tokens, c):
        """tokens: int64 [B, H, W] in 0..L (L = MASK); c: int64 [B] -> logits [B, L, H, W]."""
        B, H, W = tokens.shape
        h = self.tok_emb(tokens.view(B, H * W)) + self.pos_emb  # [B, P, C]
        h = h.transpose(1, 2).reshape(B, -1, H, W)
        for block in self.blocks:
            h = block(h, c)
        z = self.norm_out(h.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.head(z)

    def loss(self, img, c, masked):
        """img: int64 [B, H, W] levels; masked: bool [B, H, W] (see random_mask), those pixels are input as MASK.
        -> cross-entropy (nats) on the masked pixels only, the mean over all masked pixels of the batch."""
        tokens = torch.where(masked, torch.full_like(img, self.mask_id), img)
        ce = F.cross_entropy(self(tokens, c), img, reduction="none")  # [B, H, W]
        return (ce * masked).sum() / masked.sum()


def random_mask(B, H, W, generator=None):
    """MaskGIT training mask: per image r ~ U(0,1), ceil(cos(pi/2 r) * P) random pixels (>= 1) -> bool [B, H, W]."""
    P = H * W
    r = torch.rand(B, generator=generator)
    n_mask = torch.clamp(torch.ceil(torch.cos(math.pi / 2 * r) * P), min=1).long()  # [B]
    scores = torch.rand(B, P, generator=generator)
    rank = scores.argsort(dim=1).argsort(dim=1)  # random permutation rank per pixel
    return (rank < n_mask[:, None]).view(B, H, W)


def mask_schedule(K, P):
    """n[k] = pixels still masked after step k (k = 0..K): floor(P * cos(pi/2 * k/K)), n[0] = P, n[K] = 0.
    Computed in float64; the fixtures list the integers for K = 1..16 so C++ need not recompute them."""
    return [P] + [int(math.floor(P * math.cos(math.pi / 2 * k / K))) for k in range(1, K)] + [0]


@torch.no_grad()
def sample(model, c, K, greedy=False, gumbel_temp=0.0, temperature=1.0, generator=None):
    """MaskGIT decoding from an all-MASK start. c: int64 [B] -> levels [B, H, W].

    step k = 1..K:
      logits = forward(tokens, c)
      for every still-masked pixel p: level[p] = argmax (greedy) or a draw from softmax(logits[p] / temperature);
        conf[p] = log_softmax(logits[p])[level[p]]                     (temperature-1 log-prob of the choice)
                  + gumbel_temp * (1 - k/K) * g[p],  g[p] ~ Gumbel(0, 1)  (annealed noise; 0 = plain confidence)
      keep the (masked_before - n[k]) masked pixels with the highest conf (ties: lower raster index first),
      writing their level; the other n[k] stay MASK. Unmasked pixels are never revisited.
    """
    cfg = model.cfg
    B, H, W, P = c.shape[0], cfg.height, cfg.width, cfg.height * cfg.width
    L = cfg.levels
    tokens = torch.full((B, P), L, dtype=torch.long)
    sched = mask_schedule(K, P)
    for k in range(1, K + 1):
        logits = model(tokens.view(B, H, W), c).view(B, L, P).transpose(1, 2).double()  # [B, P, L]
        logp = torch.log_softmax(logits, dim=-1)
        if greedy:
            choice = logits.argmax(dim=-1)
        else:
            probs = torch.softmax(logits / temperature, dim=-1)
            choice = torch.multinomial(probs.view(B * P, L), 1, generator=generator).view(B, P)
        conf = logp.gather(-1, choice[..., None])[..., 0]
        if gumbel_temp > 0 and k < K:
            u = torch.rand(B, P, generator=generator, dtype=torch.float64).clamp_(1e-20, 1 - 1e-12)
            conf = conf + gumbel_temp * (1 - k / K) * -torch.log(-torch.log(u))
        is_masked = tokens == L
        conf = torch.where(is_masked, conf, torch.full_like(conf, -math.inf))
        n_keep = sched[k - 1] - sched[k]
        order = torch.sort(conf, dim=1, descending=True, stable=True).indices[:, :n_keep]  # [B, n_keep]
        new = tokens.clone()
        new.scatter_(1, order, choice.gather(1, order))
        tokens = new
    return tokens.view(B, H, W)
