// The Transformer (core/models/transformer.*) and the text-model layer on top of it
// (core/decode/text_model.*):
//  - a tiny random-weight model written in memory: forward_all against a naive double-precision reference,
//    forward_token / prefill / chunked prefill / rewinds against forward_all, errors, config and shape
//    checks;
//  - the real poet-at export against its PyTorch golden fixture (tests/fixtures/poet-at-golden.json, written
//  by
//    models/poet-at/export.py): logits within 1e-4, argmax and top-5 everywhere, the exact greedy
//    continuation.
#include "core/models/transformer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/decode/report.hpp"
#include "core/decode/rng.hpp"
#include "core/decode/text_model.hpp"
#include "core/ops/ops.hpp"
#include "tests/cpp/poets.hpp"
#include "tests/cpp/reference.hpp"
#include "tests/cpp/weights.hpp"

namespace atnat {
namespace {

using nlohmann::json;
using test::TensorSpec;
using test::write_weights;
using test::ref::max_abs_diff;
namespace ref = test::ref;

// ------------------------------------------------------------------ a tiny model written in memory
// Vocabulary of the tiny model: the poet-at specials and forms, then punctuation and a few characters.
const std::vector<std::string> kTokens = {
    "<pad>",  "<bos>", "<eos>", "<mask>", "<unk>", "\n", "<len>", "<fixed>", "<wuyan-jueju>",
    "<free>", "，",    "。",    "春",     "花",    "月", "夜",    "风",      "雨",
    "山",     "水"};

json tiny_tokenizer_json() {
    return {{"type", "char"},
            {"tokens", kTokens},
            {"specials",
             {{"pad", 0},
              {"bos", 1},
              {"eos", 2},
              {"mask", 3},
              {"unk", 4},
              {"newline", 5},
              {"len", 6},
              {"fixed", 7}}},
            {"forms", {{"wuyan-jueju", "<wuyan-jueju>"}, {"free", "<free>"}}}};
}

struct Tiny {
    json config = {{"vocab_size", 20},      {"d_model", 16},    {"n_layers", 2},
                   {"n_heads", 2},          {"d_ff", 24},       {"context", 16},
                   {"rope_theta", 10000.0}, {"norm_eps", 1e-5}, {"dropout", 0.0}};
    std::vector<TensorSpec> tensors;

