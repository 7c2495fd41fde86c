// Tests of core/io: the weight-file reader against the fixture written by the Python writer
// (tests/fixtures/make_weight_fixtures.py), malformed files made by editing its header, and the tokenizers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/io/json.hpp"
#include "core/io/safetensors.hpp"
#include "core/io/tokenizer.hpp"

namespace {

using atnat::io::config_float;
using atnat::io::config_int;
using atnat::io::config_string;
using atnat::io::Dtype;
using atnat::io::Tensor;
using atnat::io::Tokenizer;
using atnat::io::WeightFile;
using nlohmann::json;
using Bytes = std::vector<uint8_t>;

const std::string kFixtures = std::string(ATNAT_SOURCE_DIR) + "/tests/fixtures/weights/";

Bytes read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    EXPECT_TRUE(f.good()) << "cannot open " << path;
    return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

const Bytes& good_bytes() {
    static const Bytes bytes = read_bytes(kFixtures + "good.safetensors");
    return bytes;
}

const json& expected() {
    static const json j = [] {
        const Bytes b = read_bytes(kFixtures + "good.json");
        return json::parse(b.begin(), b.end(), nullptr, false);
    }();
    return j;
}

// The fixture split into its header (as JSON) and its data section.
struct Parts {
    json header;
    Bytes data;
};

Parts split(const Bytes& file) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | file[static_cast<size_t>(i)];
    Parts p;
    p.header = json::parse(file.begin() + 8, file.begin() + 8 + static_cast<long>(n), nullptr, false);
    p.data.assign(file.begin() + 8 + static_cast<long>(n), file.end());
    return p;
}

// Builds a file from header text and data; `pad_to` pads the header with spaces so that 8 + header length
// is congruent to `misalign` modulo 16.
Bytes build(const std::string& header, const Bytes& data, size_t misalign = 0) {
    std::string h = header;
    while ((8 + h.size()) % 16 != misalign) h += ' ';
    Bytes out(8 + h.size() + data.size());
    const uint64_t n = h.size();
    for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(n >> (8 * i));
    std::copy(h.begin(), h.end(), out.begin() + 8);
    std::copy(data.begin(), data.end(), out.begin() + 8 + static_cast<long>(h.size()));
    return out;
}

Bytes build(const json& header, const Bytes& data, size_t misalign = 0) {
    return build(header.dump(), data, misalign);
}
Bytes build(const char* header, const Bytes& data) {
    return build(std::string(header), data, 0);
}

// Parses `file` and expects an error whose message contains `phrase`.
void expect_rejected(const Bytes& file, const std::string& phrase) {
    auto r = WeightFile::parse(file);
    ASSERT_FALSE(r.ok()) << "accepted a file that should fail with '" << phrase << "'";
    EXPECT_NE(r.error().find(phrase), std::string::npos)
        << "message: " << r.error() << "\nwanted: " << phrase;
}

uint32_t bits(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return u;
}

// Checks every tensor of `wf` against good.json, bit for bit.
void expect_fixture_tensors(const WeightFile& wf) {
    const json& tensors = expected()["tensors"];
    ASSERT_EQ(wf.tensor_count(), tensors.size());
    size_t params = 0;
    for (const auto& [name, e] : tensors.items()) {
        SCOPED_TRACE(name);
        const Tensor* t = wf.find(name);
        ASSERT_NE(t, nullptr);
        EXPECT_EQ(atnat::io::dtype_name(t->dtype), e["dtype"].get<std::string>());
        EXPECT_EQ(t->shape, e["shape"].get<std::vector<size_t>>());
        params += t->numel();
        EXPECT_EQ(t->nbytes, t->numel() * atnat::io::dtype_size(t->dtype));
        if (t->dtype == Dtype::f32) {
            const auto want = e["bits"].get<std::vector<uint32_t>>();
            ASSERT_EQ(t->numel(), want.size());
            ASSERT_EQ(t->i32(), nullptr);
            if (t->numel() == 0) continue;
            ASSERT_NE(t->f32(), nullptr);
            EXPECT_EQ(reinterpret_cast<uintptr_t>(t->f32()) % alignof(float), 0u);
            for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(bits(t->f32()[i]), want[i]) << "element " << i;
        } else if (t->dtype == Dtype::i32) {
            const auto want = e["values"].get<std::vector<int32_t>>();
            ASSERT_EQ(t->numel(), want.size());
            ASSERT_EQ(t->f32(), nullptr);
            EXPECT_EQ(reinterpret_cast<uintptr_t>(t->i32()) % alignof(int32_t), 0u);
            for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(t->i32()[i], want[i]) << "element " << i;
        } else if (t->dtype == Dtype::i8) {
            const auto want = e["values"].get<std::vector<int8_t>>();
            ASSERT_EQ(t->numel(), want.size());
            ASSERT_EQ(t->u8(), nullptr);
            for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(t->i8()[i], want[i]) << "element " << i;
        } else {
            const auto want = e["values"].get<std::vector<uint8_t>>();
            ASSERT_EQ(t->numel(), want.size());
            ASSERT_EQ(t->i8(), nullptr);
            for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(t->u8()[i], want[i]) << "element " << i;
        }
    }
    EXPECT_EQ(wf.parameter_count(), params);
}

