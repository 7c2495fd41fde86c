// Tests of pixnat (core/models/pixnat) and its K-step mask-predict sampler (core/decode/pixels):
//  - the trained model against the PyTorch golden fixture (tests/fixtures/pixnat-golden.json, written by
//    models/pixnat/export.py): logits at 5 positions within 1e-4, argmax at every pixel, the greedy K-step
//    sample step by step, the mask schedules for K = 1..16;
//  - tiny random-weight models built in memory against a plain scalar forward written here (dilated 3x3
//    convs done the obvious way, so the polyphase decomposition in the model is checked, dilations > H and W
//    included);
//  - the sampler's invariants (schedule, no pixel revisited, determinism per seed) and its errors.
#include "core/models/pixnat.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/decode/pixels.hpp"
#include "core/ops/ops.hpp"
#include "tests/cpp/weights.hpp"

namespace {

using atnat::decode::MaskPredictSampler;
using atnat::decode::PixelSampling;
using atnat::io::WeightFile;
using atnat::models::PixNAT;
using atnat::models::PixNATState;
using nlohmann::json;
using Bytes = std::vector<uint8_t>;

const std::string kRoot = ATNAT_SOURCE_DIR;

Bytes read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// ---- in-memory atnat-1 files: tests/cpp/weights.hpp ---------------------------------------------------
using atnat::test::Lcg;
using atnat::test::TensorSpec;
using atnat::test::write_weights;

struct TinyConfig {
    int levels = 16, channels = 8, n_classes = 10, height = 9, width = 7;
    std::vector<int> dilations{1, 2, 4, 8, 3};
};

json config_json(const TinyConfig& c) {
    return {{"levels", c.levels},       {"channels", c.channels}, {"dilations", c.dilations},
            {"n_classes", c.n_classes}, {"height", c.height},     {"width", c.width}};
}

std::vector<TensorSpec> tiny_tensors(const TinyConfig& c, uint64_t seed = 1) {
    Lcg rng{seed};
    const size_t C = c.channels, L = c.levels, K = c.n_classes, P = size_t(c.height) * c.width;
    std::vector<TensorSpec> t;
    auto f32 = [&](const std::string& name, std::vector<size_t> shape, float lo, float hi) {
        size_t n = 1;
        for (size_t d : shape) n *= d;
        TensorSpec s{name, shape, std::vector<float>(n)};
        for (auto& v : s.f32) v = rng.uniform(lo, hi);
        t.push_back(std::move(s));
    };
    const float a = 1.f / std::sqrt(float(C));
    f32("tok_emb", {L + 1, C}, -1.f, 1.f);
    f32("pos_emb", {P, C}, -0.3f, 0.3f);
    for (size_t i = 0; i < c.dilations.size(); ++i) {
        const std::string p = "blocks." + std::to_string(i) + ".";
        f32(p + "norm.weight", {C}, 0.7f, 1.3f);
        f32(p + "norm.bias", {C}, -0.2f, 0.2f);
        f32(p + "conv.weight", {3, 3, C, C}, -a / 1.5f, a / 1.5f);
        f32(p + "conv.bias", {C}, -0.1f, 0.1f);
        f32(p + "class_emb", {K, C}, -0.5f, 0.5f);
        f32(p + "proj.weight", {C, C}, -a, a);
        f32(p + "proj.bias", {C}, -0.1f, 0.1f);
    }
    f32("norm_out.weight", {C}, 0.7f, 1.3f);
    f32("norm_out.bias", {C}, -0.2f, 0.2f);
    f32("head.weight", {L, C}, -2.f * a, 2.f * a);
    f32("head.bias", {L}, -0.5f, 0.5f);
    return t;
}

atnat::Result<PixNAT> load_bytes(const Bytes& bytes) {
    auto wf = WeightFile::parse(bytes);
    if (!wf) return atnat::make_error("parse: " + wf.error());
    return PixNAT::load(*wf);
}

PixNAT tiny_model(const TinyConfig& c, uint64_t seed = 1) {
    auto m = load_bytes(write_weights("pixnat", config_json(c), tiny_tensors(c, seed)));
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error());
    return std::move(*m);
}