    explicit Tiny(uint64_t seed = 1) : tensors(test::random_transformer(seed, 20, 16, 24, 2)) {}
    std::vector<uint8_t> bytes(const std::string& arch = "gpt") const {
        return write_weights(arch, config, tensors, tiny_tokenizer_json());
    }
    const std::vector<float>& get(const std::string& name) const { return tensor_values(tensors, name); }
};

io::WeightFile parse(std::vector<uint8_t> bytes) {
    auto wf = io::WeightFile::parse(std::move(bytes));
    EXPECT_TRUE(wf.ok()) << (wf ? "" : wf.error());
    return std::move(*wf);
}

std::string load_error(const Tiny& t, const std::string& arch = "gpt") {
    auto wf = io::WeightFile::parse(t.bytes(arch));
    if (!wf) return "parse: " + wf.error();
    auto m = models::load_transformer(*wf);
    return m ? std::string() : m.error();
}

// ----------------------------------------------------------------- a naive reference forward (double)
// GPT.forward of models/poet-at/model.py written out with loops: [T, V] logits.
std::vector<double> reference_forward(const Tiny& t, const std::vector<int32_t>& tokens, bool causal) {
    const size_t V = 20, d = 16, f = 24, H = 2, hd = 8, T = tokens.size();
    using ref::Mat, ref::linear, ref::rmsnorm;
    auto rope = [&](Mat& x) {  // rotate-half per head, position = row
        for (size_t p = 0; p < x.size(); ++p)
            for (size_t h = 0; h < H; ++h)
                for (size_t i = 0; i < hd / 2; ++i) {
                    const double a = double(p) * std::pow(10000.0, -double(2 * i) / double(hd));
                    double& x1 = x[p][h * hd + i];
                    double& x2 = x[p][h * hd + i + hd / 2];
                    const double u = x1, v = x2;
                    x1 = u * std::cos(a) - v * std::sin(a);
                    x2 = v * std::cos(a) + u * std::sin(a);
                }
    };
    const auto& emb = t.get("tok_emb");
    Mat h(T, std::vector<double>(d));
    for (size_t p = 0; p < T; ++p)
        for (size_t i = 0; i < d; ++i) h[p][i] = emb[size_t(tokens[p]) * d + i];
    for (int l = 0; l < 2; ++l) {
        const std::string pre = "layers." + std::to_string(l) + ".";
        Mat a = rmsnorm(h, t.get(pre + "attn_norm"));
        Mat q = linear(a, t.get(pre + "wq"), d, d), k = linear(a, t.get(pre + "wk"), d, d),
            v = linear(a, t.get(pre + "wv"), d, d);
        rope(q);
        rope(k);
        ref::add(h, linear(ref::attention(q, k, v, H, causal), t.get(pre + "wo"), d, d));
        ref::add(h, ref::swiglu(rmsnorm(h, t.get(pre + "mlp_norm")), t.get(pre + "w_gate"),
                                t.get(pre + "w_up"), t.get(pre + "w_down"), d, f));
    }
    Mat n = rmsnorm(h, t.get("final_norm"));
    Mat logits = linear(n, emb, V, d);
    return ref::flatten(logits);
}

const std::vector<int32_t> kSeq = {1,  8,  12, 13, 14, 15, 10, 16,
                                   17, 18, 19, 11, 5,  12, 13};  // 15 of 16 positions

class TinyModel : public ::testing::Test {
protected:
    Tiny tiny;
    io::WeightFile file = parse(tiny.bytes());
    models::Transformer model = std::move(*models::load_transformer(file));
};

TEST_F(TinyModel, LoadsConfigAndViewsIntoTheFile) {
    const auto& c = model.config;
    EXPECT_EQ(c.vocab_size, 20u);
    EXPECT_EQ(c.head_dim, 8u);
    EXPECT_EQ(c.context, 16u);
    EXPECT_TRUE(c.causal);
    EXPECT_FLOAT_EQ(c.norm_eps, 1e-5f);
    ASSERT_EQ(model.weights.layers.size(), 2u);
    EXPECT_EQ(model.weights.tok_emb.f32, file.find("tok_emb")->f32());  // a view, not a copy
    EXPECT_EQ(model.weights.tok_emb.i8, nullptr);
    EXPECT_EQ(model.weights.layers[1].w_down.cols, 24u);
    EXPECT_EQ(model.weights.layers[1].w_down.f32[3 * 24 + 5], tiny.get("layers.1.w_down")[3 * 24 + 5]);
    EXPECT_FLOAT_EQ(model.rope_cos(3, 1), float(std::cos(3.0 * std::pow(10000.0, -2.0 / 8.0))));
}

TEST_F(TinyModel, ForwardAllMatchesANaiveReference) {
    auto s = models::make_state(model);
    auto all = models::forward_all(model, s, kSeq);
    ASSERT_TRUE(all.ok()) << all.error();
    EXPECT_LT(max_abs_diff(*all, reference_forward(tiny, kSeq, true)), 1e-4);
    EXPECT_EQ(s.length, kSeq.size());
}

TEST_F(TinyModel, NonCausalCmlmAttendsBothWays) {
    io::WeightFile cf = parse(tiny.bytes("cmlm"));
    auto cm = models::load_transformer(cf);
    ASSERT_TRUE(cm.ok()) << cm.error();
    EXPECT_FALSE(cm->config.causal);
    auto s = models::make_state(*cm);
    auto all = models::forward_all(*cm, s, kSeq);
    ASSERT_TRUE(all.ok()) << all.error();
    const auto ref = reference_forward(tiny, kSeq, false);
    EXPECT_LT(max_abs_diff(*all, ref), 1e-4);
    EXPECT_GT(max_abs_diff(*all, reference_forward(tiny, kSeq, true)), 1e-2);  // the mask matters
    // Calling again (no reset) reads the new sequence only.
    const std::vector<int32_t> shorter(kSeq.begin(), kSeq.begin() + 5);
    auto again = models::forward_all(*cm, s, shorter);
    ASSERT_TRUE(again.ok());
    EXPECT_LT(max_abs_diff(*again, reference_forward(tiny, shorter, false)), 1e-4);
    EXPECT_FALSE(models::forward_token(*cm, s, 1, 0).ok());
    EXPECT_FALSE(models::forward_all(*cm, s, shorter, 2).ok());
}

TEST_F(TinyModel, ForwardTokenStepByStepEqualsForwardAll) {
    auto full = models::make_state(model);
    auto all = models::forward_all(model, full, kSeq);
    ASSERT_TRUE(all.ok());
    auto s = models::make_state(model, 1);  // a step-only state
    const size_t V = 20;
    for (size_t p = 0; p < kSeq.size(); ++p) {
        auto lg = models::forward_token(model, s, kSeq[p], p);
        ASSERT_TRUE(lg.ok()) << lg.error();
        ASSERT_EQ(lg->size(), V);
        for (size_t v = 0; v < V; ++v) EXPECT_NEAR((*lg)[v], (*all)[p * V + v], 1e-5) << p << " " << v;
    }
    EXPECT_EQ(s.length, kSeq.size());
}

TEST_F(TinyModel, PrefillThenStepsEqualsTheFullForward) {
    auto full = models::make_state(model);
    const auto ref = reference_forward(tiny, kSeq, true);
    const size_t V = 20, P = 6;
    for (size_t rows : {size_t(0), size_t(4), size_t(1)}) {  // whole prompt at once, chunks of 4, one by one
        auto s = models::make_state(model, rows);
        auto last = models::prefill(model, s, std::span<const int32_t>(kSeq.data(), P));
        ASSERT_TRUE(last.ok()) << last.error();
        EXPECT_LT(max_abs_diff(*last, std::vector<double>(ref.begin() + (P - 1) * V, ref.begin() + P * V)),
                  1e-4);
        for (size_t p = P; p < kSeq.size(); ++p) {
            auto lg = models::forward_token(model, s, kSeq[p], p);
            ASSERT_TRUE(lg.ok());
            EXPECT_LT(max_abs_diff(*lg, std::vector<double>(ref.begin() + p * V, ref.begin() + (p + 1) * V)),
                      1e-4)
                << p;
        }
    }
    // A batched pass after a cached prefix (verifying a draft): rows start .. start+n-1.
    auto s = models::make_state(model);
    ASSERT_TRUE(models::prefill(model, s, std::span<const int32_t>(kSeq.data(), P)).ok());
    auto tail = models::forward_all(model, s, std::span<const int32_t>(kSeq.data() + P, kSeq.size() - P), P);
    ASSERT_TRUE(tail.ok()) << tail.error();
    EXPECT_LT(max_abs_diff(*tail, std::vector<double>(ref.begin() + P * V, ref.end())), 1e-4);
}

TEST_F(TinyModel, RewindingOverwritesTheCache) {
    auto s = models::make_state(model, 1);
    for (size_t p = 0; p < 8; ++p) ASSERT_TRUE(models::forward_token(model, s, 17, p).ok());
    // Back to position 3 with kSeq's tokens: the same logits as a fresh run.
    auto fresh = models::make_state(model);
    auto all = models::forward_all(model, fresh, kSeq);
    ASSERT_TRUE(all.ok());
    auto s2 = models::make_state(model, 1);
    for (size_t p = 0; p < 3; ++p) ASSERT_TRUE(models::forward_token(model, s2, kSeq[p], p).ok());
    models::copy_cache(model, s2, s);
    EXPECT_EQ(s.length, 3u);
    for (size_t p = 3; p < 6; ++p) {
        auto lg = models::forward_token(model, s, kSeq[p], p);
        ASSERT_TRUE(lg.ok());
        for (size_t v = 0; v < 20; ++v) EXPECT_NEAR((*lg)[v], (*all)[p * 20 + v], 1e-5);
    }
}

TEST_F(TinyModel, CausalLogitsIgnoreLaterTokens) {
    auto s = models::make_state(model);
    auto a = models::forward_all(model, s, kSeq);
    std::vector<float> first(a->begin(), a->begin() + 5 * 20);
    std::vector<int32_t> changed = kSeq;
    for (size_t p = 5; p < changed.size(); ++p) changed[p] = 19;
    auto b = models::forward_all(model, s, changed);
    for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i], (*b)[i]);
}

