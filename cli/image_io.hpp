// Image and data-set files for the image commands (sample, eval), self-contained (no zlib):
//   PNG writer: 8-bit grey, the zlib stream made of "stored" (uncompressed) deflate blocks + Adler-32,
//               each chunk with its CRC-32. PGM writer: binary P5.
//   gunzip: a small RFC 1951 inflate (stored, fixed and dynamic Huffman blocks) + the RFC 1952 wrapper with
//           its CRC-32 and length checked, enough for the Fashion-MNIST IDX .gz files.
//   IDX reader (unsigned bytes) and a .npy writer (uint8, C order).
// Grids follow models/common/image_io.py `tile`: `pad` pixels of `pad_value` between tiles and around them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace atnat::cli {

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0);
uint32_t adler32(const uint8_t* data, size_t n);

struct GreyImage {
    size_t height = 0, width = 0;
    std::vector<uint8_t> pixels;  // [height * width] 0..255
};

// level -> byte: round(level * 255 / (levels - 1)) (models/common/fashion_mnist.py dequantise).
uint8_t level_to_byte(int level, int levels);
// uint8 levels [n, h, w] -> a grid of ceil(sqrt n) columns.
GreyImage tile(const std::vector<std::vector<uint8_t>>& images, size_t h, size_t w, int levels,
               size_t pad = 1, uint8_t pad_value = 128);

std::vector<uint8_t> encode_png(const GreyImage& img);
std::vector<uint8_t> encode_pgm(const GreyImage& img);
// .png -> PNG, .pgm -> PGM, anything else an error.
Status write_image(const std::string& path, const GreyImage& img);

Status write_file(const std::string& path, const std::vector<uint8_t>& bytes);
// A .npy (format 1.0) holding uint8 data of the given shape.
std::vector<uint8_t> encode_npy_u8(const std::vector<uint8_t>& data, const std::vector<size_t>& shape);

// The decompressed contents of a gzip file (all members concatenated).
Result<std::vector<uint8_t>> gunzip(const std::vector<uint8_t>& gz);

struct Idx {
    std::vector<size_t> shape;
    std::vector<uint8_t> data;
};
// An IDX file of unsigned bytes (gzip-compressed if it starts with the gzip magic).
Result<Idx> read_idx(const std::string& path);

}  // namespace atnat::cli
