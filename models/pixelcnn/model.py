"""Class-conditional Gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation with
PixelCNN Decoders"): vertical + horizontal stacks (no blind spot), tanh·sigmoid gates, residual
horizontal stack, vertical->horizontal 1x1 link, a learned per-layer class vector added to both gate halves.

Every convolution is one atnat `conv2d` call (core/ops/ops_decl.inc): channels-last, stride 1, weight
[kh, kw, C_out, C_in], optional [kh, kw] U8 tap mask (0 = tap skipped), asymmetric zero padding
(pad_top, pad_bottom, pad_left, pad_right). `CausalConv` below is exactly that op, so the PyTorch and
C++ forwards can be read side by side.

Notation: L = levels, C = channels, N = layers, k0 = first_kernel (odd), r = k0 // 2, H = W = 28.
Input: the image as levels img[y, x] in 0..L-1 and a class c in 0..9.

C++ op sequence for forward(img, c) -> logits [H, W, L] (all tensors channels-last [H, W, ch]):

    x      = [img / (L - 1), (y + 1) / H, (x + 1) / W]        # [H, W, 3] float: the level (0 = black) and
                                                              # where the pixel is (0 only in the zero padding)
    # layer 0 (mask A): vertical sees rows y-r..y-1 only, horizontal sees row y, columns x-r..x-1 only
    vpre   = conv2d(x, layers.0.v_conv.weight [r+1, k0, 2C, 3], bias = layers.0.v_conv.bias + layers.0.v_class[c],
                    tap_mask = layers.0.v_conv.mask (last kernel row 0), pad t=r b=0 l=r r=r)       # [H, W, 2C]
    v      = tanh_sigmoid_gate(vpre[..., :C], vpre[..., C:])                                         # [H, W, C]
    hpre   = conv2d(x, layers.0.h_conv.weight [1, r+1, 2C, 3], bias = layers.0.h_conv.bias + layers.0.h_class[c],
                    tap_mask = layers.0.h_conv.mask ([1,..,1,0]: current pixel excluded), pad t=0 b=0 l=r r=0)
    hpre  += conv1x1(vpre, layers.0.v2h.weight [2C, 2C], layers.0.v2h.bias)                        # add
    g      = tanh_sigmoid_gate(hpre[..., :C], hpre[..., C:])                                         # [H, W, C]
    h      = conv1x1(g, layers.0.h_out.weight [C, C], layers.0.h_out.bias)      # layer 0: no residual
    # layers i = 1..N-1 (mask B): no tap masks needed, the kernel shapes + padding are the masks
    vpre   = conv2d(v, layers.i.v_conv.weight [2, 3, 2C, C], bias = layers.i.v_conv.bias + layers.i.v_class[c],
                    no mask, pad t=1 b=0 l=1 r=1)         # taps: rows y-1..y, columns x-1..x+1
    hpre   = conv2d(h, layers.i.h_conv.weight [1, 2, 2C, C], bias = layers.i.h_conv.bias + layers.i.h_class[c],
                    no mask, pad t=0 b=0 l=1 r=0)         # taps: row y, columns x-1..x
    hpre  += conv1x1(vpre, layers.i.v2h.weight, layers.i.v2h.bias)
    v      = tanh_sigmoid_gate(vpre[..., :C], vpre[..., C:])
    g      = tanh_sigmoid_gate(hpre[..., :C], hpre[..., C:])
    h      = h + conv1x1(g, layers.i.h_out.weight, layers.i.h_out.bias)          # residual (add)
    # head
    a      = gelu(copy of h)
    a      = conv1x1(a, head.0.weight [Ch, C], head.0.bias);  gelu(a)
    logits = conv1x1(a, head.1.weight [L, Ch], head.1.bias)                       # [H, W, L]

(gate halves: the first C channels of a pre-activation go through tanh, the last C through sigmoid; with
channels-last the two halves of pixel p are at p*2C and p*2C + C, so call tanh_sigmoid_gate per pixel or on a
strided copy.) The class vector is folded into the conv bias (bias + class row), which is what "added to
the gate pre-activation" means; v2h sees vpre including its class vector.

Why the coordinate channels: convolutions are translation-equivariant and the zero padding looks exactly like
Fashion-MNIST's black background, so a model fed only the levels cannot tell column 3 from column 20 while it
paints. It then places a garment wherever its first row happens to start and drifts sideways from there
(session 1's model: garments cut off at the right edge). Two causal-safe channels that say where each pixel is
(they never depend on pixel values) let it centre garments as the data does.

Causality: v at row y depends only on rows < y (layer 0 masks row y; later layers read v rows y-1..y,
which already see only rows < y), so the vertical stack here is the paper's vertical stack already shifted
down by one row; no separate shift op. h at (y, x) depends on row y, columns < x, plus v at (y, x).
Receptive field: rows y-(r+N-1)..y-1 over columns x±(r+N-1), and row y columns x-(r+N-1)..x-1.

Cached (Fast PixelCNN) sampling in raster order, for row y:
  1. when row y-1 is complete: compute the vertical stack for row y for all layers (layer 0 reads image
     rows y-r..y-1; layer i reads v_{i-1} rows y-1 and y, so keep two rows of v per layer). conv2d_at per
     (layer, x) or a row-sized conv2d.
  2. for x = 0..W-1: for each layer compute hpre/g/h at (y, x) only (conv2d_at; h_conv reads h_{i-1} at
     (y, x-1), (y, x)), then the head at (y, x) -> logits -> pick the level -> write img[y, x].
Logits at (y, x) never depend on img[y, x] or later pixels, so any sampler that fills pixels in raster
order gives the same result as a full forward per pixel.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class PixelCNNConfig:
    levels: int = 16
    channels: int = 48
    layers: int = 8
    first_kernel: int = 7  # k0: layer 0 is a (k0//2+1) x k0 vertical and 1 x (k0//2+1) horizontal kernel
    head_channels: int = 96
    n_classes: int = 10
    height: int = 28
    width: int = 28
    input_channels: int = 3  # level, (y + 1) / H, (x + 1) / W   (1 = level only: position-blind)


class CausalConv(nn.Module):
    """atnat conv2d: zero pad (top, bottom, left, right), stride-1 conv, optional 0/1 tap mask [kh, kw]."""

    def __init__(self, c_in, c_out, kh, kw, pad, mask=None):
        super().__init__()
        self.pad = pad  # (top, bottom, left, right)
        self.weight = nn.Parameter(torch.empty(c_out, c_in, kh, kw))
        self.bias = nn.Parameter(torch.zeros(c_out))
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)
        if mask is None:
            self.mask = None
        else:
            self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32))
            with torch.no_grad():
                self.weight.mul_(self.mask)
                # rescale for the taps that remain so the init variance matches the unmasked fan-in
                self.weight.mul_((kh * kw / self.mask.sum()) ** 0.5)

    def forward(self, x, extra_bias=None):
        w = self.weight if self.mask is None else self.weight * self.mask
        t, b, l, r = self.pad
        y = F.conv2d(F.pad(x, (l, r, t, b)), w, self.bias)
        if extra_bias is not None:  # [B, C_out] per-image class vector
            y = y + extra_bias[:, :, None, None]
        return y


def gate(z):
    a, b = z.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedLayer(nn.Module):
    def __init__(self, cfg: PixelCNNConfig, first: bool):
        super().__init__()
        C = cfg.channels
        self.first = first
        if first:
            r = cfg.first_kernel // 2
            k0 = cfg.first_kernel
            v_mask = torch.ones(r + 1, k0)
            v_mask[r, :] = 0  # rows y-r..y-1 only (mask A for the vertical stack)
            h_mask = torch.ones(1, r + 1)
            h_mask[0, r] = 0  # columns x-r..x-1 only (mask A: not the current pixel)
            c_in = cfg.input_channels
            self.v_conv = CausalConv(c_in, 2 * C, r + 1, k0, (r, 0, r, r), v_mask)
            self.h_conv = CausalConv(c_in, 2 * C, 1, r + 1, (0, 0, r, 0), h_mask)
        else:
            self.v_conv = CausalConv(C, 2 * C, 2, 3, (1, 0, 1, 1))  # rows y-1..y (of v, which sees rows < y)
            self.h_conv = CausalConv(C, 2 * C, 1, 2, (0, 0, 1, 0))  # columns x-1..x (mask B)
        self.v2h = nn.Conv2d(2 * C, 2 * C, 1)
        self.h_out = nn.Conv2d(C, C, 1)
        self.v_class = nn.Embedding(cfg.n_classes, 2 * C)
        self.h_class = nn.Embedding(cfg.n_classes, 2 * C)
        nn.init.zeros_(self.v_class.weight)
        nn.init.zeros_(self.h_class.weight)

    def forward(self, v, h, c):
        vpre = self.v_conv(v, self.v_class(c))
        hpre = self.h_conv(h, self.h_class(c)) + self.v2h(vpre)
        v_new = gate(vpre)
        h_new = self.h_out(gate(hpre))
        if not self.first:
            h_new = h + h_new
        return v_new, h_new


class GatedPixelCNN(nn.Module):
    def __init__(self, cfg: PixelCNNConfig):
        super().__init__()
        self.cfg = cfg
        self.layers = nn.ModuleList(GatedLayer(cfg, i == 0) for i in range(cfg.layers))
        self.head = nn.ModuleList(
            [nn.Conv2d(cfg.channels, cfg.head_channels, 1), nn.Conv2d(cfg.head_channels, cfg.levels, 1)]
        )

    def input(self, img):
        """img: int64 [B, H, W] levels -> x [B, input_channels, H, W]: level / (L - 1), then (y + 1) / H, (x + 1) / W."""
        x = img.float().unsqueeze(1) / (self.cfg.levels - 1)
        if self.cfg.input_channels == 1:
            return x
        B, _, H, W = x.shape
        ys = ((torch.arange(H, device=x.device, dtype=torch.float32) + 1) / H).view(1, 1, H, 1).expand(B, 1, H, W)
        xs = ((torch.arange(W, device=x.device, dtype=torch.float32) + 1) / W).view(1, 1, 1, W).expand(B, 1, H, W)
        return torch.cat([x, ys, xs], dim=1)

    def forward(self, img, c):
        """img: int64 [B, H, W] levels; c: int64 [B] classes -> logits [B, L, H, W]."""
        x = self.input(img)
        v, h = x, x
        for layer in self.layers:
            v, h = layer(v, h, c)
        a = self.head[0](F.gelu(h))
        return self.head[1](F.gelu(a))

    def nll(self, img, c):
        """mean negative log-likelihood per pixel, in nats."""
        return F.cross_entropy(self(img, c), img)

    @torch.no_grad()
    def sample(self, c, greedy=False, generator=None, temperature=1.0):
        """raster-order sampling with a full forward per pixel. c: int64 [B] -> levels [B, H, W]."""
        B, H, W = c.shape[0], self.cfg.height, self.cfg.width
        img = torch.zeros(B, H, W, dtype=torch.long)
        for y in range(H):
            for x in range(W):
                logits = self(img, c)[:, :, y, x]
                if greedy:
                    img[:, y, x] = logits.argmax(dim=1)
                else:
                    p = torch.softmax(logits / temperature, dim=1)
                    img[:, y, x] = torch.multinomial(p, 1, generator=generator)[:, 0]
        return img