TEST_F(TinyModel, BadCallsAreErrorsNotCrashes) {
    auto s = models::make_state(model, 4);
    auto expect_error = [](const auto& r, const std::string& part) {
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().find(part), std::string::npos) << r.error();
    };
    expect_error(models::forward_token(model, s, 20, 0), "outside the vocabulary");
    expect_error(models::forward_token(model, s, -1, 0), "outside the vocabulary");
    expect_error(models::forward_token(model, s, 1, 1), "past the cache");  // nothing cached yet
    expect_error(models::forward_all(model, s, std::vector<int32_t>(5, 1)), "holds logits for 4 rows");
    expect_error(models::forward_all(model, s, std::vector<int32_t>{}), "no tokens");
    expect_error(models::prefill(model, s, std::vector<int32_t>(17, 1)), "context");
    expect_error(models::prefill(model, s, std::vector<int32_t>{1, 2, 99}), "token id 99 at index 2");
    ASSERT_TRUE(models::prefill(model, s, std::vector<int32_t>(16, 1)).ok());  // chunks of 4 fill the context
    expect_error(models::forward_token(model, s, 1, 16), "context");
}

// ------------------------------------------------------------------------------- configs and shapes
// ------------------------------------------------------------------ int8 weights against PyTorch
// tests/fixtures/weights/tiny-gpt-int8.*: a tiny GPT quantised by models/common/quantize.py, and PyTorch's
// logits with the dequantised weights (both written by tests/fixtures/make_weight_fixtures.py).
TEST(TransformerInt8, LogitsMatchPyTorchsDequantisedModel) {
    const std::string dir = std::string(ATNAT_SOURCE_DIR) + "/tests/fixtures/weights/";
    auto bytes = test::read_bytes(dir + "tiny-gpt-int8.safetensors");
    auto golden_bytes = test::read_bytes(dir + "tiny-gpt-int8.json");
    ASSERT_TRUE(bytes && golden_bytes);
    const json golden = json::parse(golden_bytes->begin(), golden_bytes->end());
    io::WeightFile file = parse(std::move(*bytes));
    auto model = models::load_transformer(file);
    ASSERT_TRUE(model.ok()) << model.error();
    const auto& w = model->weights;
    EXPECT_EQ(w.tok_emb.i8, file.find("tok_emb")->i8());  // int8 views into the file, not dequantised copies
    EXPECT_EQ(w.tok_emb.scale, file.find("tok_emb.scale")->f32());
    EXPECT_NE(w.layers[1].w_down.i8, nullptr);
    EXPECT_EQ(w.layers[1].w_down.f32, nullptr);

    const auto tokens = golden["tokens"].get<std::vector<int32_t>>();
    const auto want = golden["logits"].get<std::vector<float>>();
    const auto argmax = golden["argmax"].get<std::vector<size_t>>();
    const size_t V = model->config.vocab_size;
    auto full = models::make_state(*model);
    auto all = models::forward_all(*model, full, tokens);
    ASSERT_TRUE(all.ok()) << all.error();
    ASSERT_EQ(all->size(), want.size());
    float worst = 0.f;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs((*all)[i] - want[i]));
    EXPECT_LE(worst, 1e-4f);
    for (size_t p = 0; p < tokens.size(); ++p) EXPECT_EQ(ops::argmax(all->data() + p * V, V), argmax[p]) << p;
    // one token at a time (gemv_i8) gives forward_all's (gemm_i8) logits bit for bit
    auto step = models::make_state(*model, 1);
    for (size_t p = 0; p < tokens.size(); ++p) {
        auto lg = models::forward_token(*model, step, tokens[p], p);
        ASSERT_TRUE(lg.ok()) << lg.error();
        for (size_t v = 0; v < V; ++v) ASSERT_EQ((*lg)[v], (*all)[p * V + v]) << p << " " << v;
    }
    std::printf("[ golden ] int8 tiny GPT: max |logit - PyTorch dequantised| %.3g\n", worst);
}