// ------------------------------------------------------------------------------------------------------
// The good file

TEST(WeightFile, ReadsTheFixtureWrittenByThePythonWriter) {
    ASSERT_FALSE(expected().is_discarded());
    auto r = WeightFile::parse(good_bytes());
    ASSERT_TRUE(r.ok()) << r.error();
    const WeightFile& wf = *r;
    EXPECT_EQ(wf.arch(), "fixture-arch");
    EXPECT_EQ(wf.metadata().at("format"), "atnat-1");
    EXPECT_EQ(wf.config(), expected()["config"]);
    ASSERT_TRUE(wf.has_tokenizer());
    EXPECT_EQ(wf.tokenizer(), expected()["tokenizer"]);
    EXPECT_EQ(wf.byte_size(), expected()["file_size"].get<size_t>());
    EXPECT_EQ(wf.byte_size(), good_bytes().size());
    expect_fixture_tensors(wf);
    // names() in data order, as written
    EXPECT_EQ(wf.names(), (std::vector<std::string>{"embed.weight", "layers.0.bias", "ids", "mask",
                                                    "after_pad", "quantised", "one", "empty"}));
    EXPECT_EQ(wf.parameter_count(), 12u + 5u + 6u + 7u + 2u + 6u + 1u + 0u);
}

TEST(WeightFile, ViewsAreInPlaceAndSurviveMovesAndCopies) {
    auto r = WeightFile::parse(good_bytes());
    ASSERT_TRUE(r.ok()) << r.error();
    const float* before = r->find("embed.weight")->f32();
    WeightFile moved = std::move(*r);
    r = atnat::make_error("overwrite the original");  // destroys the WeightFile the Result held
    EXPECT_EQ(moved.find("embed.weight")->f32(), before);
    std::vector<WeightFile> many;
    for (int i = 0; i < 20; ++i) many.push_back(moved);  // reallocations move/copy WeightFiles around
    EXPECT_EQ(many.front().find("embed.weight")->f32(), before);
    moved = many.back();
    many.clear();
    expect_fixture_tensors(moved);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(before) % 4, 0u);
}

TEST(WeightFile, MisalignedDataIsCopiedIntoAnAlignedBuffer) {
    const Parts p = split(good_bytes());
    for (size_t misalign : {1u, 2u, 3u, 5u}) {
        SCOPED_TRACE(misalign);
        const Bytes file = build(p.header, p.data, misalign);
        auto r = WeightFile::parse(file);
        ASSERT_TRUE(r.ok()) << r.error();
        const float* f = r->find("embed.weight")->f32();
        EXPECT_EQ(reinterpret_cast<uintptr_t>(f) % 4, 0u);
        EXPECT_FALSE(f >= reinterpret_cast<const float*>(file.data()) &&
                     f < reinterpret_cast<const float*>(file.data() + file.size()));
        expect_fixture_tensors(*r);
        EXPECT_EQ(r->byte_size(), file.size());
    }
}

