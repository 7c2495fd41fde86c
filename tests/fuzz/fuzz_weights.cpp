// libFuzzer target: a weight file made of hostile bytes (docs/security.md). WeightFile::parse returns an
// Error or a file whose every tensor lies inside the bytes; every model loader then returns an Error or a
// model. Nothing may crash, read out of bounds (ASan), hit undefined behaviour (UBSan), leak, or take more
// memory than a few times the input (libFuzzer's -rss_limit_mb). Seeds: tests/fuzz/corpus/weights, tiny valid
// files of every arch (tests/fuzz/make_corpus.py). Run: bash scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/decode/nat.hpp"
#include "core/decode/text_model.hpp"
#include "core/io/safetensors.hpp"
#include "core/models/pixelcnn.hpp"
#include "core/models/pixnat.hpp"
#include "core/models/seq2seq.hpp"

using namespace atnat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto file = io::WeightFile::parse(std::vector<uint8_t>(data, data + size));
    if (!file) return 0;
    // Every view must point into the bytes: read each one whole (ASan reports any byte outside).
    uint8_t sum = 0;
    for (const io::Tensor& t : file->tensors())
        for (size_t i = 0; i < t.nbytes; ++i) sum ^= t.data[i];
    volatile uint8_t sink = sum;
    (void)sink;
    (void)file->check_weight_values(io::kMaxWeightMagnitude);
    (void)decode::TextModel::load(*file);
    (void)decode::NatModel::load(*file);
    (void)models::PixelCNN::load(*file);
    (void)models::PixNAT::load(*file);
    (void)models::load_seq2seq(*file);
    return 0;
}