TEST(TransformerInt8, AnI8MatrixNeedsItsRowScales) {
    const std::string dir = std::string(ATNAT_SOURCE_DIR) + "/tests/fixtures/weights/";
    auto bytes = test::read_bytes(dir + "tiny-gpt-int8.safetensors");
    ASSERT_TRUE(bytes);
    // rename the scales of layers.0.wk: the loader names the missing tensor and the matrix it belongs to
    const std::string from = "\"layers.0.wk.scale\"", to = "\"layers.0.wk.scalf\"";
    auto at = std::search(bytes->begin(), bytes->end(), from.begin(), from.end());
    ASSERT_NE(at, bytes->end());
    std::copy(to.begin(), to.end(), at);
    auto file = io::WeightFile::parse(std::move(*bytes));
    ASSERT_TRUE(file.ok()) << file.error();
    auto model = models::load_transformer(*file);
    ASSERT_FALSE(model.ok());
    EXPECT_NE(model.error().find("tensor 'layers.0.wk.scale' (F32 [32]) is missing"), std::string::npos)
        << model.error();
    EXPECT_NE(model.error().find("the row scales of the I8 matrix 'layers.0.wk'"), std::string::npos)
        << model.error();
}

TEST(TransformerLoad, RejectsBadConfigsWithMessages) {
    const std::vector<std::tuple<std::string, json, std::string>> cases = {
        {"vocab_size", 0, "'vocab_size' = 0 is outside [1, 1048576]"},
        {"vocab_size", 2000000, "'vocab_size' = 2000000 is outside"},
        {"d_model", 9000, "'d_model' = 9000 is outside [1, 8192]"},
        {"n_heads", 3, "d_model 16 is not divisible by n_heads 3"},
        {"n_heads", 16, "head_dim = d_model / n_heads = 1 must be even"},
        {"context", 0, "'context' = 0 is outside [1, 8192]"},
        {"context", 9000, "'context' = 9000 is outside"},
        {"n_layers", 0, "'n_layers' = 0 is outside"},
        {"d_ff", "24", "'d_ff' must be an integer"},
        {"norm_eps", 0.0, "'norm_eps' must be > 0"},
        {"rope_theta", -1.0, "'rope_theta' = -1"},
        {"n_layers", nullptr, "n_layers"},  // removed below
    };
    for (const auto& [key, value, want] : cases) {
        Tiny t;
        if (value.is_null()) {
            t.config.erase(key);
        } else {
            t.config[key] = value;
        }
        const std::string err = load_error(t);
        EXPECT_NE(err.find(want), std::string::npos) << key << " = " << value.dump() << " -> '" << err << "'";
    }
    Tiny t;
    EXPECT_EQ(load_error(t), "");
    EXPECT_NE(load_error(t, "pixelcnn").find("arch 'pixelcnn' is not a transformer"), std::string::npos);
}