TEST(WeightFile, AcceptsScalarsAndFilesWithoutTokenizer) {
    Parts p = split(good_bytes());
    p.header["one"]["shape"] = json::array();
    p.header["__metadata__"].erase("tokenizer");
    auto r = WeightFile::parse(build(p.header, p.data));
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_FALSE(r->has_tokenizer());
    EXPECT_TRUE(r->tokenizer().is_null());
    const Tensor* one = r->find("one");
    EXPECT_TRUE(one->shape.empty());
    EXPECT_EQ(one->numel(), 1u);
    EXPECT_EQ(one->f32()[0], 2.5f);
}

TEST(WeightFile, RequireChecksNameDtypeAndShape) {
    auto r = WeightFile::parse(good_bytes());
    ASSERT_TRUE(r.ok()) << r.error();
    auto ok = r->require("embed.weight", {3, 4});
    ASSERT_TRUE(ok.ok()) << ok.error();
    EXPECT_EQ((*ok)->name, "embed.weight");
    EXPECT_TRUE(r->require("ids", {2, 3}, Dtype::i32).ok());
    EXPECT_TRUE(r->require("mask", {7}, Dtype::u8).ok());
    EXPECT_TRUE(r->require("quantised", {2, 3}, Dtype::i8).ok());

    auto missing = r->require("lm_head.weight", {3, 4});
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().find("tensor 'lm_head.weight' (F32 [3, 4]) is missing"), std::string::npos)
        << missing.error();

    auto shape = r->require("embed.weight", {4, 3});
    ASSERT_FALSE(shape.ok());
    EXPECT_NE(shape.error().find("tensor 'embed.weight' is F32 [3, 4], expected F32 [4, 3]"),
              std::string::npos)
        << shape.error();

    auto dtype = r->require("ids", {2, 3});
    ASSERT_FALSE(dtype.ok());
    EXPECT_NE(dtype.error().find("tensor 'ids' is I32 [2, 3], expected F32 [2, 3]"), std::string::npos)
        << dtype.error();
    EXPECT_EQ(r->find("nope"), nullptr);
}

// ------------------------------------------------------------------------------------------------------
// Malformed files: each rejected with a message a person can act on

TEST(WeightFileErrors, TooShortOrEmpty) {
    expect_rejected({}, "file is empty");
    expect_rejected(Bytes(7, 0), "file is 7 bytes, too short for the 8-byte header length");
}

