// The encoder-decoder of the Pronounce models (core/models/seq2seq.*):
//  - a tiny random-weight model written in memory: encode, the AT decoder (full pass and KV-cached steps) and
//    the NAT decoder against a naive double-precision reference of models/g2p/model.py; caches, rewinds and
//    forks; bad calls, bad configs, bad tensors, truncated and corrupted files as errors with messages;
//  - the real export against its PyTorch golden fixture (tests/fixtures/g2p-golden.json, written by
//    models/g2p/export.py): memory, length logits, AT and NAT logits and cross-attention weights within 1e-4,
//    argmax and top-5 everywhere, AT greedy (model.at_greedy) token for token.
#include "core/models/seq2seq.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/io/g2p_tokenizer.hpp"
#include "core/ops/ops.hpp"
#include "tests/cpp/g2p_tiny.hpp"
#include "tests/cpp/weights.hpp"

namespace atnat {
namespace {

using nlohmann::json;
using test::TensorSpec;
using Ids = std::vector<int32_t>;

// ------------------------------------------------------------------ a tiny model written in memory
using test::g2p::flatten;
using test::g2p::kBos;
using test::g2p::kD;
using test::g2p::kF;
using test::g2p::kH;
using test::g2p::kLayers;
using test::g2p::kMask;
using test::g2p::kS;
using test::g2p::kT;
using test::g2p::kV;
using test::g2p::Mat;
using test::g2p::max_abs_diff;
using test::g2p::Reference;
using test::g2p::Tiny;

models::Seq2Seq load(const Tiny& t) {
    auto wf = io::WeightFile::parse(t.bytes());
    EXPECT_TRUE(wf.ok()) << (wf ? "" : wf.error());
    auto m = models::load_seq2seq(*wf);
    EXPECT_TRUE(m.ok()) << (m ? "" : m.error());
    return std::move(*m);
}

std::string load_error(std::vector<uint8_t> bytes) {
    auto wf = io::WeightFile::parse(std::move(bytes));
    if (!wf) return "parse: " + wf.error();
    auto m = models::load_seq2seq(*wf);
    return m ? std::string() : m.error();
}

const Ids kWord = {12, 9, 16, 16, 19, 31, 23};          // "hello's" in the CMUdict layout (ids 5.. = a..z, ')
const Ids kPhonemes = {kBos, 47, 34, 52, 56, 60};       // <bos> HH AH L OW S
const Ids kMasked = {47, kMask, 52, kMask, kMask, 60};  // the NAT input

class TinyModel : public ::testing::Test {
protected:
    Tiny tiny;
    models::Seq2Seq model = load(tiny);
    models::Seq2SeqState state = models::make_state(model);
    models::AtCache cache = models::make_at_cache(model);
    Reference ref{tiny};
};

TEST_F(TinyModel, LoadsTheConfigAndViewsIntoTheFile) {
    const auto& c = model.config;
    EXPECT_EQ(c.vocab_size, kV);
    EXPECT_EQ(c.head_dim, kD / kH);
    EXPECT_EQ(c.max_letters, kS);
    EXPECT_EQ(c.max_phonemes, kT);
    EXPECT_FLOAT_EQ(c.norm_eps, 1e-5f);
    ASSERT_EQ(model.weights.at.blocks.size(), kLayers);
    EXPECT_EQ(model.weights.emb.f32, model.file.find("emb")->f32());  // a view, not a copy
    EXPECT_EQ(model.weights.nat.blocks[1].cross_attn.wk.f32[3 * kD + 5],
              tiny.get("nat.blocks.1.cross_attn.wk")[3 * kD + 5]);
    EXPECT_EQ(model.weights.length_head.shape(0), kT + 1);
}

// A request's memory budget (core/decode/budget.hpp) counts what make_state and make_at_cache allocate.
TEST_F(TinyModel, StateBytesAreWhatMakeStateAllocates) {
    const models::Seq2SeqState& s = state;
    size_t floats = s.memory.size() + s.length_logits.size() + s.cross_attention.size() + s.scores.size() +
                    s.logits.size() + s.gate.size() + s.up.size();
    for (const models::CrossCache* cc : {&s.at_cross, &s.nat_cross})
        floats += cc->key.size() + cc->value.size();
    for (const auto* a : {&s.x, &s.xb, &s.q, &s.k, &s.v, &s.att, &s.proj}) floats += a->size();
    EXPECT_EQ(models::state_bytes(model.config), floats * sizeof(float));
    EXPECT_EQ(models::at_cache_bytes(model.config), (cache.key.size() + cache.value.size()) * sizeof(float));
}

TEST_F(TinyModel, EncodeMatchesTheReference) {
    ASSERT_TRUE(models::encode(model, state, kWord).ok());
    const Mat memory = ref.encode(kWord);
    EXPECT_EQ(state.n_letters, kWord.size());
    EXPECT_LT(max_abs_diff(std::span<const float>(state.memory.data(), kWord.size() * kD), flatten(memory)),
              1e-5);
    EXPECT_LT(
        max_abs_diff(std::span<const float>(state.length_logits.data(), kT + 1), ref.length_logits(memory)),
        1e-4);
    // the cross K/V are wk · memory, wv · memory of each decoder layer
    const Mat k = ref.linear(memory, "nat.blocks.1.cross_attn.wk", kD, kD);
    EXPECT_LT(
        max_abs_diff(std::span<const float>(&state.nat_cross.key(1, 0, 0), kWord.size() * kD), flatten(k)),
        1e-5);
}

TEST_F(TinyModel, DecodersMatchTheReference) {
    ASSERT_TRUE(models::encode(model, state, kWord).ok());
    const Mat memory = ref.encode(kWord);
    auto at = models::at_forward_all(model, state, cache, kPhonemes);
    ASSERT_TRUE(at.ok()) << at.error();
    EXPECT_LT(max_abs_diff(*at, ref.decode("at.", kPhonemes, memory)), 1e-4);
    EXPECT_EQ(cache.length, kPhonemes.size());
    auto nat = models::nat_forward(model, state, kMasked);
    ASSERT_TRUE(nat.ok()) << nat.error();
    EXPECT_LT(max_abs_diff(*nat, ref.decode("nat.", kMasked, memory)), 1e-4);
    // every cross-attention row of the last call is a distribution over the letters
    for (size_t l = 0; l < kLayers; ++l)
        for (size_t h = 0; h < kH; ++h)
            for (size_t t = 0; t < kMasked.size(); ++t) {
                double sum = 0;
                for (size_t j = 0; j < kWord.size(); ++j) sum += state.cross_attention(l, h, t, j);
                EXPECT_NEAR(sum, 1.0, 1e-5);
            }
}

TEST_F(TinyModel, AtIsCausalAndNatIsBidirectional) {
    ASSERT_TRUE(models::encode(model, state, kWord).ok());
    auto logits = [](const Result<std::span<const float>>& r) {
        return std::vector<float>(r->begin(), r->end());
    };
    // changing the last token changes no earlier AT row, but every NAT row
    Ids changed = kPhonemes;
    changed.back() = 40;
    const auto at1 = logits(models::at_forward_all(model, state, cache, kPhonemes));
    const auto at2 = logits(models::at_forward_all(model, state, cache, changed));
    EXPECT_EQ(std::vector<float>(at2.begin(), at2.begin() + 5 * kV),
              std::vector<float>(at1.begin(), at1.begin() + 5 * kV));
    Ids masked2 = kMasked;
    masked2.back() = 40;
    const auto nat1 = logits(models::nat_forward(model, state, kMasked));
    const auto nat2 = logits(models::nat_forward(model, state, masked2));
    EXPECT_GT(max_abs_diff(std::span<const float>(nat2.data(), kV),
                           std::vector<double>(nat1.begin(), nat1.begin() + kV)),
              1e-3);
}

TEST_F(TinyModel, CachedStepsEqualTheFullPass) {
    ASSERT_TRUE(models::encode(model, state, kWord).ok());
    auto all = models::at_forward_all(model, state, cache, kPhonemes);
    ASSERT_TRUE(all.ok());
    const std::vector<float> full(all->begin(), all->end());
    models::AtCache stepped = models::make_at_cache(model);
    for (size_t p = 0; p < kPhonemes.size(); ++p) {
        auto lg = models::at_step(model, state, stepped, kPhonemes[p], p);
        ASSERT_TRUE(lg.ok()) << lg.error();
        for (size_t v = 0; v < kV; ++v) EXPECT_NEAR((*lg)[v], full[p * kV + v], 1e-5) << p << " " << v;
    }
    // the step-by-step cache holds the same keys as the one GEMM pass wrote
    for (size_t p = 0; p < kPhonemes.size(); ++p)
        for (size_t i = 0; i < kD; ++i) EXPECT_NEAR(stepped.key(1, p, i), cache.key(1, p, i), 1e-5);
    // a prefix in one pass, then steps
    models::AtCache mixed = models::make_at_cache(model);
    ASSERT_TRUE(
        models::at_forward_all(model, state, mixed, Ids(kPhonemes.begin(), kPhonemes.begin() + 3)).ok());
    auto tail = models::at_forward_all(model, state, mixed, Ids(kPhonemes.begin() + 3, kPhonemes.end()), 3);
    ASSERT_TRUE(tail.ok());
    for (size_t i = 0; i < 3 * kV; ++i) EXPECT_NEAR((*tail)[i], full[3 * kV + i], 1e-5);
}

TEST_F(TinyModel, RewindsAndForksKeepEachHypothesisApart) {
    ASSERT_TRUE(models::encode(model, state, kWord).ok());
    auto all = models::at_forward_all(model, state, cache, kPhonemes);
    const std::vector<float> full(all->begin(), all->end());
    // rewind to position 2 with another token, then back: the cache is rewritten
    ASSERT_TRUE(models::at_step(model, state, cache, 40, 2).ok());
    EXPECT_EQ(cache.length, 3u);
    auto back = models::at_step(model, state, cache, kPhonemes[2], 2);
    for (size_t v = 0; v < kV; ++v) EXPECT_NEAR((*back)[v], full[2 * kV + v], 1e-5);
    // fork after position 2: two hypotheses continue from copies
    models::AtCache other = models::make_at_cache(model);
    models::copy_cache(model, cache, other);
    EXPECT_EQ(other.length, 3u);
    ASSERT_TRUE(models::at_step(model, state, other, 40, 3).ok());
    auto same = models::at_step(model, state, cache, kPhonemes[3], 3);
    for (size_t v = 0; v < kV; ++v) EXPECT_NEAR((*same)[v], full[3 * kV + v], 1e-5);
}

TEST_F(TinyModel, BadCallsAreErrorsNotCrashes) {
    auto expect_error = [](const auto& r, const std::string& part) {
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().find(part), std::string::npos) << r.error();
    };
    expect_error(models::at_step(model, state, cache, kBos, 0), "no word encoded yet");
    expect_error(models::nat_forward(model, state, kMasked), "no word encoded yet");
    expect_error(models::encode(model, state, Ids{}), "the word is empty");
    expect_error(models::encode(model, state, Ids(kS + 1, 5)), "has 13 letters; this model reads at most 12");
    expect_error(models::encode(model, state, Ids{5, 71}),
                 "letter id 71 at index 1 is outside the vocabulary");
    expect_error(models::encode(model, state, Ids{-1}), "letter id -1");
    ASSERT_TRUE(models::encode(model, state, Ids(kS, 5)).ok());  // the longest word
    expect_error(models::at_step(model, state, cache, kBos, 1), "no positions of the encoded word");
    expect_error(models::at_step(model, state, cache, 99, 0), "at_step: token id 99");
    expect_error(models::at_forward_all(model, state, cache, Ids{}), "no tokens");
    expect_error(models::at_forward_all(model, state, cache, Ids(kT + 1, kBos)),
                 "past the decoder's 10 positions");
    ASSERT_TRUE(models::at_forward_all(model, state, cache, Ids(kT, kBos)).ok());  // every position
    expect_error(models::at_step(model, state, cache, kBos, kT), "positions 10..10 are past");
    ASSERT_TRUE(models::at_forward_all(model, state, cache, Ids(2, kBos)).ok());
    expect_error(models::at_step(model, state, cache, kBos, 3), "past the cache (2 positions)");
    expect_error(models::nat_forward(model, state, Ids(kT + 1, kMask)), "11 positions; the decoder has 10");
    expect_error(models::nat_forward(model, state, Ids{}), "no tokens");
    expect_error(models::nat_forward(model, state, Ids{kMask, 71}), "token id 71 at index 1");
    // a new word: the old cache is refused past position 0, a fresh start is fine
    ASSERT_TRUE(models::encode(model, state, kWord).ok());
    expect_error(models::at_step(model, state, cache, kBos, 2), "no positions of the encoded word");
    EXPECT_TRUE(models::at_step(model, state, cache, kBos, 0).ok());
    EXPECT_TRUE(models::at_step(model, state, cache, 47, 1).ok());
}

// ------------------------------------------------------------------------------- configs, tensors, files
// Int8 weights (models/common/quantize.py's layout: I8 NAME + F32 NAME.scale) for every matrix but the
// positional tables and the length head: the forward of the f32 model whose weights are the dequantized ones.
TEST(Seq2SeqInt8, EncoderAndDecodersMatchTheDequantizedReference) {
    const Tiny tiny;
    std::vector<std::string> matrices;
    for (const auto& t : tiny.tensors) {
        const bool table = t.name.ends_with("pos") || t.name == "length_head";
        if (t.shape.size() == 2 && !table) matrices.push_back(t.name);
    }
    const test::Quantized q = test::quantize(tiny.tensors, matrices);
    Tiny dequantized = tiny;
    dequantized.tensors = q.dequantized;
    auto wf = io::WeightFile::parse(test::write_weights("g2p", tiny.config, q.int8));
    ASSERT_TRUE(wf.ok()) << wf.error();
    auto model = models::load_seq2seq(*wf);
    ASSERT_TRUE(model.ok()) << model.error();
    EXPECT_EQ(model->weights.emb.i8, wf->find("emb")->i8());
    EXPECT_NE(model->weights.at.blocks[1].cross_attn.wv.i8, nullptr);

    auto state = models::make_state(*model);
    auto cache = models::make_at_cache(*model);
    const Reference ref{dequantized};
    ASSERT_TRUE(models::encode(*model, state, kWord).ok());
    const Mat memory = ref.encode(kWord);
    EXPECT_LT(max_abs_diff(std::span<const float>(state.memory.data(), kWord.size() * kD), flatten(memory)),
              1e-5);
    auto at = models::at_forward_all(*model, state, cache, kPhonemes);
    ASSERT_TRUE(at.ok()) << at.error();
    EXPECT_LT(max_abs_diff(*at, ref.decode("at.", kPhonemes, memory)), 1e-4);
    auto nat = models::nat_forward(*model, state, kMasked);
    ASSERT_TRUE(nat.ok()) << nat.error();
    EXPECT_LT(max_abs_diff(*nat, ref.decode("nat.", kMasked, memory)), 1e-4);
}

TEST(Seq2SeqLoad, RejectsBadConfigsWithMessages) {
    const std::vector<std::tuple<std::string, json, std::string>> cases = {
        {"vocab_size", 0, "'vocab_size' = 0 is outside [1, 65536]"},
        {"d_model", 5000, "'d_model' = 5000 is outside [1, 4096]"},
        {"n_heads", 3, "d_model 16 is not divisible by n_heads 3"},
        {"enc_layers", 0, "'enc_layers' = 0 is outside"},
        {"dec_layers", 65, "'dec_layers' = 65 is outside"},
        {"max_letters", 2000, "'max_letters' = 2000 is outside [1, 1024]"},
        {"max_phonemes", -1, "'max_phonemes' = -1"},
        {"d_ff", "24", "'d_ff' must be an integer"},
        {"norm_eps", 0.0, "'norm_eps' must be > 0"},
        {"max_letters", nullptr, "config has no 'max_letters'"},  // removed below
    };
    for (const auto& [key, value, want] : cases) {
        Tiny t;
        if (value.is_null()) {
            t.config.erase(key);
        } else {
            t.config[key] = value;
        }
        const std::string err = load_error(t.bytes());
        EXPECT_NE(err.find(want), std::string::npos) << key << " = " << value.dump() << " -> '" << err << "'";
    }
    Tiny t;
    EXPECT_EQ(load_error(t.bytes()), "");
    EXPECT_NE(load_error(t.bytes("cmlm")).find("arch 'cmlm' is not an encoder-decoder"), std::string::npos);
    // a well-formed but absurd config is refused before anything is allocated
    t.config["d_model"] = 4096;
    t.config["n_heads"] = 1;
    t.config["max_letters"] = 1024;
    t.config["max_phonemes"] = 1024;
    t.config["dec_layers"] = 64;
    EXPECT_NE(load_error(t.bytes()).find("more than the 1024 MiB limit"), std::string::npos)
        << load_error(t.bytes());
}

TEST(Seq2SeqLoad, RejectsMissingMisshapenAndForeignTensors) {
    {
        Tiny t;
        std::erase_if(t.tensors, [](const TensorSpec& s) { return s.name == "at.blocks.1.cross_attn.wv"; });
        const std::string e = load_error(t.bytes());
        EXPECT_NE(e.find("tensor 'at.blocks.1.cross_attn.wv' (F32 [16, 16]) is missing"), std::string::npos)
            << e;
    }
    {
        Tiny t;
        for (auto& s : t.tensors)
            if (s.name == "nat.blocks.0.mlp.w_up") s.shape = {kD, kF};  // transposed
        const std::string e = load_error(t.bytes());
        EXPECT_NE(e.find("'nat.blocks.0.mlp.w_up' is F32 [16, 24], expected F32 [24, 16]"), std::string::npos)
            << e;
    }
    {
        Tiny t;
        t.config["max_phonemes"] = 12;  // config and weights disagree
        EXPECT_NE(load_error(t.bytes()).find("'at.pos' is F32 [10, 16], expected F32 [12, 16]"),
                  std::string::npos)
            << load_error(t.bytes());
    }
    {
        Tiny t;
        t.config["enc_layers"] = 1;  // the file has a second encoder block the model would ignore
        EXPECT_NE(load_error(t.bytes()).find("tensor 'enc_blocks.1.attn_norm' is not part of a 'g2p' model"),
                  std::string::npos)
            << load_error(t.bytes());
    }
    {
        Tiny t;
        t.tensors[0].dtype = "I32";
        EXPECT_NE(load_error(t.bytes()).find("'emb' is I32"), std::string::npos) << load_error(t.bytes());
    }
    for (float bad : {NAN, INFINITY, 3e38f, -2e4f}) {
        Tiny t;
        t.tensors[7].f32[2] = bad;
        const std::string e = load_error(t.bytes());
        EXPECT_NE(e.find("tensor '" + t.tensors[7].name + "' element 2 is"), std::string::npos) << e;
    }
}

TEST(Seq2SeqLoad, TruncatedAndCorruptedFilesAreErrors) {
    const std::vector<uint8_t> good = Tiny().bytes();
    ASSERT_EQ(load_error(good), "");
    // every cut is an error (the reader never reads past the bytes it holds; the sanitizer build checks)
    for (size_t n = 0; n < good.size(); n += 97) {
        const std::string e =
            load_error(std::vector<uint8_t>(good.begin(), good.begin() + std::ptrdiff_t(n)));
        EXPECT_NE(e, "") << "cut at " << n;
    }
    EXPECT_NE(load_error(std::vector<uint8_t>(good.begin(), good.end() - 4)).find("file truncated?"),
              std::string::npos);
    // a header length pointing past the end, and a header whose bytes are garbage
    std::vector<uint8_t> bad = good;
    bad[5] = 0x7f;
    EXPECT_NE(load_error(bad), "");
    bad = good;
    for (size_t i = 8; i < 40; ++i) bad[i] = 0xff;
    EXPECT_NE(load_error(bad).find("not valid UTF-8 JSON"), std::string::npos) << load_error(bad);
}

// ------------------------------------------------------------------------ the real model vs PyTorch
std::string path_of(const char* env, const std::string& relative) {
    if (const char* p = std::getenv(env)) return p;
    return std::string(ATNAT_SOURCE_DIR) + "/" + relative;
}

std::optional<std::vector<uint8_t>> read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return std::nullopt;
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// tests/fixtures/g2p-golden.json and the models/g2p/model.safetensors it was computed from (both
// overridable: ATNAT_G2P_GOLDEN, ATNAT_G2P_MODEL). Skips when either is missing.
class G2PGolden : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string gpath = path_of("ATNAT_G2P_GOLDEN", "tests/fixtures/g2p-golden.json");
        const std::string mpath = path_of("ATNAT_G2P_MODEL", "models/g2p/model.safetensors");
        auto g = read_bytes(gpath);
        auto w = read_bytes(mpath);
        if (!g || !w) GTEST_SKIP() << "no " << (g ? mpath : gpath) << " (run models/g2p/export.py)";
        golden = json::parse(g->begin(), g->end());
        auto wf = io::WeightFile::parse(std::move(*w));
        ASSERT_TRUE(wf.ok()) << wf.error();
        auto m = models::load_seq2seq(*wf);
        ASSERT_TRUE(m.ok()) << m.error();
        model = std::make_unique<models::Seq2Seq>(std::move(*m));
        auto tok = io::G2PTokenizer::from_json(wf->tokenizer());
        ASSERT_TRUE(tok.ok()) << tok.error();
        tokenizer = std::make_unique<io::G2PTokenizer>(std::move(*tok));
    }
    json golden;
    std::unique_ptr<models::Seq2Seq> model;
    std::unique_ptr<io::G2PTokenizer> tokenizer;
};