TEST(TransformerLoad, RejectsMissingOrMisshapenTensors) {
    {
        Tiny t;
        t.tensors.erase(t.tensors.begin() + 5);  // layers.0.wo
        EXPECT_NE(load_error(t).find("tensor 'layers.0.wo' (F32 [16, 16]) is missing"), std::string::npos)
            << load_error(t);
    }
    {
        Tiny t;
        for (auto& x : t.tensors) {
            if (x.name == "layers.1.w_up") x.shape = {16, 24};  // transposed
        }
        EXPECT_NE(load_error(t).find("'layers.1.w_up' is F32 [16, 24], expected F32 [24, 16]"),
                  std::string::npos)
            << load_error(t);
    }
    {
        Tiny t;
        t.config["d_ff"] = 32;  // config and weights disagree
        EXPECT_NE(load_error(t).find("expected F32 [32, 16]"), std::string::npos) << load_error(t);
    }
    {
        Tiny t;
        t.tensors[0].dtype = "I32";
        EXPECT_NE(load_error(t).find("'tok_emb' is I32"), std::string::npos) << load_error(t);
    }
    {
        // 8192 context × 1M vocabulary of logits: refused up front instead of failing to allocate.
        Tiny t;
        t.config["context"] = 8192;
        t.config["vocab_size"] = 1 << 20;
        EXPECT_NE(load_error(t).find("MiB"), std::string::npos) << load_error(t);
    }
    // NaN, Inf and 3e38 parse as floats but turn every forward pass into NaN: refused at load
    for (float bad : {NAN, INFINITY, -INFINITY, 3e38f, -2e4f}) {
        Tiny t;
        t.tensors[5].f32[3] = bad;
        const std::string e = load_error(t);
        EXPECT_NE(e.find("tensor '" + t.tensors[5].name + "' element 3 is"), std::string::npos) << e;
        EXPECT_NE(e.find("weights must be finite with |value| <= 10000"), std::string::npos) << e;
    }
}

// ------------------------------------------------------------------------------------- the text model
decode::TextModel tiny_text_model() {
    auto m = decode::TextModel::load(Tiny().bytes());
    EXPECT_TRUE(m.ok()) << (m ? "" : m.error());
    return std::move(*m);
}

TEST(TextModel, BuildsPromptsWithFormsNewlinesAndUnknownChars) {
    const auto m = tiny_text_model();
    EXPECT_EQ(m.form_names(), "wuyan-jueju, free");
    EXPECT_EQ(m.default_form(), "free");
    auto p = decode::encode_prompt(m, "wuyan-jueju", "春花，\r\n月X夜😀X");
    ASSERT_TRUE(p.ok()) << p.error();
    EXPECT_EQ(p->tokens, (std::vector<int32_t>{1, 8, 12, 13, 10, 5, 14, 4, 15, 4, 4}));
    EXPECT_EQ(p->body_start, 2u);
    EXPECT_EQ(p->unknown_chars, (std::vector<std::string>{"X", "😀"}));
    auto d = decode::encode_prompt(m, "", "");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->tokens, (std::vector<int32_t>{1, 9}));  // empty prompt, default form "free"
    auto bad = decode::encode_prompt(m, "sonnet", "春");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "unknown form 'sonnet' (known: wuyan-jueju, free)");
}