// model.py PixNAT.forward with plain loops (double accumulation): logits [P, L].
std::vector<double> reference_forward(const TinyConfig& c, const std::vector<TensorSpec>& t,
                                      const std::vector<uint8_t>& tokens, int cls) {
    auto get = [&](const std::string& name) -> const std::vector<float>& {
        for (const auto& s : t)
            if (s.name == name) return s.f32;
        ADD_FAILURE() << name;
        return t[0].f32;
    };
    const int H = c.height, W = c.width, C = c.channels, L = c.levels, P = H * W;
    std::vector<double> h(size_t(P) * C), z(h.size()), y(h.size());
    auto layernorm = [&](const std::vector<double>& in, std::vector<double>& out, const std::vector<float>& w,
                         const std::vector<float>& b) {
        for (int p = 0; p < P; ++p) {
            double mean = 0, var = 0;
            for (int i = 0; i < C; ++i) mean += in[size_t(p * C + i)];
            mean /= C;
            for (int i = 0; i < C; ++i)
                var += (in[size_t(p * C + i)] - mean) * (in[size_t(p * C + i)] - mean);
            var /= C;
            for (int i = 0; i < C; ++i)
                out[size_t(p * C + i)] =
                    (in[size_t(p * C + i)] - mean) / std::sqrt(var + 1e-5) * w[size_t(i)] + b[size_t(i)];
        }
    };
    const auto& te = get("tok_emb");
    const auto& pe = get("pos_emb");
    for (int p = 0; p < P; ++p)
        for (int i = 0; i < C; ++i)
            h[size_t(p * C + i)] = double(te[size_t(tokens[size_t(p)] * C + i)]) + pe[size_t(p * C + i)];
    for (size_t bi = 0; bi < c.dilations.size(); ++bi) {
        const std::string pre = "blocks." + std::to_string(bi) + ".";
        const int d = c.dilations[bi];
        layernorm(h, z, get(pre + "norm.weight"), get(pre + "norm.bias"));
        const auto& cw = get(pre + "conv.weight");  // [3, 3, C_out, C_in]
        const auto& cb = get(pre + "conv.bias");
        const auto& ce = get(pre + "class_emb");
        for (int oy = 0; oy < H; ++oy)
            for (int ox = 0; ox < W; ++ox)
                for (int o = 0; o < C; ++o) {
                    double acc = double(cb[size_t(o)]) + ce[size_t(cls * C + o)];
                    for (int ky = 0; ky < 3; ++ky)
                        for (int kx = 0; kx < 3; ++kx) {
                            const int iy = oy - d + d * ky, ix = ox - d + d * kx;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            for (int i = 0; i < C; ++i)
                                acc += double(cw[size_t(((ky * 3 + kx) * C + o) * C + i)]) *
                                       z[size_t((iy * W + ix) * C + i)];
                        }
                    y[size_t((oy * W + ox) * C + o)] = acc * 0.5 * (1 + std::erf(acc / std::sqrt(2.0)));
                }
        const auto& pw = get(pre + "proj.weight");
        const auto& pb = get(pre + "proj.bias");
        for (int p = 0; p < P; ++p)
            for (int o = 0; o < C; ++o) {
                double acc = pb[size_t(o)];
                for (int i = 0; i < C; ++i) acc += double(pw[size_t(o * C + i)]) * y[size_t(p * C + i)];
                h[size_t(p * C + o)] += acc;
            }
    }
    layernorm(h, z, get("norm_out.weight"), get("norm_out.bias"));
    const auto& hw = get("head.weight");
    const auto& hb = get("head.bias");
    std::vector<double> logits(size_t(P) * L);
    for (int p = 0; p < P; ++p)
        for (int l = 0; l < L; ++l) {
            double acc = hb[size_t(l)];
            for (int i = 0; i < C; ++i) acc += double(hw[size_t(l * C + i)]) * z[size_t(p * C + i)];
            logits[size_t(p * L + l)] = acc;
        }
    return logits;
}

// ---- the trained model against PyTorch ---------------------------------------------------------------

struct Golden {
    json fixture;
    PixNAT model;
};