TEST(WeightFileErrors, HeaderLength) {
    Bytes past = good_bytes();
    const uint64_t n = past.size();  // 8 + n > size
    for (int i = 0; i < 8; ++i) past[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
    expect_rejected(past, "runs past the end of the file");

    Bytes absurd = good_bytes();
    absurd[7] = 0x40;  // 2^62 + ...
    expect_rejected(absurd, "is absurd (more than 100 MB)");

    Bytes huge(8, 0xff);  // 2^64 - 1: no overflow in 8 + n
    expect_rejected(huge, "is absurd");
}

TEST(WeightFileErrors, Truncated) {
    ASSERT_GT(good_bytes().size(), 200u);
    const Bytes cut(good_bytes().begin(), good_bytes().end() - 40);  // mid-data
    expect_rejected(cut, "run past the end of the data section");
    // Every truncation is rejected (and, under the sanitizers, read in bounds).
    for (size_t len = 0; len < good_bytes().size(); ++len) {
        EXPECT_FALSE(
            WeightFile::parse(Bytes(good_bytes().begin(), good_bytes().begin() + static_cast<long>(len)))
                .ok())
            << "length " << len;
    }
}

TEST(WeightFileErrors, HeaderNotJson) {
    const Parts p = split(good_bytes());
    expect_rejected(build("this is not json", p.data), "header is not valid UTF-8 JSON");
    expect_rejected(build("{\"__metadata__\": {\"format\": \"atnat-1\"", p.data),
                    "header is not valid UTF-8 JSON");
    expect_rejected(build("{\"__metadata__\": {\"format\": \"atnat-\xff\"}}", p.data),
                    "header is not valid UTF-8 JSON");
    expect_rejected(build("[1, 2]", p.data), "header must be a JSON object, found an array");
}

// 100,000 levels of nesting (about 200 KB) once overflowed the native stack (the JSON library's recursive
// tree) and the wasm one: now the streaming check stops at depth 64, wherever the nesting is.
TEST(WeightFileErrors, DeepNestingIsRejectedWithoutRecursion) {
    const Parts p = split(good_bytes());
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    std::string header = p.header.dump();
    header.insert(header.size() - 1, ", \"x\": " + deep);
    expect_rejected(build(header, p.data), "header is not valid UTF-8 JSON: nested deeper than 64 levels");
    json h = p.header;
    h["__metadata__"]["config"] = "{\"a\": " + std::string(5000, '[') + std::string(5000, ']') + "}";
    expect_rejected(build(h, p.data),
                    "__metadata__ 'config' is not valid UTF-8 JSON: nested deeper than 64 levels");
    // 64 levels are fine (real documents nest 3 deep)
    EXPECT_TRUE(atnat::io::parse_json(std::string(64, '[') + std::string(64, ']'), "x").ok());
    EXPECT_FALSE(atnat::io::parse_json(std::string(65, '[') + std::string(65, ']'), "x").ok());
    EXPECT_FALSE(atnat::io::parse_json(std::string(65, '{'), "x").ok());
}

TEST(WeightFileErrors, Metadata) {
    const Parts p = split(good_bytes());
    {
        json h = p.header;
        h.erase("__metadata__");
        expect_rejected(build(h, p.data), "header has no __metadata__");
    }
    {
        json h = p.header;
        h["__metadata__"]["format"] = "atnat-0";
        expect_rejected(build(h, p.data), "unsupported format 'atnat-0': expected format 'atnat-1'");
        h["__metadata__"].erase("format");
        expect_rejected(build(h, p.data), "has no 'format'");
    }
    {
        json h = p.header;
        h["__metadata__"]["n_layer"] = 2;
        expect_rejected(build(h, p.data), "__metadata__ 'n_layer' must be a string, found an integer");
    }
    {
        json h = p.header;
        h["__metadata__"].erase("arch");
        expect_rejected(build(h, p.data), "has no 'arch'");
    }
    {
        json h = p.header;
        h["__metadata__"]["config"] = "{n_layer: 2}";
        expect_rejected(build(h, p.data), "__metadata__ 'config' is not valid UTF-8 JSON");
        h["__metadata__"]["config"] = "[2]";
        expect_rejected(build(h, p.data), "'config' must hold a JSON object");
        h["__metadata__"]["config"] = R"({"n_layer": 2, "n_layer": 3})";
        expect_rejected(build(h, p.data), "key 'n_layer' appears twice");
        h["__metadata__"].erase("config");
        expect_rejected(build(h, p.data), "has no 'config'");
    }
    {
        json h = p.header;
        h["__metadata__"]["tokenizer"] = "{\"type\": ";
        expect_rejected(build(h, p.data), "__metadata__ 'tokenizer' is not valid UTF-8 JSON");
    }
}

TEST(WeightFileErrors, UnknownDtype) {
    Parts p = split(good_bytes());
    p.header["embed.weight"]["dtype"] = "F16";
    expect_rejected(build(p.header, p.data), "tensor 'embed.weight': dtype 'F16' is not supported");
}

TEST(WeightFileErrors, OffsetsPastTheEnd) {
    Parts p = split(good_bytes());
    const size_t n = p.data.size();
    p.header["layers.0.bias"]["data_offsets"] = {n - 12, n + 8};
    expect_rejected(build(p.header, p.data), "tensor 'layers.0.bias': data_offsets");
    expect_rejected(build(p.header, p.data), "run past the end of the data section");
}

TEST(WeightFileErrors, OffsetsInconsistent) {
    Parts p = split(good_bytes());
    json h = p.header;
    h["ids"]["data_offsets"] = {104, 80};
    expect_rejected(build(h, p.data), "has begin > end");
    h = p.header;
    h["embed.weight"]["shape"] = {3, 3};
    expect_rejected(build(h, p.data), "F32 shape [3, 3] needs 36 bytes, data_offsets [0, 48] hold 48");
    h = p.header;
    h["ids"]["data_offsets"] = {80};
    expect_rejected(build(h, p.data), "data_offsets must be [begin, end]");
    h["ids"]["data_offsets"] = {-8, 16};
    expect_rejected(build(h, p.data), "data_offsets must be [begin, end]");
}

TEST(WeightFileErrors, OverlappingTensors) {
    Parts p = split(good_bytes());
    p.header["layers.0.bias"]["data_offsets"] = {40, 60};
    expect_rejected(build(p.header, p.data),
                    "tensors 'embed.weight' [0, 48) and 'layers.0.bias' [40, 60) overlap");
}

TEST(WeightFileErrors, HugeDimensionsAreRejectedWithoutOverflow) {
    Parts p = split(good_bytes());
    json h = p.header;
    h["embed.weight"]["shape"] = {uint64_t{1} << 40, 4};
    expect_rejected(build(h, p.data),
                    "tensor 'embed.weight': shape [1099511627776, 4] is too large (dimension 1099511627776");
    h["embed.weight"]["shape"] = {uint64_t{1} << 40, 0};  // zero elements, but the dimension alone is too big
    expect_rejected(build(h, p.data), "exceeds 2^31 - 1");
    h["embed.weight"]["shape"] = {1u << 30, 1u << 30, 1u << 30};  // 2^90 elements
    expect_rejected(build(h, p.data), "its element count overflows 64 bits");
    h["embed.weight"]["shape"] = {1u << 30, 1u << 30, 1u << 3};  // 2^63 elements, 2^65 bytes
    expect_rejected(build(h, p.data), "its byte size overflows 64 bits");
    h["embed.weight"]["shape"] = {1u << 20, 1u << 20};
    expect_rejected(build(h, p.data),
                    "is too large: it needs 4398046511104 bytes but the whole data section has");
    h["embed.weight"]["shape"] = {1u << 20, 0};  // zero elements: fine by size, wrong by offsets
    expect_rejected(build(h, p.data), "needs 0 bytes");
    h["embed.weight"]["shape"] = {-3, 4};
    expect_rejected(build(h, p.data), "must hold non-negative integers");
    h["embed.weight"]["shape"] = {3.0, 4};
    expect_rejected(build(h, p.data), "must hold non-negative integers");
    h["embed.weight"]["shape"] = "3x4";
    expect_rejected(build(h, p.data), "shape missing or not an array");
}

TEST(WeightFileErrors, DuplicateTensorNames) {
    const Parts p = split(good_bytes());
    std::string text = p.header.dump();
    ASSERT_EQ(text.back(), '}');
    text.pop_back();
    text += ", \"ids\": " + p.header["ids"].dump() + "}";
    // nlohmann alone would keep the last "ids" and accept the file.
    expect_rejected(build(text, p.data), "key 'ids' appears twice");
    // a duplicate key inside an entry
    std::string inner = p.header.dump();
    const std::string needle = "\"dtype\":\"U8\"";
    const auto at = inner.find(needle);
    ASSERT_NE(at, std::string::npos);
    inner.insert(at, "\"dtype\":\"F32\",");
    expect_rejected(build(inner, p.data), "key 'dtype' appears twice inside 'mask'");
}

TEST(WeightFileErrors, EntryShapeAndNoTensors) {
    const Parts p = split(good_bytes());
    json h = p.header;
    h["ids"]["offset"] = 3;
    expect_rejected(build(h, p.data), "tensor 'ids': unknown key 'offset'");
    h = p.header;
    h["ids"] = "I32";
    expect_rejected(build(h, p.data), "tensor 'ids': entry must be an object");
    h = json::object({{"__metadata__", p.header["__metadata__"]}});
    expect_rejected(build(h, p.data), "no tensors");
    expect_rejected(build(h, {}), "no tensors");
}

TEST(WeightFileErrors, RandomHeaderCorruptionNeverCrashes) {
    // Flips random header bytes: each result is either an error or a file whose views lie in bounds.
    std::mt19937 rng(1234);
    const Bytes& good = good_bytes();
    const size_t header_end = good.size() - split(good).data.size();
    int rejected = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        Bytes b = good;
        const int flips = 1 + static_cast<int>(rng() % 3);
        for (int f = 0; f < flips; ++f) b[rng() % header_end] = static_cast<uint8_t>(rng());
        auto r = WeightFile::parse(b);
        if (!r.ok()) {
            ++rejected;
            EXPECT_FALSE(r.error().empty());
            continue;
        }
        uint64_t sum = 0;
        for (const Tensor& t : r->tensors()) {
            for (size_t i = 0; i < t.nbytes; ++i) sum += t.data[i];  // ASan checks the bounds
        }
        EXPECT_LE(r->parameter_count(), r->byte_size());
        (void)sum;
    }
    EXPECT_GT(rejected, 1000);
}