TEST(TextModel, ScoreMatchesTheTrainingEvaluation) {
    const auto m = tiny_text_model();
    auto state = models::make_state(*m.transformer);
    auto r = decode::score_text(m, state, "春花，\n月夜。", "wuyan-jueju");
    ASSERT_TRUE(r.ok()) << r.error();
    // By hand: targets c1 .. cN <eos> predicted from positions 1 .. N+1 (the form is not scored).
    const std::vector<int32_t> seq = {1, 8, 12, 13, 10, 5, 14, 15, 11, 2};
    const auto ref = reference_forward(Tiny(), std::vector<int32_t>(seq.begin(), seq.end() - 1), true);
    double total = 0, chars = 0;
    for (size_t t = 2; t < seq.size(); ++t) {
        const double* row = ref.data() + (t - 1) * 20;
        double mx = row[0], z = 0;
        for (int v = 0; v < 20; ++v) mx = std::max(mx, row[v]);
        for (int v = 0; v < 20; ++v) z += std::exp(row[v] - mx);
        const double nll = -(row[seq[t]] - mx - std::log(z));
        total += nll;
        if (seq[t] >= 12) chars += nll;  // 春 花 月 夜: not '，' '。' '\n' <eos>
        EXPECT_NEAR(r->per_token[t - 2].nll, nll, 1e-4);
    }
    EXPECT_EQ(r->tokens, 8u);
    EXPECT_EQ(r->chars, 4u);
    EXPECT_NEAR(r->total_nll, total, 1e-3);
    EXPECT_NEAR(r->nll, total / 8, 1e-4);
    EXPECT_NEAR(r->ppl, std::exp(total / 8), 1e-3 * r->ppl);
    EXPECT_NEAR(r->nll_chars, chars / 4, 1e-4);
    EXPECT_EQ(r->per_token.back().text, "<eos>");
    const json j = decode::to_json(*r, true);
    EXPECT_EQ(j["per_token"].size(), 8u);
    EXPECT_EQ(j["form"], "wuyan-jueju");
    // Too long for the context: 15 characters + <bos> <form> > 16.
    auto longer = decode::score_text(m, state, "春花月夜风雨山水春花月夜风雨山", "free");
    ASSERT_FALSE(longer.ok());
    EXPECT_NE(longer.error().find("at most 16 tokens"), std::string::npos) << longer.error();
    EXPECT_TRUE(
        decode::score_text(m, state, "春花月夜风雨山水春花月夜风雨", "free").ok());  // exactly 16 inputs
}

// Greedy by re-running the full sequence each token (generate_greedy in model.py), from the naive reference.
std::vector<int32_t> reference_greedy(std::vector<int32_t> seq, size_t max_new) {
    std::vector<int32_t> out;
    Tiny tiny;
    for (size_t i = 0; i < max_new && seq.size() <= 16; ++i) {
        const auto logits = reference_forward(tiny, seq, true);
        const double* row = logits.data() + (seq.size() - 1) * 20;
        const int32_t next = int32_t(std::max_element(row, row + 20) - row);
        out.push_back(next);
        seq.push_back(next);
        if (next == 2 || seq.size() == 16) break;
    }
    return out;
}

TEST(TextModel, GreedyGenerationEqualsTheNoCacheReference) {
    const auto m = tiny_text_model();
    decode::GenerateRequest req;
    req.prompt = "春";
    req.form = "wuyan-jueju";
    auto s = decode::start_generation(m, req);
    ASSERT_TRUE(s.ok()) << s.error();
    std::vector<json> events;
    while (!s->done()) {
        auto ev = s->step();
        ASSERT_TRUE(ev.ok()) << ev.error();
        events.push_back(decode::to_json(*ev));
    }
    const auto& r = s->result();
    std::vector<int32_t> got;
    for (const auto& t : r.tokens) got.push_back(t.id);
    EXPECT_EQ(got, reference_greedy({1, 8, 12}, 16));
    EXPECT_EQ(events.size(), got.size());
    EXPECT_TRUE(r.stop_reason == decode::StopReason::eos ||
                r.stop_reason == decode::StopReason::context_full);
    EXPECT_EQ(r.text.rfind("春", 0), 0u);  // the prompt text leads the poem
    EXPECT_EQ(r.forward_passes, got.size());
}

TEST(TextModel, RequestsAreValidatedAgainstTheModel) {
    const auto m = tiny_text_model();
    auto error = [&](auto edit) {
        decode::GenerateRequest req;
        req.prompt = "春";
        edit(req);
        auto s = decode::start_generation(m, req);
        return s ? std::string() : s.error();
    };
    EXPECT_NE(error([](auto& r) { r.max_tokens = 17; }).find("max_tokens = 17 is outside [1, 16]"),
              std::string::npos);
    EXPECT_NE(error([](auto& r) { r.prompt = "春花月夜风雨山水春花月夜风雨"; }).find("context of 16"),
              std::string::npos);
    EXPECT_NE(error([](auto& r) { r.form = "haiku"; }).find("known: wuyan-jueju, free"), std::string::npos);
    EXPECT_NE(error([](auto& r) {
                  r.constraints = {{0, "花"}};
              }).find("inside the prompt"),
              std::string::npos);
    EXPECT_NE(error([](auto& r) {
                  r.constraints = {{3, "X"}};
              }).find("not a single token"),
              std::string::npos);
    EXPECT_EQ(error([](auto& r) { r.prompt = "春花月夜风雨山水春花月夜风"; }),
              "");  // 15 tokens: room for one
    // Constraints count poem characters: position 3 is the 4th character after the form.
    decode::GenerateRequest req;
    req.prompt = "春";
    req.max_tokens = 5;
    req.constraints = {{3, "山"}, {1, "\n"}};
    auto s = decode::start_generation(m, req);
    ASSERT_TRUE(s.ok()) << s.error();
    while (!s->done()) ASSERT_TRUE(s->step().ok());
    ASSERT_GE(s->result().tokens.size(), 3u);
    EXPECT_EQ(s->result().tokens[0].text, "\n");
    EXPECT_EQ(s->result().tokens[2].text, "山");
    EXPECT_TRUE(s->result().tokens[2].forced);
}