// nullptr (and the golden tests skip) until models/pixnat/export.py has written the fixture.
// $ATNAT_PIXNAT_GOLDEN points at another fixture (its "weights" absolute or relative to the repository).
const Golden* golden() {
    static const Golden* g = []() -> const Golden* {
        const char* env = std::getenv("ATNAT_PIXNAT_GOLDEN");
        const Bytes fb = read_bytes(env ? env : kRoot + "/tests/fixtures/pixnat-golden.json");
        if (fb.empty()) return nullptr;
        json j = json::parse(fb.begin(), fb.end(), nullptr, false);
        if (j.is_discarded()) {
            ADD_FAILURE() << "pixnat-golden.json is not JSON";
            return nullptr;
        }
        const std::string weights = j["weights"].get<std::string>();
        auto m = load_bytes(read_bytes(weights.front() == '/' ? weights : kRoot + "/" + weights));
        if (!m) {
            ADD_FAILURE() << m.error();
            return nullptr;
        }
        return new Golden{std::move(j), std::move(*m)};
    }();
    return g;
}

#define REQUIRE_GOLDEN()        \
    const Golden* g = golden(); \
    if (!g) GTEST_SKIP() << "tests/fixtures/pixnat-golden.json not written yet (export.py)"

TEST(PixNATGolden, LogitsMatchPyTorch) {
    REQUIRE_GOLDEN();
    const auto& cfg = g->model.config();
    const size_t W = cfg.width, L = cfg.levels;
    const auto tokens = g->fixture["input"]["tokens_row_major"].get<std::vector<uint8_t>>();
    ASSERT_EQ(tokens.size(), size_t(cfg.height) * W);
    PixNATState s(g->model);
    ASSERT_TRUE(s.set_class(g->fixture["input"]["class"].get<int>()));
    s.forward(tokens.data());
    const float tol = g->fixture["tolerance_logits_abs"].get<float>();
    double worst = 0;
    for (const auto& at : g->fixture["logits_at"]) {
        const size_t y = at["y"], x = at["x"];
        const auto want = at["logits"].get<std::vector<float>>();
        ASSERT_EQ(want.size(), L);
        for (size_t l = 0; l < L; ++l) {
            const double d = std::fabs(double(s.logits()[(y * W + x) * L + l]) - want[l]);
            worst = std::max(worst, d);
            EXPECT_LE(d, tol) << "y " << y << " x " << x << " level " << l;
        }
    }
    std::printf("[ info ] pixnat golden: max |logit - PyTorch| = %.3g\n", worst);
    const auto argmax = g->fixture["argmax_row_major"].get<std::vector<int>>();
    size_t wrong = 0;
    for (size_t p = 0; p < tokens.size(); ++p)
        wrong += int(atnat::ops::argmax(s.logits() + p * L, L)) != argmax[p];
    EXPECT_EQ(wrong, 0u) << "argmax differs from PyTorch at " << wrong << " pixels";
}

TEST(PixNATGolden, MaskSchedulesMatchPython) {
    REQUIRE_GOLDEN();
    const size_t P = size_t(g->model.config().height) * g->model.config().width;
    for (const auto& [k, sched] : g->fixture["mask_schedules"].items()) {
        EXPECT_EQ(atnat::decode::mask_schedule(std::stoi(k), P), sched.get<std::vector<size_t>>())
            << "K = " << k;
    }
}

TEST(PixNATGolden, GreedySampleMatchesPyTorchStepByStep) {
    REQUIRE_GOLDEN();
    const auto& gs = g->fixture["greedy_sample"];
    PixelSampling s;
    s.cls = gs["class"];
    s.greedy = true;
    auto r = MaskPredictSampler::create(g->model, gs["K"].get<int>(), s, 0.f);
    ASSERT_TRUE(r.ok()) << r.error();
    for (const auto& st : gs["steps"]) {
        const auto event = r->step();
        ASSERT_TRUE(event.ok()) << event.error();
        const auto& step = event->pass;
        EXPECT_EQ(step.step, st["k"].get<int>());
        EXPECT_EQ(step.revealed, st["unmasked_now"].size());
        EXPECT_EQ(r->tokens_vector(), st["tokens_after_row_major"].get<std::vector<uint8_t>>())
            << "step " << step.step << " (boundary confidence gap " << st["boundary_conf_gap"].dump() << ")";
    }
    EXPECT_TRUE(r->done());
    EXPECT_EQ(r->tokens_vector(), gs["levels_row_major"].get<std::vector<uint8_t>>());
}

// ---- tiny models -----------------------------------------------------------------------------------