// ------------------------------------------------------------------------------------------------------
// Config helpers

TEST(Config, IntFloatString) {
    const json c = expected()["config"];
    EXPECT_EQ(*config_int(c, "n_layer", 1, 64), 2);
    EXPECT_EQ(*config_int(c, "big", 0, INT64_MAX), int64_t{1} << 40);
    EXPECT_DOUBLE_EQ(*config_float(c, "dropout", 0.0, 1.0), 0.1);
    EXPECT_DOUBLE_EQ(*config_float(c, "d_model", 0.0, 8.0), 4.0);  // integers are numbers too
    EXPECT_EQ(*config_string(c, "name"), "fixture");

    auto range = config_int(c, "n_layer", 3, 64);
    ASSERT_FALSE(range.ok());
    EXPECT_EQ(range.error(), "config 'n_layer' = 2 is outside [3, 64]");
    auto big = config_int(c, "big", 0, INT32_MAX);
    ASSERT_FALSE(big.ok());
    EXPECT_NE(big.error().find("= 1099511627776 is outside"), std::string::npos) << big.error();
    auto missing = config_int(c, "n_head", 1, 16);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error(), "config has no 'n_head' (expected an integer in [1, 16])");
    auto type = config_int(c, "dropout", 0, 1);
    ASSERT_FALSE(type.ok());
    EXPECT_EQ(type.error(), "config 'dropout' must be an integer in [0, 1], found 0.1");
    auto string_as_int = config_int(c, "name", 0, 1);
    ASSERT_FALSE(string_as_int.ok());
    EXPECT_NE(string_as_int.error().find("found \"fixture\""), std::string::npos);
    auto frange = config_float(c, "dropout", 0.5, 1.0);
    ASSERT_FALSE(frange.ok());
    EXPECT_EQ(frange.error(), "config 'dropout' = 0.1 is outside [0.5, 1.0]");
    EXPECT_FALSE(config_float(c, "nested", 0, 1).ok());
    EXPECT_FALSE(config_string(c, "n_layer").ok());
    EXPECT_FALSE(config_int(json::array(), "n_layer", 0, 1).ok());
    const json uint_max = json::parse(R"({"x": 18446744073709551615})");
    EXPECT_FALSE(config_int(uint_max, "x", 0, INT64_MAX).ok());
    EXPECT_FALSE(config_int(json::parse(R"({"x": true})"), "x", 0, 1).ok());
}

