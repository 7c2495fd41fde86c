"""Grey-scale image files without PIL: PNG (8-bit grey, written and read with zlib + struct) and PGM (P5/P2).

Grids: `tile` lays N equal images out in raster order with `pad` pixels of `pad_value` between them;
`untile` is its inverse.
"""
import struct
import zlib

import numpy as np


def write_png(path, img):
    """img: uint8 [H, W] grey."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    H, W = img.shape
    raw = b"".join(b"\0" + img[y].tobytes() for y in range(H))  # filter type 0 per row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def read_png(path):
    """8-bit grey (colour type 0), grey+alpha (4), RGB (2) or RGBA (6), non-interlaced -> uint8 [H, W] grey."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            W, H, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    if depth != 8 or interlace != 0 or ctype not in (0, 2, 4, 6):
        raise ValueError(f"{path}: only 8-bit non-interlaced grey/RGB(A) PNGs are supported")
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = W * bpp
    out = np.zeros((H, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(H):
        ftype = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int64)
        if ftype == 0:
            cur = line
        elif ftype == 2:
            cur = (line + prev) & 255
        else:
            cur = np.zeros(stride, dtype=np.int64)
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                pred = a if ftype == 1 else (a + b) // 2 if ftype == 3 else _paeth(a, b, c)
                cur[i] = (line[i] + pred) & 255
        out[y] = cur
        prev = cur
    pix = out.reshape(H, W, bpp)
    if ctype in (0, 4):
        return pix[..., 0].copy()
    return np.rint(pix[..., :3] @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)


def read_pgm(path):
    """P5 (binary) or P2 (ASCII) PGM, maxval <= 255 -> uint8 [H, W] scaled to 0..255."""
    with open(path, "rb") as f:
        data = f.read()
    tokens, pos = [], 0
    while len(tokens) < 4:  # magic, width, height, maxval (comments skipped)
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while end < len(data) and not data[end : end + 1].isspace():
            end += 1
        tokens.append(data[pos:end])
        pos = end
    magic, W, H, maxval = tokens[0], int(tokens[1]), int(tokens[2]), int(tokens[3])
    if magic == b"P5":
        img = np.frombuffer(data, dtype=np.uint8, count=W * H, offset=pos + 1).reshape(H, W)
    elif magic == b"P2":
        img = np.array(data[pos:].split()[: W * H], dtype=np.int64).reshape(H, W)
    else:
        raise ValueError(f"{path}: not a P5/P2 PGM")
    if maxval > 255:
        raise ValueError(f"{path}: 16-bit PGM not supported")
    return np.rint(np.asarray(img, dtype=np.float64) * 255 / maxval).astype(np.uint8)


def tile(images, cols, pad=2, pad_value=255):
    """uint8 [N, h, w] -> one grid image, raster order, `cols` tiles per row."""
    N, h, w = images.shape
    rows = (N + cols - 1) // cols
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), pad_value, dtype=np.uint8)
    for i in range(N):
        r, c = divmod(i, cols)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = images[i]
    return grid


def untile(grid, h=28, w=28, pad=0):
    """inverse of `tile` (every full tile, raster order) -> uint8 [N, h, w]."""
    rows, cols = (grid.shape[0] - pad) // (h + pad), (grid.shape[1] - pad) // (w + pad)
    out = [
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w]
        for r in range(rows)
        for c in range(cols)
    ]
    return np.stack(out)