TEST(PixNATTiny, ForwardMatchesScalarReference) {
    std::vector<TinyConfig> cs(3);
    cs[1].height = 5, cs[1].width = 13, cs[1].dilations = {16, 1, 5}, cs[1].levels = 2;
    cs[2].height = 28, cs[2].width = 28, cs[2].channels = 12, cs[2].dilations = {1, 2, 4, 8, 1, 2, 4, 8};
    for (size_t ci = 0; ci < cs.size(); ++ci) {
        const TinyConfig& c = cs[ci];
        const auto tensors = tiny_tensors(c, 30 + ci);
        auto m = load_bytes(write_weights("pixnat", config_json(c), tensors));
        ASSERT_TRUE(m.ok()) << m.error();
        const size_t P = size_t(c.height) * c.width, L = c.levels;
        Lcg rng{ci + 5};
        std::vector<uint8_t> tokens(P);
        for (auto& t : tokens) t = uint8_t(std::min<float>(float(L), rng.uniform(0.f, float(L + 1))));
        PixNATState s(*m);
        ASSERT_TRUE(s.set_class(c.n_classes - 1));
        s.forward(tokens.data());
        const auto ref = reference_forward(c, tensors, tokens, c.n_classes - 1);
        double worst = 0;
        for (size_t i = 0; i < P * L; ++i) worst = std::max(worst, std::fabs(ref[i] - double(s.logits()[i])));
        EXPECT_LT(worst, 2e-5) << "config " << ci;
    }
}

TEST(PixNATTiny, MaskScheduleShape) {
    for (int K = 1; K <= atnat::decode::kMaxMaskSteps; ++K) {
        const auto n = atnat::decode::mask_schedule(K, 784);
        ASSERT_EQ(n.size(), size_t(K) + 1);
        EXPECT_EQ(n.front(), 784u);
        EXPECT_EQ(n.back(), 0u);
        for (int k = 1; k <= K; ++k) EXPECT_LE(n[size_t(k)], n[size_t(k) - 1]);
    }
    EXPECT_EQ(atnat::decode::mask_schedule(2, 784),
              (std::vector<size_t>{784, 554, 0}));  // floor(784 cos(pi/4))
    EXPECT_EQ(atnat::decode::mask_schedule(4, 784), (std::vector<size_t>{784, 724, 554, 300, 0}));
}

TEST(PixNATSampler, RevealsOnScheduleAndNeverRevisits) {
    const TinyConfig c;
    PixNAT m = tiny_model(c);
    const size_t P = size_t(c.height) * c.width;
    for (int K : {1, 3, 8, 16}) {
        for (float gumbel : {0.f, 4.5f}) {
            auto r = MaskPredictSampler::create(m, K, PixelSampling{4, 11, 0, 1.f, false}, gumbel);
            ASSERT_TRUE(r.ok()) << r.error();
            EXPECT_EQ(r->mask_token(), c.levels);
            std::vector<uint8_t> before = r->tokens_vector();
            EXPECT_EQ(std::count(before.begin(), before.end(), uint8_t(c.levels)), std::ptrdiff_t(P));
            while (!r->done()) {
                const auto event = r->step();
                ASSERT_TRUE(event.ok()) << event.error();
                const auto& st = event->pass;
                const auto& now = r->tokens_vector();
                const auto& sched = r->schedule();
                EXPECT_EQ(st.still_masked, sched[size_t(st.step)]);
                EXPECT_EQ(st.revealed, sched[size_t(st.step) - 1] - sched[size_t(st.step)]);
                size_t revealed = 0;
                for (size_t p = 0; p < P; ++p) {
                    if (before[p] != c.levels) {
                        ASSERT_EQ(now[p], before[p]) << "pixel " << p << " revisited";
                    } else if (now[p] != c.levels) {
                        ++revealed;
                        EXPECT_EQ(r->revealed_at()[p], st.step);
                    }
                }
                EXPECT_EQ(revealed, st.revealed);
                before = now;
            }
            EXPECT_EQ(std::count(before.begin(), before.end(), uint8_t(c.levels)), 0) << "K " << K;
            EXPECT_EQ(r->stats().forward_passes, uint64_t(K));
            EXPECT_FALSE(r->step().ok()) << "a finished sampler does nothing";
            EXPECT_EQ(r->tokens_vector(), before);
        }
    }
}