// max |got - want| over want's values; got may be longer (only want.size() values are compared).
double worst(const float* got, const json& want) {
    double e = 0;
    size_t i = 0;
    for (const json& x : want) e = std::max(e, std::fabs(double(got[i++]) - x.get<double>()));
    return e;
}

// A decoder case of the fixture: logits of every position, argmax and top-5, cross-attention weights.
void check_case(const json& c, std::span<const float> logits, const models::Seq2SeqState& s, size_t V,
                double& worst_logit, double& worst_attention) {
    const size_t T = c["tokens"].size();
    ASSERT_EQ(logits.size(), T * V);
    for (const auto& [pos, want] : c["logits"].items()) {
        worst_logit = std::max(worst_logit, worst(logits.data() + std::stoul(pos) * V, want));
    }
    for (size_t p = 0; p < T; ++p) {
        const float* row = logits.data() + p * V;
        EXPECT_EQ(int32_t(ops::argmax(row, V)), c["argmax"][p].get<int32_t>()) << "position " << p;
        std::vector<int32_t> idx(5);
        std::vector<float> val(5);
        ops::top_k(row, V, 5, idx.data(), val.data());
        EXPECT_EQ(idx, c["top5_ids"][p].get<Ids>()) << "position " << p;
    }
    const auto shape = c["cross_attention"]["shape"].get<std::vector<size_t>>();  // [L, H, T, S]
    const auto& values = c["cross_attention"]["values"];
    ASSERT_EQ(shape[2], T);
    size_t i = 0;
    for (size_t l = 0; l < shape[0]; ++l)
        for (size_t h = 0; h < shape[1]; ++h)
            for (size_t t = 0; t < shape[2]; ++t)
                for (size_t j = 0; j < shape[3]; ++j) {
                    const double want = values[i++].get<double>();
                    worst_attention =
                        std::max(worst_attention, std::fabs(double(s.cross_attention(l, h, t, j)) - want));
                }
}