// The budget counts what make_state allocates, float for float.
TEST(TextModel, StateBytesAreWhatMakeStateAllocates) {
    auto m = decode::TextModel::load(Tiny().bytes());
    ASSERT_TRUE(m.ok()) << m.error();
    for (size_t rows : {0, 1, 5, 16, 99}) {
        const models::TransformerState s = models::make_state(*m->transformer, rows);
        const size_t floats = s.key_cache.size() + s.value_cache.size() + s.x.size() + s.xb.size() +
                              s.q.size() + s.att.size() + s.proj.size() + s.gate.size() + s.up.size() +
                              s.scores.size() + s.logits.size();
        EXPECT_EQ(models::state_bytes(m->transformer->config, rows), floats * sizeof(float)) << rows;
    }
}

// One memory budget per request (core/decode/budget.hpp): a small file with a huge context asks beam 8
// for 8 KV caches of the whole context. Refused before anything is allocated, with an error that names the
// beam, the context, the bytes and max_memory; a limit of the exact need is enough.
TEST(TextModel, ARequestOverItsMemoryBudgetIsRefusedNamingBeamContextAndBytes) {
    Tiny t;
    t.config["context"] = 8192;
    const std::vector<uint8_t> bytes = t.bytes();
    auto m = decode::TextModel::load(bytes);
    ASSERT_TRUE(m.ok()) << m.error();
    const models::TransformerConfig& c = m->transformer->config;
    decode::GenerateRequest req;
    req.prompt = "春";
    req.strategy = decode::Strategy::beam;
    req.beam = 8;
    req.max_tokens = 1;
    // weights + one state of the whole context + 7 step-only forks: 2 layers x 8192 positions x 16 floats
    // of keys and as many of values each, 2 MiB per fork
    const uint64_t need = bytes.size() + models::state_bytes(c, 0) + 7 * models::state_bytes(c, 1);
    EXPECT_EQ(models::state_bytes(c, 1), 4u * (2 * 2 * 8192 * 16 + (5 * 16 + 2 * 24 + 20) + 8192));
    const uint32_t mib = uint32_t((need + (1 << 20) - 1) >> 20);
    req.max_memory = mib - 1;
    auto refused = decode::start_generation(*m, req);
    ASSERT_FALSE(refused.ok());
    for (const std::string& part : {"this request needs " + std::to_string(need) + " bytes",
                                    "more than max_memory = " + std::to_string(mib - 1) + " MiB",
                                    std::string("decoding state (context 8192)"),
                                    std::string("7 more beam states (beam = 8, context 8192)")})
        EXPECT_NE(refused.error().find(part), std::string::npos) << part << " in: " << refused.error();
    req.max_memory = mib;
    auto session = decode::start_generation(*m, req);
    ASSERT_TRUE(session.ok()) << session.error();
    EXPECT_TRUE(decode::run_to_end(std::move(session)).ok());
    req.max_memory = mib - 1;  // beam 1 holds one state: well inside
    req.strategy = decode::Strategy::greedy;
    EXPECT_TRUE(decode::start_generation(*m, req).ok());
    // the JSON reader and the CLI take the limit from the request's table
    auto parsed = decode::request_from_json_text<decode::GenerateRequest>(R"({"max_memory": 0})");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error(), "max_memory = 0 is outside [1, 1048576]");
}

// ------------------------------------------------------------------------ the real model vs PyTorch
// PoetGolden: tests/cpp/poets.hpp (the fixture base shared with poet-nat's golden tests)
using PoetGolden = test::PoetAtGolden;