TEST(PixNATSampler, DeterministicPerSeed) {
    const TinyConfig c;
    PixNAT m = tiny_model(c);
    auto run = [&](uint64_t seed, float T, bool greedy, float gumbel, int K = 4) {
        return atnat::decode::run_mask_predict(m, K, PixelSampling{7, seed, 0, T, greedy}, gumbel)->image;
    };
    const auto a = run(1, 1.f, false, 0.f);
    EXPECT_EQ(a, run(1, 1.f, false, 0.f));
    EXPECT_NE(a, run(2, 1.f, false, 0.f));
    EXPECT_NE(a, run(1, 1.f, false, 4.5f));
    EXPECT_NE(a, run(1, 0.5f, false, 0.f));
    EXPECT_EQ(run(1, 1.f, true, 0.f), run(99, 1.f, true, 0.f)) << "greedy without noise uses no randomness";
    std::vector<int> seen(c.levels, 0);
    for (uint8_t v : a) seen[v] = 1;
    EXPECT_GE(std::count(seen.begin(), seen.end(), 1), 4);
    // K = 1: one pass, every pixel its own draw from the all-MASK logits
    PixNATState s(m);
    s.set_class(7);
    const std::vector<uint8_t> all_mask(size_t(c.height) * c.width, uint8_t(c.levels));
    s.forward(all_mask.data());
    const auto one = run(5, 1.f, false, 0.f, 1);
    auto picker = atnat::decode::level_picker(PixelSampling{7, 5, 0, 1.f, false}, c.levels, c.n_classes);
    ASSERT_TRUE(picker.ok()) << picker.error();
    for (size_t p = 0; p < all_mask.size(); ++p) {
        const size_t want = size_t(picker->pick({s.logits() + p * c.levels, size_t(c.levels)}).id);
        ASSERT_EQ(one[p], want) << "pixel " << p;
    }
}

TEST(PixNATSampler, ImpossibleSettingsAreClearErrors) {
    const TinyConfig c;
    PixNAT m = tiny_model(c);
    auto err = [&](int K, PixelSampling s, float gumbel = 0.f) {
        auto r = MaskPredictSampler::create(m, K, s, gumbel);
        return r.ok() ? std::string() : r.error();
    };
    const PixelSampling ok{7, 1, 0, 1.f, false};
    EXPECT_EQ(err(1, ok), "");
    EXPECT_EQ(err(16, ok), "");
    EXPECT_NE(err(0, ok).find("steps 0 is outside [1, 16]"), std::string::npos);
    EXPECT_NE(err(100, ok).find("steps 100 is outside [1, 16]"), std::string::npos);
    EXPECT_NE(err(-3, ok).find("steps -3"), std::string::npos);
    EXPECT_NE(err(8, PixelSampling{11, 1, 0, 1.f, false}).find("class 11 is outside [0, 9]"),
              std::string::npos);
    EXPECT_NE(err(8, PixelSampling{0, 1, 0, 0.f, false}).find("temperature"), std::string::npos);
    EXPECT_NE(err(8, PixelSampling{0, 1, 0, -2.f, false}).find("temperature"), std::string::npos);
    EXPECT_NE(err(8, ok, -1.f).find("gumbel"), std::string::npos);
    EXPECT_NE(err(8, ok, NAN).find("gumbel"), std::string::npos);
}

// One memory budget per request (core/decode/budget.hpp): a large image size is refused before anything
// is allocated, with an error naming the size and the bytes; a limit of the exact need is enough.
TEST(PixNATSampler, AnImageOverItsMemoryBudgetIsRefusedNamingItsSizeAndBytes) {
    TinyConfig c;  // 8 channels, 16 levels, dilations 1, 2, 4, 8, 3
    c.height = c.width = 256;
    PixNAT m = tiny_model(c);
    const uint64_t P = 256 * 256;
    // conv biases, ids, h z t, two sub-grids of the dilation-2 blocks (128 x 128 x C), logits; then the
    // sampler's tokens, revealed_at, choice (bytes), conf (double), order (uint32) per pixel
    const uint64_t need = m.byte_size() + 4 * (5 * 8 + P + 3 * P * 8 + 2 * 128 * 128 * 8 + P * 16) + 15 * P;
    const uint32_t mib = uint32_t((need + (1 << 20) - 1) >> 20);
    auto refused = MaskPredictSampler::create(m, 4, PixelSampling{}, std::nullopt, mib - 1);
    ASSERT_FALSE(refused.ok());
    for (const std::string& part : {"this request needs " + std::to_string(need) + " bytes",
                                    "more than max_memory = " + std::to_string(mib - 1) + " MiB",
                                    std::string("image buffers (height 256 x width 256, 8 channels)")})
        EXPECT_NE(refused.error().find(part), std::string::npos) << part << " in: " << refused.error();
    EXPECT_TRUE(MaskPredictSampler::create(m, 4, PixelSampling{}, std::nullopt, mib).ok());
}