// ------------------------------------------------------------------------------------------------------
// Tokenizers

Tokenizer fixture_tokenizer() {
    auto t = Tokenizer::from_json(expected()["tokenizer"]);
    EXPECT_TRUE(t.ok()) << t.error();
    return std::move(*t);
}

using Ids = std::vector<int32_t>;

TEST(Tokenizer, CharRoundTripWithNewline) {
    const Tokenizer t = fixture_tokenizer();
    EXPECT_EQ(t.kind(), Tokenizer::Kind::char_level);
    EXPECT_EQ(t.size(), 16u);
    EXPECT_EQ(t.pad(), 0);
    EXPECT_EQ(t.bos(), 1);
    EXPECT_EQ(t.eos(), 2);
    EXPECT_EQ(t.mask(), 3);
    EXPECT_EQ(t.unk(), 4);
    EXPECT_EQ(t.newline(), 5);
    const std::string poem = "床前明月光，\n明月。";
    const Ids ids = t.encode(poem);
    EXPECT_EQ(ids, (Ids{7, 8, 9, 10, 11, 12, 5, 9, 10, 13}));
    EXPECT_EQ(t.decode(ids), poem);
    EXPECT_EQ(t.encode("床\r\n前"), (Ids{7, 5, 8}));  // "\r" dropped
}