TEST_F(G2PGolden, EncoderDecodersAndLengthHeadMatchPyTorch) {
    const auto& m = *model;
    const size_t V = m.config.vocab_size, d = m.config.d_model;
    auto s = models::make_state(m);
    auto cache = models::make_at_cache(m);
    auto step_cache = models::make_at_cache(m);
    double memory = 0, length = 0, at = 0, at_step = 0, nat = 0, attention = 0;
    for (const json& w : golden["words"]) {
        SCOPED_TRACE(w["word"].get<std::string>());
        auto letters = tokenizer->encode_word(w["word"].get<std::string>());
        ASSERT_TRUE(letters.ok()) << letters.error();
        EXPECT_EQ(*letters, w["letters"].get<Ids>());
        ASSERT_TRUE(models::encode(m, s, *letters).ok());
        for (size_t j = 0; j < letters->size(); ++j)
            memory = std::max(memory, worst(&s.memory(j, 0), w["memory"][j]));
        ASSERT_EQ(w["memory"][0].size(), d);
        length = std::max(length, worst(s.length_logits.data(), w["length_logits"]));
        const auto want_length = w["length_logits"].get<std::vector<double>>();
        EXPECT_EQ(ops::argmax(s.length_logits.data(), m.config.max_phonemes + 1),
                  size_t(std::max_element(want_length.begin(), want_length.end()) - want_length.begin()));

        const json& a = w["at"];
        const Ids at_in = a["tokens"].get<Ids>();
        std::vector<float> stepped(at_in.size() * V);
        for (size_t p = 0; p < at_in.size(); ++p) {
            auto lg = models::at_step(m, s, step_cache, at_in[p], p);
            ASSERT_TRUE(lg.ok()) << lg.error();
            std::copy(lg->begin(), lg->end(), stepped.begin() + std::ptrdiff_t(p * V));
        }
        for (const auto& [pos, want] : a["logits"].items())
            at_step = std::max(at_step, worst(&stepped[std::stoul(pos) * V], want));
        auto all = models::at_forward_all(m, s, cache, at_in);
        ASSERT_TRUE(all.ok()) << all.error();
        check_case(a, *all, s, V, at, attention);
        for (size_t p = 0; p < at_in.size(); ++p) {
            EXPECT_EQ(int32_t(ops::argmax(&stepped[p * V], V)), a["argmax"][p].get<int32_t>()) << p;
        }
        auto n = models::nat_forward(m, s, w["nat"]["tokens"].get<Ids>());
        ASSERT_TRUE(n.ok()) << n.error();
        check_case(w["nat"], *n, s, V, nat, attention);
    }
    std::printf(
        "[ golden ] max |C++ - PyTorch|: memory %.3g, length logits %.3g, AT logits %.3g (steps %.3g), "
        "NAT logits %.3g, cross-attention %.3g\n",
        memory, length, at, at_step, nat, attention);
    EXPECT_LT(memory, 1e-4);
    EXPECT_LT(length, 1e-4);
    EXPECT_LT(at, 1e-4);
    EXPECT_LT(at_step, 1e-4);
    EXPECT_LT(nat, 1e-4);
    EXPECT_LT(attention, 1e-5);
}