std::string load_error(const std::vector<TensorSpec>& t, const std::string& arch, const json& cfg) {
    auto m = load_bytes(write_weights(arch, cfg, t));
    return m.ok() ? std::string() : m.error();
}

TEST(PixNATLoad, RejectsBadConfigsAndTensors) {
    const TinyConfig c;
    const auto t = tiny_tensors(c);
    EXPECT_EQ(load_error(t, "pixnat", config_json(c)), "");
    EXPECT_NE(load_error(t, "pixelcnn", config_json(c)).find("arch is 'pixelcnn'"), std::string::npos);
    struct Case {
        const char* key;
        json value;
        const char* message;
    };
    const Case cases[] = {
        {"levels", 256, "'levels' = 256 is outside [2, 255]"},
        {"channels", 0, "'channels'"},
        {"dilations", json::array(), "'dilations'"},
        {"dilations", "1,2", "'dilations'"},
        {"dilations", json::array({1, 0, 4, 8, 3}), "'dilations': 0"},
        {"blocks", 4, "'blocks' = 4"},
        {"mask_id", 0, "'mask_id' = 0"},
        {"kernel", 5, "'kernel' = 5"},
        {"layernorm_eps", 1.0, "'layernorm_eps'"},
        {"height", -1, "'height'"},
    };
    for (const auto& k : cases) {
        json cfg = config_json(c);
        cfg[k.key] = k.value;
        const std::string e = load_error(t, "pixnat", cfg);
        EXPECT_NE(e.find(k.message), std::string::npos) << k.key << ": " << e;
    }
    // the keys export.py writes are accepted
    json cfg = config_json(c);
    cfg["blocks"] = c.dilations.size();
    cfg["mask_id"] = c.levels;
    cfg["kernel"] = 3;
    cfg["layernorm_eps"] = 1e-5;
    cfg["default_gumbel_temp"] = 2.0;
    auto m = load_bytes(write_weights("pixnat", cfg, t));
    ASSERT_TRUE(m.ok()) << m.error();
    EXPECT_EQ(m->config().default_gumbel_temp, 2.f);
    EXPECT_EQ(MaskPredictSampler::create(*m, 4, PixelSampling{})->gumbel_temp(), 2.f);

    auto edited = [&](const std::string& name, std::vector<size_t> shape) {
        auto tt = t;
        for (auto& s : tt)
            if (s.name == name) s.shape = shape;
        return load_error(tt, "pixnat", config_json(c));
    };
    std::string e = edited("blocks.3.conv.weight", {3, 3, 8, 4});
    EXPECT_NE(e.find("blocks.3.conv.weight"), std::string::npos) << e;
    e = edited("pos_emb", {7, 9, 8});
    EXPECT_NE(e.find("pos_emb"), std::string::npos) << e;
    auto tt = t;
    tt.pop_back();  // head.bias
    e = load_error(tt, "pixnat", config_json(c));
    EXPECT_NE(e.find("head.bias"), std::string::npos) << e;
    json more = config_json(c);
    more["dilations"] = {1, 2, 4, 8, 3, 1};  // a sixth block whose tensors are missing
    e = load_error(t, "pixnat", more);
    EXPECT_NE(e.find("blocks.5."), std::string::npos) << e;
}

}  // namespace

namespace {

uint64_t fnv1a(const std::vector<uint8_t>& v) {
    uint64_t h = 1469598103934665603ull;
    for (uint8_t b : v) h = (h ^ b) * 1099511628211ull;
    return h;
}

// The same seed gives the same image natively and in wasm (see the PixelCNN test of the same name); with
// Gumbel noise, so the double-precision confidence path is pinned too.
TEST(PixNATSampler, PinnedSampleIsTheSameOnEveryPlatform) {
    const TinyConfig c;
    PixNAT m = tiny_model(c);
    auto r = atnat::decode::run_mask_predict(m, 4, PixelSampling{7, 1, 0, 1.f, false}, 4.5f);
    ASSERT_TRUE(r.ok());
    std::string levels;
    for (uint8_t v : r->image) levels += std::to_string(v) + " ";
    EXPECT_EQ(fnv1a(r->image), 7869800468170138906ull) << "levels: " << levels;
}

}  // namespace
