#include "cli/image_io.hpp"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "cli/cli.hpp"

namespace atnat::cli {

// ---- checksums ------------------------------------------------------------------------------------------

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc) {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    crc = ~crc;
    for (size_t i = 0; i < n; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

uint32_t adler32(const uint8_t* data, size_t n) {
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; ++i) {
        a = (a + data[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

// ---- images ---------------------------------------------------------------------------------------------

uint8_t level_to_byte(int level, int levels) {
    const double v =
        std::nearbyint(double(level) * 255.0 / double(levels - 1));  // half to even, like np.rint
    return uint8_t(std::min(255.0, std::max(0.0, v)));
}

GreyImage tile(const std::vector<std::vector<uint8_t>>& images, size_t h, size_t w, int levels, size_t pad,
               uint8_t pad_value) {
    const size_t n = images.size();
    size_t cols = 1;
    while (cols * cols < n) ++cols;
    const size_t rows = n == 0 ? 0 : (n + cols - 1) / cols;
    GreyImage g;
    g.height = rows * (h + pad) + pad;
    g.width = cols * (w + pad) + pad;
    g.pixels.assign(g.height * g.width, pad_value);
    for (size_t i = 0; i < n; ++i) {
        const size_t r = i / cols, c = i % cols;
        for (size_t y = 0; y < h; ++y)
            for (size_t x = 0; x < w; ++x)
                g.pixels[(pad + r * (h + pad) + y) * g.width + pad + c * (w + pad) + x] =
                    level_to_byte(images[i][y * w + x], levels);
    }
    return g;
}

namespace {

void put_u32be(std::vector<uint8_t>& out, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(v >> s));
}

void put_chunk(std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& body) {
    put_u32be(out, uint32_t(body.size()));
    const size_t start = out.size();
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), body.begin(), body.end());
    put_u32be(out, crc32(out.data() + start, out.size() - start));
}

bool ends_with(const std::string& s, const char* suffix) {
    const size_t n = std::strlen(suffix);
    if (s.size() < n) return false;
    for (size_t i = 0; i < n; ++i)
        if (std::tolower(static_cast<unsigned char>(s[s.size() - n + i])) != suffix[i]) return false;
    return true;
}

}  // namespace

std::vector<uint8_t> encode_png(const GreyImage& img) {
    std::vector<uint8_t> raw;  // filter byte 0 + the row, per row
    raw.reserve(img.height * (img.width + 1));
    for (size_t y = 0; y < img.height; ++y) {
        raw.push_back(0);
        raw.insert(raw.end(), img.pixels.begin() + std::ptrdiff_t(y * img.width),
                   img.pixels.begin() + std::ptrdiff_t((y + 1) * img.width));
    }
    std::vector<uint8_t> z = {0x78, 0x01};  // zlib: deflate, 32K window, no dictionary (0x7801 % 31 == 0)
    size_t pos = 0;
    do {
        const size_t len = std::min<size_t>(65535, raw.size() - pos);
        const bool final = pos + len == raw.size();
        z.push_back(final ? 1 : 0);  // BFINAL, BTYPE 00 (stored); the rest of the byte is padding
        z.push_back(uint8_t(len));
        z.push_back(uint8_t(len >> 8));
        z.push_back(uint8_t(~len));
        z.push_back(uint8_t(~len >> 8));
        z.insert(z.end(), raw.begin() + std::ptrdiff_t(pos), raw.begin() + std::ptrdiff_t(pos + len));
        pos += len;
    } while (pos < raw.size());
    put_u32be(z, adler32(raw.data(), raw.size()));

    std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    std::vector<uint8_t> ihdr;
    put_u32be(ihdr, uint32_t(img.width));
    put_u32be(ihdr, uint32_t(img.height));
    ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit, grey, deflate, filter 0, no interlace
    put_chunk(png, "IHDR", ihdr);
    put_chunk(png, "IDAT", z);
    put_chunk(png, "IEND", {});
    return png;
}

std::vector<uint8_t> encode_pgm(const GreyImage& img) {
    const std::string header =
        "P5\n" + std::to_string(img.width) + " " + std::to_string(img.height) + "\n255\n";
    std::vector<uint8_t> out(header.begin(), header.end());
    out.insert(out.end(), img.pixels.begin(), img.pixels.end());
    return out;
}

Status write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return Status::failure("cannot create '" + path + "': " + std::strerror(errno));
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    const int err = errno;
    if (std::fclose(f) != 0 || !ok)
        return Status::failure("cannot write '" + path + "': " + std::strerror(err));
    return Status::ok_status();
}

Status write_image(const std::string& path, const GreyImage& img) {
    if (ends_with(path, ".png")) return write_file(path, encode_png(img));
    if (ends_with(path, ".pgm")) return write_file(path, encode_pgm(img));
    return Status::failure("'" + path + "': the image format is chosen by the extension, .png or .pgm");
}

std::vector<uint8_t> encode_npy_u8(const std::vector<uint8_t>& data, const std::vector<size_t>& shape) {
    std::string dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < shape.size(); ++i)
        dict += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
    dict += "), }";
    const size_t unpadded = 10 + dict.size() + 1;  // magic(6) version(2) len(2) dict '\n'
    dict.append((64 - unpadded % 64) % 64, ' ');
    dict += '\n';
    std::vector<uint8_t> out;
    out.reserve(10 + dict.size() + data.size());
    for (uint8_t b : {uint8_t(0x93), uint8_t('N'), uint8_t('U'), uint8_t('M'), uint8_t('P'), uint8_t('Y'),
                      uint8_t(1), uint8_t(0), uint8_t(dict.size()), uint8_t(dict.size() >> 8)})
        out.push_back(b);
    for (char c : dict) out.push_back(uint8_t(c));
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

// ---- inflate (RFC 1951) ---------------------------------------------------------------------------------

namespace {

struct BitReader {
    const uint8_t* data;
    size_t size, pos = 0;  // pos: next byte
    uint32_t bitbuf = 0;
    int bitcnt = 0;
    bool overrun = false;

    uint32_t bits(int need) {  // need <= 16
        while (bitcnt < need) {
            uint32_t byte = 0;
            if (pos < size)
                byte = data[pos++];
            else
                overrun = true;
            bitbuf |= byte << bitcnt;
            bitcnt += 8;
        }
        const uint32_t v = bitbuf & ((1u << need) - 1);
        bitbuf >>= need;
        bitcnt -= need;
        return v;
    }
    void align() {
        bitbuf = 0;
        bitcnt = 0;
    }
};

// Canonical Huffman code: count[len] codes of each length, symbols sorted by code (puff.c's layout).
struct Huffman {
    std::array<uint16_t, 16> count{};
    std::array<uint16_t, 288> symbol{};
};

// Returns false for an over-subscribed code. (Incomplete codes are allowed, as zlib allows them for
// single-distance-code streams.)
bool build(Huffman& h, const uint8_t* lengths, int n) {
    h.count.fill(0);
    for (int s = 0; s < n; ++s) h.count[lengths[s]]++;
    if (h.count[0] == n) return true;
    int left = 1;
    for (int len = 1; len < 16; ++len) {
        left = left * 2 - h.count[len];
        if (left < 0) return false;
    }
    std::array<uint16_t, 16> offs{};
    for (int len = 1; len < 15; ++len) offs[len + 1] = offs[len] + h.count[len];
    for (int s = 0; s < n; ++s)
        if (lengths[s]) h.symbol[offs[lengths[s]]++] = uint16_t(s);
    return true;
}

int decode(BitReader& br, const Huffman& h) {  // -1 on an invalid code
    int code = 0, first = 0, index = 0;
    for (int len = 1; len < 16; ++len) {
        code |= int(br.bits(1));
        const int count = h.count[len];
        if (code - count < first) return h.symbol[index + (code - first)];
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -1;
}

constexpr uint16_t kLenBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                   31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr uint8_t kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                   2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr uint16_t kDistBase[30] = {1,    2,    3,    4,    5,    7,    9,    13,    17,    25,
                                    33,   49,   65,   97,   129,  193,  257,  385,   513,   769,
                                    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr uint8_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                    6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

Status codes(BitReader& br, std::vector<uint8_t>& out, const Huffman& lit, const Huffman& dist) {
    for (;;) {
        const int sym = decode(br, lit);
        if (br.overrun) return Status::failure("truncated deflate data");
        if (sym < 0) return Status::failure("invalid literal/length code");
        if (sym < 256) {
            out.push_back(uint8_t(sym));
        } else if (sym == 256) {
            return Status::ok_status();
        } else {
            const int li = sym - 257;
            if (li >= 29) return Status::failure("invalid length symbol");
            const size_t len = kLenBase[li] + br.bits(kLenExtra[li]);
            const int ds = decode(br, dist);
            if (ds < 0 || ds >= 30) return Status::failure("invalid distance code");
            const size_t d = kDistBase[ds] + br.bits(kDistExtra[ds]);
            if (br.overrun) return Status::failure("truncated deflate data");
            if (d > out.size()) return Status::failure("distance reaches before the start of the data");
            const size_t from = out.size() - d;
            for (size_t i = 0; i < len; ++i) out.push_back(out[from + i]);
        }
    }
}

// Inflates one raw deflate stream starting at data[0]; `used` gets the bytes consumed.
Status inflate(const uint8_t* data, size_t size, std::vector<uint8_t>& out, size_t& used) {
    BitReader br{data, size};
    static const std::pair<Huffman, Huffman> fixed = [] {
        std::pair<Huffman, Huffman> f;
        uint8_t l[288];
        for (int s = 0; s < 288; ++s) l[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
        build(f.first, l, 288);
        uint8_t d[30];
        std::fill(d, d + 30, 5);
        build(f.second, d, 30);
        return f;
    }();
    bool last = false;
    while (!last) {
        last = br.bits(1) != 0;
        const uint32_t type = br.bits(2);
        if (br.overrun) return Status::failure("truncated deflate data");
        if (type == 0) {
            br.align();
            if (br.pos + 4 > size) return Status::failure("truncated stored block");
            const size_t len = data[br.pos] | (data[br.pos + 1] << 8);
            const size_t nlen = data[br.pos + 2] | (data[br.pos + 3] << 8);
            if (len != (~nlen & 0xFFFF)) return Status::failure("stored block length check failed");
            br.pos += 4;
            if (br.pos + len > size) return Status::failure("truncated stored block");
            out.insert(out.end(), data + br.pos, data + br.pos + len);
            br.pos += len;
        } else if (type == 1) {
            if (Status s = codes(br, out, fixed.first, fixed.second); !s) return s;
        } else if (type == 2) {
            const int nlen = int(br.bits(5)) + 257, ndist = int(br.bits(5)) + 1, ncode = int(br.bits(4)) + 4;
            if (nlen > 286 || ndist > 30) return Status::failure("bad dynamic block counts");
            static constexpr uint8_t order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                  11, 4,  12, 3, 13, 2, 14, 1, 15};
            uint8_t lengths[320] = {};
            for (int i = 0; i < ncode; ++i) lengths[order[i]] = uint8_t(br.bits(3));
            Huffman lencode, lit, dist;
            if (!build(lencode, lengths, 19)) return Status::failure("bad code-length code");
            int idx = 0;
            while (idx < nlen + ndist) {
                int sym = decode(br, lencode);
                if (br.overrun || sym < 0) return Status::failure("bad code lengths");
                if (sym < 16) {
                    lengths[idx++] = uint8_t(sym);
                } else {
                    uint8_t val = 0;
                    int rep;
                    if (sym == 16) {
                        if (idx == 0) return Status::failure("repeat with no previous length");
                        val = lengths[idx - 1];
                        rep = 3 + int(br.bits(2));
                    } else if (sym == 17) {
                        rep = 3 + int(br.bits(3));
                    } else {
                        rep = 11 + int(br.bits(7));
                    }
                    if (idx + rep > nlen + ndist) return Status::failure("too many code lengths");
                    while (rep--) lengths[idx++] = val;
                }
            }
            if (lengths[256] == 0) return Status::failure("no end-of-block code");
            if (!build(lit, lengths, nlen) || !build(dist, lengths + nlen, ndist)) {
                return Status::failure("over-subscribed Huffman code");
            }
            if (Status s = codes(br, out, lit, dist); !s) return s;
        } else {
            return Status::failure("invalid deflate block type 3");
        }
    }
    used = br.pos;  // the unused bits of the last byte are padding
    return Status::ok_status();
}

}  // namespace

Result<std::vector<uint8_t>> gunzip(const std::vector<uint8_t>& gz) {
    std::vector<uint8_t> out;
    size_t pos = 0;
    while (pos < gz.size()) {
        const size_t member = out.size();
        if (gz.size() - pos < 18 || gz[pos] != 0x1F || gz[pos + 1] != 0x8B) {
            if (pos == 0) return make_error("not a gzip file");
            break;  // trailing garbage after a member: ignored, as gzip does with a warning
        }
        if (gz[pos + 2] != 8)
            return make_error("gzip: unknown compression method " + std::to_string(gz[pos + 2]));
        const uint8_t flags = gz[pos + 3];
        size_t p = pos + 10;
        if (flags & 4) {  // FEXTRA
            if (p + 2 > gz.size()) return make_error("gzip: truncated header");
            p += 2 + (gz[p] | (gz[p + 1] << 8));
        }
        for (int bit : {8, 16}) {  // FNAME, FCOMMENT: zero-terminated
            if (flags & bit) {
                while (p < gz.size() && gz[p] != 0) ++p;
                ++p;
            }
        }
        if (flags & 2) p += 2;  // FHCRC
        if (p >= gz.size()) return make_error("gzip: truncated header");
        size_t used = 0;
        if (Status s = inflate(gz.data() + p, gz.size() - p, out, used); !s)
            return make_error("gzip: " + s.error());
        p += used;
        if (p + 8 > gz.size()) return make_error("gzip: truncated trailer");
        auto le32 = [&](size_t i) {
            return uint32_t(gz[i]) | uint32_t(gz[i + 1]) << 8 | uint32_t(gz[i + 2]) << 16 |
                   uint32_t(gz[i + 3]) << 24;
        };
        if (crc32(out.data() + member, out.size() - member) != le32(p))
            return make_error("gzip: CRC-32 mismatch");
        if (uint32_t(out.size() - member) != le32(p + 4)) return make_error("gzip: length mismatch");
        pos = p + 8;
    }
    return out;
}

Result<Idx> read_idx(const std::string& path) {
    auto bytes = read_file(path, kMaxDataFileBytes);
    if (!bytes) return make_error(bytes.error());
    std::vector<uint8_t> raw;
    if (bytes->size() >= 2 && (*bytes)[0] == 0x1F && (*bytes)[1] == 0x8B) {
        auto u = gunzip(*bytes);
        if (!u) return make_error(path + ": " + u.error());
        raw = std::move(*u);
    } else {
        raw = std::move(*bytes);
    }
    if (raw.size() < 4 || raw[0] != 0 || raw[1] != 0 || raw[2] != 0x08) {
        return make_error(path + ": not an unsigned-byte IDX file");
    }
    Idx idx;
    const size_t ndim = raw[3];
    if (raw.size() < 4 + 4 * ndim) return make_error(path + ": truncated IDX header");
    size_t n = 1;
    for (size_t i = 0; i < ndim; ++i) {
        const uint8_t* d = &raw[4 + 4 * i];
        idx.shape.push_back(size_t(d[0]) << 24 | size_t(d[1]) << 16 | size_t(d[2]) << 8 | d[3]);
        n *= idx.shape.back();
    }
    if (raw.size() - 4 - 4 * ndim != n) {
        return make_error(path + ": " + std::to_string(raw.size() - 4 - 4 * ndim) +
                          " bytes of data, the header says " + std::to_string(n));
    }
    idx.data.assign(raw.begin() + std::ptrdiff_t(4 + 4 * ndim), raw.end());
    return idx;
}

}  // namespace atnat::cli