// model.at_greedy: argmax over the whole vocabulary from <bos>, at most max_phonemes - 1 tokens, <eos> cut.
TEST_F(G2PGolden, GreedyAtDecodingIsPyTorchsTokenForToken) {
    const auto& m = *model;
    auto s = models::make_state(m);
    auto cache = models::make_at_cache(m);
    for (const json& w : golden["words"]) {
        ASSERT_TRUE(models::encode(m, s, w["letters"].get<Ids>()).ok());
        Ids out;
        int32_t token = tokenizer->bos();
        for (size_t pos = 0; pos + 1 < m.config.max_phonemes; ++pos) {
            auto lg = models::at_step(m, s, cache, token, pos);
            ASSERT_TRUE(lg.ok()) << lg.error();
            token = int32_t(ops::argmax(lg->data(), lg->size()));
            if (token == tokenizer->eos()) break;
            out.push_back(token);
        }
        EXPECT_EQ(out, w["at_greedy"].get<Ids>()) << w["word"];
        // the fixture's ARPAbet is the plain token texts: a greedy output may hold a non-phoneme
        std::string arpabet;
        for (int32_t id : out) {
            if (!arpabet.empty()) arpabet += ' ';
            arpabet += tokenizer->vocabulary().token_text(id);
        }
        EXPECT_EQ(arpabet, w["at_greedy_arpabet"].get<std::string>());
        auto ipa = tokenizer->ipa_text(out);
        std::printf("[ golden ] %-16s AT greedy: %s  /%s/\n", w["word"].get<std::string>().c_str(),
                    arpabet.c_str(), ipa ? ipa->c_str() : "(not all phonemes)");
    }
}

TEST_F(G2PGolden, TheExportedFileIsWholeAndTruncationsAreRefused) {
    EXPECT_EQ(model->file.parameter_count(), golden["n_params"].get<size_t>());
    auto bytes = read_bytes(path_of("ATNAT_G2P_MODEL", "models/g2p/model.safetensors"));
    ASSERT_TRUE(bytes);
    for (size_t keep : {size_t(0), size_t(7), size_t(100), bytes->size() / 2, bytes->size() - 1}) {
        const std::string e =
            load_error(std::vector<uint8_t>(bytes->begin(), bytes->begin() + std::ptrdiff_t(keep)));
        EXPECT_NE(e, "") << "kept " << keep << " bytes";
    }
}

}  // namespace
}  // namespace atnat