TEST_F(PoetGolden, LogitsArgmaxAndTop5MatchPyTorch) {
    const auto& tf = *model->transformer;
    const size_t V = tf.config.vocab_size;
    auto state = models::make_state(tf);
    auto step_state = models::make_state(tf, 1);
    double worst = 0, worst_step = 0;
    for (const json& c : golden["cases"]) {
        const auto tokens = c["tokens"].get<std::vector<int32_t>>();
        auto all = models::forward_all(tf, state, tokens);
        ASSERT_TRUE(all.ok()) << all.error();
        std::vector<float> stepped(tokens.size() * V);
        for (size_t p = 0; p < tokens.size(); ++p) {
            auto lg = models::forward_token(tf, step_state, tokens[p], p);
            ASSERT_TRUE(lg.ok());
            std::copy(lg->begin(), lg->end(), stepped.begin() + std::ptrdiff_t(p * V));
        }
        for (const auto& [pos, want] : c["logits"].items()) {
            const size_t p = std::stoul(pos);
            const auto w = want.get<std::vector<double>>();
            ASSERT_EQ(w.size(), V);
            for (size_t v = 0; v < V; ++v) {
                worst = std::max(worst, std::fabs(double((*all)[p * V + v]) - w[v]));
                worst_step = std::max(worst_step, std::fabs(double(stepped[p * V + v]) - w[v]));
            }
        }
        const auto argmax = c["argmax"].get<std::vector<int32_t>>();
        const auto top5 = c["top5_ids"].get<std::vector<std::vector<int32_t>>>();
        const auto top5_logits = c["top5_logits"].get<std::vector<std::vector<double>>>();
        for (size_t p = 0; p < tokens.size(); ++p) {
            const float* row = all->data() + p * V;
            EXPECT_EQ(int32_t(ops::argmax(row, V)), argmax[p]) << c["name"] << " position " << p;
            EXPECT_EQ(int32_t(ops::argmax(stepped.data() + p * V, V)), argmax[p])
                << c["name"] << " position " << p;
            std::vector<int32_t> idx(5);
            std::vector<float> val(5);
            ops::top_k(row, V, 5, idx.data(), val.data());
            EXPECT_EQ(idx, top5[p]) << c["name"] << " position " << p;
            for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(val[i], top5_logits[p][i], 1e-4);
        }
    }
    std::printf("[ golden ] max |logit - PyTorch|: forward_all %.3g, forward_token %.3g\n", worst,
                worst_step);
    EXPECT_LT(worst, 1e-4);
    EXPECT_LT(worst_step, 1e-4);
}

TEST_F(PoetGolden, GreedyContinuationIsExact) {
    const json& g = golden["greedy"];
    const auto prompt = g["prompt"].get<std::vector<int32_t>>();
    const auto want = g["tokens"].get<std::vector<int32_t>>();
    ASSERT_EQ(prompt.size(), 3u);
    decode::GenerateRequest req;
    req.prompt = model->tokenizer->token_text(prompt[2]);
    std::string form;
    for (const auto& [name, id] : model->forms) {
        if (id == prompt[1]) form = name;
    }
    req.form = form;
    req.max_tokens = g["max_new"].get<size_t>();
    auto s = decode::start_generation(*model, req);
    ASSERT_TRUE(s.ok()) << s.error();
    while (!s->done()) ASSERT_TRUE(s->step().ok());
    std::vector<int32_t> got;
    for (const auto& t : s->result().tokens) got.push_back(t.id);
    EXPECT_EQ(got, want);
    EXPECT_EQ(s->result().completion + (want.back() == model->tokenizer->eos() ? "<eos>" : ""),
              g["text"].get<std::string>());
    const auto& r = s->result();
    std::printf(
        "[ golden ] greedy: %s\n[ golden ] %zu tokens, prefill %.2f ms, %.0f tokens/s after the first\n",
        r.text.c_str(), r.tokens.size(), r.prefill_ms, r.decode_tokens_per_s);
}

TEST_F(PoetGolden, BeamAndSamplingRunOnTheRealModel) {
    decode::GenerateRequest req;
    req.prompt = "春";
    req.form = "wuyan-jueju";
    req.strategy = decode::Strategy::beam;
    req.beam = 4;
    req.max_tokens = 40;
    auto b = decode::start_generation(*model, req);
    ASSERT_TRUE(b.ok());
    while (!b->done()) ASSERT_TRUE(b->step().ok());
    EXPECT_NE(b->result().stop_reason, decode::StopReason::error);
    EXPECT_GT(b->result().tokens.size(), 0u);
    req.strategy = decode::Strategy::sample;
    req.seed = 42;
    req.top_k = 40;
    req.temperature = 0.8f;
    std::vector<std::vector<int32_t>> runs;
    for (int i = 0; i < 2; ++i) {
        auto s = decode::start_generation(*model, req);
        ASSERT_TRUE(s.ok());
        while (!s->done()) ASSERT_TRUE(s->step().ok());
        runs.emplace_back();
        for (const auto& t : s->result().tokens) runs.back().push_back(t.id);
        if (i == 0)
            std::printf("[ golden ] sample seed 42: %s\n", s->result().text.c_str());  // same native and wasm
    }
    EXPECT_EQ(runs[0], runs[1]);
    std::printf("[ golden ] beam 4: %s\n", b->result().text.c_str());
}

}  // namespace
}  // namespace atnat
