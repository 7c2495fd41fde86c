// The poet models of the text tests (nat_test, speculative_test, poem_test): a tiny random-weight CMLM and
// GPT written in memory with the tokenizer layout of poet-at / poet-nat, the real poet-nat export and its
// PyTorch fixture (tests/fixtures/poet-nat-golden.json, written by models/poet-nat/export.py), and the small
// run helpers the tests share.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/decode/nat.hpp"
#include "core/decode/text_model.hpp"
#include "tests/cpp/weights.hpp"

namespace atnat::test {

using decode::LengthSource;
using decode::NatMode;
using decode::NatRequest;
using decode::NatSession;
using nlohmann::json;

// --------------------------------------------------------------------- tiny models written in memory
// The poet tokenizer's layout: specials 0-7, forms, "，" "。", then characters.
inline const std::vector<std::string> kTokens = {
    "<pad>",  "<bos>", "<eos>", "<mask>", "<unk>", "\n", "<len>", "<fixed>", "<wuyan-jueju>",
    "<free>", "，",    "。",    "春",     "夏",    "秋", "冬",    "花",      "月",
    "山",     "水",    "风",    "雨"};
constexpr size_t kV = 22, kD = 16, kF = 24, kContext = 40, kMaxLen = 30, kMaxLenFixed = 32;
constexpr int32_t kEos = 2, kMask = 3, kLen = 6, kWuyan = 8, kFree = 9;

inline json tokenizer_json(bool with_len = true) {
    json specials = {{"pad", 0}, {"bos", 1},     {"eos", 2},  {"mask", 3},
                     {"unk", 4}, {"newline", 5}, {"fixed", 7}};
    if (with_len) specials["len"] = 6;
    return {{"type", "char"},
            {"tokens", kTokens},
            {"specials", specials},
            {"forms", {{"wuyan-jueju", "<wuyan-jueju>"}, {"free", "<free>"}}}};
}

struct TinyModels {
    json config = {{"vocab_size", kV}, {"d_model", kD},       {"n_layers", 2},         {"n_heads", 2},
                   {"d_ff", kF},       {"context", kContext}, {"rope_theta", 10000.0}, {"norm_eps", 1e-5}};

    static std::vector<TensorSpec> random(uint64_t seed, bool length_head) {
        return random_transformer(seed, kV, kD, kF, 2, length_head ? kMaxLen + 1 : 0);
    }
    json cmlm_config() const {
        json c = config;
        c["max_len"] = kMaxLen;
        c["max_len_fixed"] = kMaxLenFixed;
        c["causal"] = false;
        return c;
    }
    std::vector<uint8_t> cmlm_bytes(uint64_t seed = 7) const {
        return write_weights("cmlm", cmlm_config(), random(seed, true), tokenizer_json());
    }
    std::vector<uint8_t> gpt_bytes(uint64_t seed = 3) const {
        return write_weights("gpt", config, random(seed, false), tokenizer_json());
    }
};

inline decode::NatModel tiny_nat(uint64_t seed = 7) {
    auto m = decode::NatModel::load(TinyModels().cmlm_bytes(seed));
    EXPECT_TRUE(m.ok()) << (m ? "" : m.error());
    return std::move(*m);
}

inline decode::TextModel tiny_at(uint64_t seed = 3) {
    auto m = decode::TextModel::load(TinyModels().gpt_bytes(seed));
    EXPECT_TRUE(m.ok()) << (m ? "" : m.error());
    return std::move(*m);
}

struct NatRun {
    std::vector<decode::NatEvent> events;
    decode::NatResult result;
    std::vector<int32_t> ids;
};

inline NatRun run(const decode::NatModel& m, const NatRequest& req) {
    NatRun out;
    auto s = NatSession::create(m, req);
    EXPECT_TRUE(s.ok()) << (s ? "" : s.error());
    if (!s) return out;
    while (!s->done()) {
        auto ev = s->step();
        EXPECT_TRUE(ev.ok()) << (ev ? "" : ev.error());
        if (!ev) break;
        out.events.push_back(*ev);
    }
    out.result = s->result();
    out.ids = s->output_ids();
    return out;
}

inline std::string nat_error(const decode::NatModel& m, const NatRequest& req) {
    auto s = NatSession::create(m, req);
    return s ? std::string() : s.error();
}

inline NatRequest wuyan(size_t iterations, LengthSource length = LengthSource::form) {
    NatRequest r;
    r.form = "wuyan-jueju";
    r.iterations = iterations;
    r.length = length;
    return r;
}

inline decode::GenerateResult at_greedy(const decode::TextModel& at, const decode::GenerateRequest& g) {
    auto s = decode::start_generation(at, g);
    EXPECT_TRUE(s.ok()) << (s ? "" : s.error());
    if (!s) return {};
    while (!s->done()) {
        auto ev = s->step();
        EXPECT_TRUE(ev.ok()) << (ev ? "" : ev.error());
        if (!ev) break;
    }
    return s->result();
}

// ------------------------------------------------------------------------ the real model vs PyTorch
inline std::string fixture_path(const char* env, const std::string& relative) {
    if (const char* p = std::getenv(env)) return p;
    return std::string(ATNAT_SOURCE_DIR) + "/" + relative;
}

inline std::optional<std::vector<uint8_t>> read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return std::nullopt;
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// A poet's golden fixture (written by its export.py) and the exported model it was computed from; both paths
// can be overridden by environment variables. Skips when either file is missing.
template <class Model>
class PoetGoldenFixture : public ::testing::Test {
protected:
    void load(const char* golden_env, const char* golden_file, const char* model_env, const char* model_file,
              const char* exporter) {
        const std::string gpath = fixture_path(golden_env, golden_file);
        const std::string mpath = fixture_path(model_env, model_file);
        auto g = read_bytes(gpath);
        auto w = read_bytes(mpath);
        if (!g || !w) GTEST_SKIP() << "no " << (g ? mpath : gpath) << " (run " << exporter << ")";
        golden = json::parse(g->begin(), g->end());
        auto m = Model::load(std::move(*w));
        ASSERT_TRUE(m.ok()) << m.error();
        model = std::make_unique<Model>(std::move(*m));
    }
    json golden;
    std::unique_ptr<Model> model;
};

class PoetNatGolden : public PoetGoldenFixture<decode::NatModel> {
protected:
    void SetUp() override {
        load("ATNAT_POET_NAT_GOLDEN", "tests/fixtures/poet-nat-golden.json", "ATNAT_POET_NAT_MODEL",
             "models/poet-nat/model.safetensors", "models/poet-nat/export.py");
    }
};

class PoetAtGolden : public PoetGoldenFixture<decode::TextModel> {
protected:
    void SetUp() override {
        load("ATNAT_POET_AT_GOLDEN", "tests/fixtures/poet-at-golden.json", "ATNAT_POET_AT_MODEL",
             "models/poet-at/model.safetensors", "models/poet-at/export.py");
    }
};

}  // namespace atnat::test