TEST(Tokenizer, UnknownAndInvalidUtf8BecomeUnk) {
    const Tokenizer t = fixture_tokenizer();
    EXPECT_EQ(t.encode("床X霜"), (Ids{7, 4, 4}));
    EXPECT_EQ(t.encode(""), Ids{});
    EXPECT_EQ(t.decode(Ids{}), "");
    EXPECT_EQ(t.encode("\xff"), (Ids{4}));
    EXPECT_EQ(t.encode("床\xe5\x89"), (Ids{7, 4}));  // truncated 前: one maximal subpart
    EXPECT_EQ(t.encode("\xe5\x89"
                       "a"),
              (Ids{4, 14}));  // the next valid char survives
    EXPECT_EQ(t.encode("\xc0\x80"
                       "a"),
              (Ids{4, 4, 14}));                                  // overlong: C0 and the stray 80
    EXPECT_EQ(t.encode("\xed\xa0\x80"), (Ids{4, 4, 4}));         // a UTF-16 surrogate
    EXPECT_EQ(t.encode("\xf4\x90\x80\x80"), (Ids{4, 4, 4, 4}));  // above U+10FFFF
    EXPECT_EQ(t.encode(std::string("a\0a", 3)), (Ids{14, 4, 14}));
}

TEST(Tokenizer, EncodeNeverProducesSpecials) {
    const Tokenizer t = fixture_tokenizer();
    // "<bos>" is 5 characters: "<" is an ordinary token (15), the rest are unknown.
    EXPECT_EQ(t.encode("<bos>"), (Ids{15, 4, 4, 4, 4}));
    EXPECT_EQ(t.encode("<wuyan-jueju>").size(), 13u);
    // decode omits specials and skips ids out of range
    EXPECT_EQ(t.decode(Ids{1, 6, 7, -1, 99, 8, 3, 2, 0}), "床前");
    EXPECT_EQ(t.token_text(1), "<bos>");
    EXPECT_EQ(t.token_text(7), "床");
    EXPECT_EQ(t.token_text(99), "");
    EXPECT_EQ(t.token_text(-1), "");
    EXPECT_EQ(t.id_of("<wuyan-jueju>"), 6);
    EXPECT_EQ(t.id_of("月"), 10);
    EXPECT_EQ(t.id_of("霜"), std::nullopt);
    EXPECT_TRUE(t.is_special(6));
    EXPECT_FALSE(t.is_special(15));
    EXPECT_EQ(t.special("mask"), 3);
    EXPECT_EQ(t.special("sep"), std::nullopt);
}

json word_spec() {
    return json::parse(R"({"type": "word",
        "tokens": ["<pad>", "<bos>", "<eos>", "<unk>", "HH", "AH0", "L", "OW1"],
        "specials": {"pad": 0, "bos": 1, "eos": 2, "unk": 3}})");
}

TEST(Tokenizer, WordLevel) {
    auto r = Tokenizer::from_json(word_spec());
    ASSERT_TRUE(r.ok()) << r.error();
    const Tokenizer& t = *r;
    EXPECT_EQ(t.kind(), Tokenizer::Kind::word);
    EXPECT_EQ(t.mask(), -1);
    EXPECT_EQ(t.newline(), -1);
    EXPECT_EQ(t.encode("HH AH0 L OW1"), (Ids{4, 5, 6, 7}));
    EXPECT_EQ(t.encode("  HH\tAH0\n\nL  OW1 \r\n"), (Ids{4, 5, 6, 7}));
    EXPECT_EQ(t.encode("HH <bos> XX \xff"), (Ids{4, 3, 3, 3}));
    EXPECT_EQ(t.encode(""), Ids{});
    EXPECT_EQ(t.encode("   "), Ids{});
    EXPECT_EQ(t.decode(Ids{1, 4, 5, 6, 7, 2, 0}), "HH AH0 L OW1");
    EXPECT_EQ(t.decode(t.encode("L OW1")), "L OW1");
}

void expect_spec_rejected(const json& spec, const std::string& phrase) {
    auto r = Tokenizer::from_json(spec);
    ASSERT_FALSE(r.ok()) << "accepted: " << spec.dump();
    EXPECT_NE(r.error().find(phrase), std::string::npos)
        << "message: " << r.error() << "\nwanted: " << phrase;
}

TEST(Tokenizer, Validation) {
    const json good = expected()["tokenizer"];
    json s = good;
    s["tokens"].push_back("床");
    expect_spec_rejected(s, "token '床' appears twice (ids 7 and 16)");
    s = good;
    s["specials"].erase("bos");
    expect_spec_rejected(s, "special 'bos' is missing");
    s = good;
    s["specials"]["eos"] = 16;
    expect_spec_rejected(s, "special 'eos' = 16 is not a token id in [0, 16)");
    s["specials"]["eos"] = -1;
    expect_spec_rejected(s, "is not a token id");
    s["specials"]["eos"] = "2";
    expect_spec_rejected(s, "is not a token id");
    s = good;
    s["specials"]["bos"] = 7;
    expect_spec_rejected(s, "special 'bos' = 7 is the ordinary token '床'");
    s = good;
    s["specials"]["newline"] = 7;
    expect_spec_rejected(s, "special 'newline' = 7 must be the token");
    s = good;
    s["tokens"].push_back("ab");
    expect_spec_rejected(s, "char token 16 'ab' is not exactly one code point");
    s = good;
    s["tokens"].push_back("");
    expect_spec_rejected(s, "token 16 is not a non-empty string");
    // terminal control characters: ESC (a "<\x1b[2J>" special too), DEL, C1; the newline token is allowed
    for (const char* hostile : {"\x1b", "<\x1b[2J>", "\x7f", "\xc2\x9b", "\r", "\t"}) {
        s = good;
        s["tokens"].push_back(hostile);
        expect_spec_rejected(s, "token 16 contains the control character U+00");
    }
    s = good;
    s["tokens"].push_back(3);
    expect_spec_rejected(s, "token 16 is not a non-empty string");
    s = good;
    s["type"] = "bpe";
    expect_spec_rejected(s, "type 'bpe' is unknown");
    s = good;
    s["tokens"] = json::array();
    expect_spec_rejected(s, "'tokens' must be a non-empty array");
    expect_spec_rejected(json::array(), "must be a JSON object");
    s = word_spec();
    s["tokens"].push_back("A B");
    expect_spec_rejected(s, "word token 8 'A B' contains whitespace");
}

TEST(Tokenizer, IgnoresModelLevelKeys) {
    // e.g. the poet models' "forms" map (form name -> form token), read by core/decode
    json s = expected()["tokenizer"];
    s["forms"] = {{"wuyan-jueju", "<wuyan-jueju>"}};
    auto t = Tokenizer::from_json(s);
    ASSERT_TRUE(t.ok()) << t.error();
    EXPECT_EQ(t->id_of("<wuyan-jueju>"), 6);
}

TEST(Tokenizer, FromTheWeightFileMetadata) {
    auto wf = WeightFile::parse(good_bytes());
    ASSERT_TRUE(wf.ok()) << wf.error();
    auto t = Tokenizer::from_json(wf->tokenizer());
    ASSERT_TRUE(t.ok()) << t.error();
    EXPECT_EQ(t->decode(t->encode("明月光")), "明月光");
}

TEST(SplitUtf8, CodePointsAndReplacementCharacters) {
    using Strs = std::vector<std::string>;
    EXPECT_EQ(atnat::io::split_utf8("床a\n"), (Strs{"床", "a", "\n"}));
    EXPECT_EQ(atnat::io::split_utf8("\xF0\x9F\x98\x80!"), (Strs{"\xF0\x9F\x98\x80", "!"}));
    EXPECT_EQ(atnat::io::split_utf8("a\xff"
                                    "b"),
              (Strs{"a", "\xEF\xBF\xBD", "b"}));
    EXPECT_EQ(atnat::io::split_utf8("\xe5\x89"), (Strs{"\xEF\xBF\xBD"}));
    EXPECT_EQ(atnat::io::split_utf8(""), Strs{});
}

}  // namespace
