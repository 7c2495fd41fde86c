// Tests of the Gated PixelCNN (core/models/pixelcnn) and its raster samplers (core/decode/pixels):
//  - the trained model against the PyTorch golden fixture (tests/fixtures/pixelcnn-golden.json, written by
//    models/pixelcnn/export.py): logits at 5 positions within 1e-4, the argmax at all 784, the greedy image;
//  - tiny random-weight models built in memory (several shapes): cached logits == full-forward logits bit
//    for bit, causality, naive == cached samples for several seeds / classes / temperatures;
//  - the loader's checks (arch, config ranges, names, shapes, dtypes, masks) and the sampling settings.
#include "core/models/pixelcnn.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/decode/pixels.hpp"
#include "core/decode/request.hpp"
#include "core/ops/ops.hpp"
#include "tests/cpp/weights.hpp"

namespace {

using atnat::decode::PixelSampling;
using atnat::decode::RasterMethod;
using atnat::decode::RasterSampler;
using atnat::io::WeightFile;
using atnat::models::PixelCNN;
using atnat::models::PixelCNNState;
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
    int levels = 16, channels = 8, layers = 3, first_kernel = 5, head_channels = 12, n_classes = 10,
        height = 9, width = 7;
    int input_channels = 1;  // 3: the level plus the pixel's coordinates
    float head_scale = 3.f;  // spreads the logits so samples are not all one level
};

json config_json(const TinyConfig& c) {
    return {{"levels", c.levels},
            {"channels", c.channels},
            {"layers", c.layers},
            {"first_kernel", c.first_kernel},
            {"head_channels", c.head_channels},
            {"n_classes", c.n_classes},
            {"height", c.height},
            {"width", c.width},
            {"input_channels", c.input_channels}};
}

// The tensors export.py writes, random weights (masked taps zeroed like export.py does).
std::vector<TensorSpec> tiny_tensors(const TinyConfig& c, uint64_t seed = 1) {
    Lcg rng{seed};
    const size_t C = c.channels, C2 = 2 * C, Ch = c.head_channels, L = c.levels, K = c.n_classes;
    const size_t k0 = c.first_kernel, r = k0 / 2;
    std::vector<TensorSpec> t;
    auto f32 = [&](const std::string& name, std::vector<size_t> shape, float scale) {
        size_t n = 1;
        for (size_t d : shape) n *= d;
        TensorSpec s{name, shape, std::vector<float>(n)};
        for (auto& v : s.f32) v = rng.uniform(-scale, scale);
        t.push_back(std::move(s));
    };
    for (size_t i = 0; i < size_t(c.layers); ++i) {
        const std::string p = "layers." + std::to_string(i) + ".";
        const size_t Cx = c.input_channels, cin = i == 0 ? Cx : C;
        const float s = i == 0 ? 0.6f : 1.f / std::sqrt(float(cin * 4));
        f32(p + "v_conv.weight",
            i == 0 ? std::vector<size_t>{r + 1, k0, C2, Cx} : std::vector<size_t>{2, 3, C2, C}, s);
        if (i == 0) {  // masked taps stored as 0 (the last kernel row)
            auto& w = t.back().f32;
            std::fill(w.begin() + r * k0 * C2 * Cx, w.end(), 0.f);
        }
        f32(p + "v_conv.bias", {C2}, 0.2f);
        f32(p + "h_conv.weight",
            i == 0 ? std::vector<size_t>{1, r + 1, C2, Cx} : std::vector<size_t>{1, 2, C2, C}, s);
        if (i == 0) {
            auto& w = t.back().f32;
            std::fill(w.begin() + r * C2 * Cx, w.end(), 0.f);
        }
        f32(p + "h_conv.bias", {C2}, 0.2f);
        if (i == 0) {
            TensorSpec vm{p + "v_conv.mask", {r + 1, k0}, {}, "U8", std::vector<uint8_t>((r + 1) * k0, 1)};
            std::fill(vm.u8.begin() + r * k0, vm.u8.end(), 0);
            TensorSpec hm{p + "h_conv.mask", {1, r + 1}, {}, "U8", std::vector<uint8_t>(r + 1, 1)};
            hm.u8[r] = 0;
            t.push_back(vm);
            t.push_back(hm);
        }
        f32(p + "v2h.weight", {C2, C2}, 1.f / std::sqrt(float(C2)));
        f32(p + "v2h.bias", {C2}, 0.1f);
        f32(p + "h_out.weight", {C, C}, 1.f / std::sqrt(float(C)));
        f32(p + "h_out.bias", {C}, 0.1f);
        f32(p + "v_class", {K, C2}, 0.5f);
        f32(p + "h_class", {K, C2}, 0.5f);
    }
    f32("head.0.weight", {Ch, C}, 1.f / std::sqrt(float(C)));
    f32("head.0.bias", {Ch}, 0.1f);
    f32("head.1.weight", {L, Ch}, c.head_scale / std::sqrt(float(Ch)));
    f32("head.1.bias", {L}, 0.5f);
    return t;
}

atnat::Result<PixelCNN> load_bytes(const Bytes& bytes) {
    auto wf = WeightFile::parse(bytes);
    if (!wf) return atnat::make_error("parse: " + wf.error());
    return PixelCNN::load(*wf);
}

PixelCNN tiny_model(const TinyConfig& c, uint64_t seed = 1) {
    auto m = load_bytes(write_weights("pixelcnn", config_json(c), tiny_tensors(c, seed)));
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error());
    return std::move(*m);
}

std::vector<uint8_t> random_image(size_t n, size_t L, uint64_t seed) {
    Lcg rng{seed};
    std::vector<uint8_t> img(n);
    for (auto& v : img) v = uint8_t(std::min<float>(float(L - 1), rng.uniform(0.f, float(L))));
    return img;
}

const std::vector<TinyConfig>& tiny_configs() {
    static const std::vector<TinyConfig> cs = [] {
        std::vector<TinyConfig> v(7);
        v[1].levels = 2, v[1].first_kernel = 3, v[1].layers = 1, v[1].height = 5, v[1].width = 11;
        v[2].first_kernel = 7, v[2].layers = 4, v[2].channels = 5, v[2].head_channels = 3, v[2].height = 1;
        v[3].width = 1, v[3].height = 6, v[3].levels = 256, v[3].n_classes = 3;
        v[4].channels = 16, v[4].layers = 5, v[4].height = 12, v[4].width = 12, v[4].levels = 7;
        v[5].input_channels = 3;
        v[6] = v[4], v[6].input_channels = 3, v[6].first_kernel = 3;
        return v;
    }();
    return cs;
}

// ---- the trained model against PyTorch ---------------------------------------------------------------

struct Golden {
    json fixture;
    PixelCNN model;
};

const Golden* golden() {
    static const Golden* g = []() -> const Golden* {
        const Bytes fb = read_bytes(kRoot + "/tests/fixtures/pixelcnn-golden.json");
        json j = json::parse(fb.begin(), fb.end(), nullptr, false);
        if (j.is_discarded()) return nullptr;
        auto m = load_bytes(read_bytes(kRoot + "/" + j["weights"].get<std::string>()));
        if (!m) {
            ADD_FAILURE() << m.error();
            return nullptr;
        }
        return new Golden{std::move(j), std::move(*m)};
    }();
    return g;
}

TEST(PixelCNNGolden, LogitsMatchPyTorch) {
    const Golden* g = golden();
    ASSERT_NE(g, nullptr) << "tests/fixtures/pixelcnn-golden.json or its weights are missing";
    const auto& cfg = g->model.config();
    const size_t W = cfg.width, L = cfg.levels;
    const auto img = g->fixture["input"]["levels_row_major"].get<std::vector<uint8_t>>();
    ASSERT_EQ(img.size(), size_t(cfg.height) * W);
    PixelCNNState s(g->model);
    ASSERT_TRUE(s.set_class(g->fixture["input"]["class"].get<int>()));
    s.forward(img.data());
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
    RecordProperty("max_abs_logit_error", std::to_string(worst));
    std::printf("[ info ] PixelCNN golden: max |logit - PyTorch| = %.3g\n", worst);

    // argmax at every pixel, and the cached path's logits equal the full forward's bit for bit
    const auto argmax = g->fixture["argmax_row_major"].get<std::vector<int>>();
    size_t wrong = 0, differ = 0;
    std::vector<float> full(s.logits(), s.logits() + img.size() * L);
    for (size_t p = 0; p < img.size(); ++p) wrong += int(atnat::ops::argmax(&full[p * L], L)) != argmax[p];
    for (size_t y = 0; y < size_t(cfg.height); ++y) {
        s.begin_row(img.data(), y);
        for (size_t x = 0; x < W; ++x) {
            const float* lg = s.pixel_logits(img.data(), y, x);
            differ += std::memcmp(lg, &full[(y * W + x) * L], L * sizeof(float)) != 0;
        }
    }
    EXPECT_EQ(wrong, 0u) << "argmax differs from PyTorch at " << wrong << " pixels";
    EXPECT_EQ(differ, 0u) << "cached logits differ from the full forward at " << differ << " pixels";
}

TEST(PixelCNNGolden, GreedyImageMatchesPyTorch) {
    const Golden* g = golden();
    ASSERT_NE(g, nullptr);
    const auto& gs = g->fixture["greedy_sample"];
    PixelSampling s;
    s.cls = gs["class"];
    s.greedy = true;
    auto r = atnat::decode::run_raster(g->model, RasterMethod::cached, s);
    ASSERT_TRUE(r.ok()) << r.error();
    const auto want = gs["levels_row_major"].get<std::vector<uint8_t>>();
    EXPECT_EQ(r->image, want);
    EXPECT_EQ(r->stats.pixel_updates, want.size());
    EXPECT_EQ(r->stats.row_updates, size_t(g->model.config().height));
    EXPECT_EQ(r->stats.forward_passes, 0u);
}

// The first rows of one image sampled both ways on the trained model (a full forward per pixel for the naive
// one: the whole image would take H*W forwards; the speed comparison lives in bench/ and `atnat sample`).
TEST(PixelCNNGolden, NaiveEqualsCachedOnTrainedModel) {
    const Golden* g = golden();
    ASSERT_NE(g, nullptr);
    const PixelSampling s{7, 1, 0, 1.f, false};
    auto naive = RasterSampler::create(g->model, RasterMethod::naive, s);
    auto cached = RasterSampler::create(g->model, RasterMethod::cached, s);
    ASSERT_TRUE(naive.ok() && cached.ok());
    const size_t n = 4 * g->model.config().width;
    naive->sample(n);
    cached->sample(n);
    EXPECT_EQ(naive->stats().forward_passes, n);
    EXPECT_EQ(cached->stats().pixel_updates, n);
    EXPECT_EQ(std::memcmp(naive->image(), cached->image(), n), 0);
    EXPECT_EQ(
        std::memcmp(naive->last_logits(), cached->last_logits(), g->model.config().levels * sizeof(float)),
        0);
    while (!cached->done()) cached->sample_row();
    size_t nonzero = 0;
    for (uint8_t v : cached->image_vector()) nonzero += v != 0;
    EXPECT_GT(nonzero, 50u) << "a class-7 (sneaker) sample should not be blank";
    std::printf("[ info ] trained model: naive %.2f ms/pixel, cached %.3f ms/pixel\n",
                naive->stats().ms / double(n), cached->stats().ms / double(cached->stats().pixel_updates));
}

// ---- tiny models: exactness and causality -------------------------------------------------------------

TEST(PixelCNNTiny, CachedLogitsEqualFullForwardBitForBit) {
    for (size_t ci = 0; ci < tiny_configs().size(); ++ci) {
        const TinyConfig& c = tiny_configs()[ci];
        PixelCNN m = tiny_model(c, 10 + ci);
        PixelCNNState s(m);
        ASSERT_TRUE(s.set_class(c.n_classes - 1));
        const size_t H = c.height, W = c.width, L = c.levels;
        const auto img = random_image(H * W, L, 77 + ci);
        s.forward(img.data());
        const std::vector<float> full(s.logits(), s.logits() + H * W * L);
        for (size_t y = 0; y < H; ++y) {
            s.begin_row(img.data(), y);
            for (size_t x = 0; x < W; ++x) {
                const float* lg = s.pixel_logits(img.data(), y, x);
                ASSERT_EQ(std::memcmp(lg, &full[(y * W + x) * L], L * sizeof(float)), 0)
                    << "config " << ci << " y " << y << " x " << x;
            }
        }
    }
}

// The logits of pixel p depend only on pixels before p in raster order (and do depend on them).
TEST(PixelCNNTiny, IsCausal) {
    const TinyConfig c;
    PixelCNN m = tiny_model(c);
    PixelCNNState s(m);
    const size_t H = c.height, W = c.width, L = c.levels, P = H * W;
    const auto img = random_image(P, L, 3);
    s.forward(img.data());
    const std::vector<float> base(s.logits(), s.logits() + P * L);
    for (size_t q : {size_t(0), size_t(5), size_t(30), P - 1}) {  // change pixel q
        auto img2 = img;
        img2[q] = uint8_t((img2[q] + 5) % L);
        s.forward(img2.data());
        for (size_t p = 0; p <= q; ++p) {
            ASSERT_EQ(std::memcmp(s.logits() + p * L, &base[p * L], L * sizeof(float)), 0)
                << "pixel " << p << " saw pixel " << q;
        }
        if (q + 1 < P) {
            EXPECT_NE(std::memcmp(s.logits() + (q + 1) * L, &base[(q + 1) * L], L * sizeof(float)), 0);
        }
    }
}

// With the coordinate channels the model knows where a pixel is: on a blank canvas two interior pixels of
// one row get different logits. Without them (a position-blind model) they get the same, bit for bit.
TEST(PixelCNNTiny, CoordinateChannelsMakeLogitsDependOnPosition) {
    for (int channels : {1, 3}) {
        TinyConfig c;
        c.width = 15, c.input_channels = channels;
        PixelCNN m = tiny_model(c);
        PixelCNNState s(m);
        const std::vector<uint8_t> blank(size_t(c.height) * c.width, 0);
        s.forward(blank.data());
        const size_t L = c.levels, row = size_t(c.height - 1) * c.width;
        const bool same =
            std::memcmp(s.logits() + (row + 6) * L, s.logits() + (row + 8) * L, L * sizeof(float)) == 0;
        EXPECT_EQ(same, channels == 1) << "input_channels " << channels;
    }
}

TEST(PixelCNNTiny, ClassChangesLogits) {
    const TinyConfig c;
    PixelCNN m = tiny_model(c);
    PixelCNNState s(m);
    const auto img = random_image(size_t(c.height) * c.width, c.levels, 4);
    s.forward(img.data());
    const std::vector<float> a(s.logits(), s.logits() + img.size() * c.levels);
    ASSERT_TRUE(s.set_class(3));
    s.forward(img.data());
    EXPECT_NE(std::memcmp(s.logits(), a.data(), a.size() * sizeof(float)), 0);
}

// ---- samplers -----------------------------------------------------------------------------------------

TEST(PixelCNNSampler, NaiveEqualsCachedForSeedsClassesTemperatures) {
    for (size_t ci = 0; ci < tiny_configs().size(); ++ci) {
        const TinyConfig& c = tiny_configs()[ci];
        PixelCNN m = tiny_model(c, 20 + ci);
        for (uint64_t seed : {1ull, 2ull, 12345ull}) {
            for (int cls : {0, c.n_classes - 1}) {
                for (float t : {1.f, 0.7f, 2.5f}) {
                    PixelSampling s{cls, seed, 0, t, false};
                    auto a = atnat::decode::run_raster(m, RasterMethod::naive, s);
                    auto b = atnat::decode::run_raster(m, RasterMethod::cached, s);
                    ASSERT_TRUE(a.ok() && b.ok());
                    ASSERT_EQ(a->image, b->image)
                        << "config " << ci << " seed " << seed << " class " << cls << " T " << t;
                }
            }
        }
        PixelSampling greedy{1 % c.n_classes, 9, 0, 1.f, true};
        auto a = atnat::decode::run_raster(m, RasterMethod::naive, greedy);
        auto b = atnat::decode::run_raster(m, RasterMethod::cached, greedy);
        EXPECT_EQ(a->image, b->image) << "greedy, config " << ci;
    }
}

TEST(PixelCNNSampler, SeedsAndStreamsGiveDifferentImagesSameSeedTheSame) {
    const TinyConfig c;
    PixelCNN m = tiny_model(c);
    auto run = [&](uint64_t seed, uint64_t stream) {
        return atnat::decode::run_raster(m, RasterMethod::cached, PixelSampling{2, seed, stream, 1.f, false})
            ->image;
    };
    const auto a = run(1, 0);
    EXPECT_EQ(a, run(1, 0));
    EXPECT_NE(a, run(2, 0));
    EXPECT_NE(a, run(1, 1));
    std::vector<int> seen(c.levels, 0);
    for (uint8_t v : a) seen[v] = 1;
    EXPECT_GE(std::count(seen.begin(), seen.end(), 1), 4)
        << "the tiny model's samples should use several levels";
}

TEST(PixelCNNSampler, StepApi) {
    const TinyConfig c;
    PixelCNN m = tiny_model(c);
    const size_t H = c.height, W = c.width, P = H * W;
    const PixelSampling s{5, 3, 0, 1.f, false};
    const auto whole = atnat::decode::run_raster(m, RasterMethod::cached, s)->image;
    for (RasterMethod method : {RasterMethod::naive, RasterMethod::cached}) {
        auto r = RasterSampler::create(m, method, s);
        ASSERT_TRUE(r.ok());
        // mixed step sizes: one pixel, three pixels, then rows
        auto a = r->sample();
        EXPECT_EQ(a.begin, 0u);
        EXPECT_EQ(a.end, 1u);
        EXPECT_EQ(r->image()[0], whole[0]);
        EXPECT_EQ(r->image()[1], 0) << "unsampled pixels stay 0";
        auto b = r->sample(3);
        EXPECT_EQ(b.begin, 1u);
        EXPECT_EQ(b.end, 4u);
        auto row = r->sample_row();  // finishes row 0
        EXPECT_EQ(row.begin, 4u);
        EXPECT_EQ(row.end, W);
        size_t rows = 0;
        while (!r->done()) {
            auto q = r->sample_row();
            EXPECT_EQ(q.end - q.begin, W);
            ++rows;
        }
        EXPECT_EQ(rows, H - 1);
        EXPECT_EQ(r->next_pixel(), P);
        EXPECT_EQ(r->sample().end - r->sample().begin, 0u) << "a finished sampler does nothing";
        EXPECT_FALSE(r->step().ok()) << "a finished session does nothing";
        EXPECT_EQ(r->image_vector(), whole) << atnat::decode::name_of(method);
        const auto& st = r->stats();
        if (method == RasterMethod::naive) {
            EXPECT_EQ(st.forward_passes, P);
            EXPECT_EQ(st.positions, P * P);
            EXPECT_EQ(st.pixel_updates, 0u);
        } else {
            EXPECT_EQ(st.forward_passes, 0u);
            EXPECT_EQ(st.pixel_updates, P);
            EXPECT_EQ(st.row_updates, H);
            EXPECT_EQ(st.positions, P);
        }
        EXPECT_GT(st.ms, 0.0);
    }
}

TEST(PixelCNNSampler, IsASessionThatStepsRowsOrPixelsAndCancels) {
    const TinyConfig c;
    PixelCNN m = tiny_model(c);
    const size_t W = c.width;
    const PixelSampling s{5, 3, 0, 1.f, false};
    const auto whole = atnat::decode::run_raster(m, RasterMethod::cached, s)->image;
    auto cached = RasterSampler::create(m, RasterMethod::cached, s);
    ASSERT_TRUE(cached.ok());
    const auto row = cached->step();
    ASSERT_TRUE(row.ok()) << row.error();
    EXPECT_EQ(row->index, 0u);
    EXPECT_EQ(row->range.end, W) << "cached: a step is an image row";
    EXPECT_TRUE(row->row_end);
    auto naive = RasterSampler::create(m, RasterMethod::naive, s);
    const auto pixel = naive->step();
    EXPECT_EQ(pixel->range.end, 1u) << "naive: a step is one pixel (one full forward pass)";
    EXPECT_FALSE(pixel->row_end);
    cached->cancel();
    EXPECT_TRUE(cached->done());
    EXPECT_FALSE(cached->step().ok());
    const auto r = cached->result();
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(std::vector<uint8_t>(r.image.begin(), r.image.begin() + W),
              std::vector<uint8_t>(whole.begin(), whole.begin() + W))
        << "the cancelled image keeps its first row";
    EXPECT_EQ(r.stats.pixel_updates, W);
}

TEST(PixelSampling, PickLevelIsTheInverseCdfInLevelOrder) {
    // logits log(1, 2, 3, 4) -> p = 0.1, 0.2, 0.3, 0.4 -> cdf 0.1, 0.3, 0.6, 1.0
    const float logits[4] = {0.f, std::log(2.f), std::log(3.f), std::log(4.f)};
    // The samplers' level picker (a token picker over the levels) with the uniform u given.
    auto pick_level = [](std::span<const float> x, float t, bool greedy, float u) {
        auto picker = atnat::decode::level_picker(PixelSampling{0, 1, 0, t, greedy}, x.size(), 1);
        return size_t(picker->pick_with(u, x).id);
    };
    auto pick = [&](float u, float t = 1.f) { return pick_level(logits, t, false, u); };
    EXPECT_EQ(pick(0.f), 0u);
    EXPECT_EQ(pick(0.0999f), 0u);
    EXPECT_EQ(pick(0.1001f), 1u);
    EXPECT_EQ(pick(0.2999f), 1u);
    EXPECT_EQ(pick(0.3001f), 2u);
    EXPECT_EQ(pick(0.5999f), 2u);
    EXPECT_EQ(pick(0.6001f), 3u);
    EXPECT_EQ(pick(0.99999994f), 3u);
    // temperature 0.5 squares the odds: p = 1, 4, 9, 16 over 30 -> cdf 0.033, 0.167, 0.467, 1
    EXPECT_EQ(pick(0.1f, 0.5f), 1u);
    EXPECT_EQ(pick(0.17f, 0.5f), 2u);
    EXPECT_EQ(pick(0.47f, 0.5f), 3u);
    EXPECT_EQ(pick_level(logits, 1.f, true, 0.f), 3u);
    const float tie[3] = {1.f, 5.f, 5.f};
    EXPECT_EQ(pick_level(tie, 1.f, true, 0.f), 1u) << "greedy: the first of equal maxima";
    const float sure[3] = {-1e30f, 0.f, -1e30f};
    EXPECT_EQ(pick_level(sure, 1.f, false, 0.99999994f), 1u);
}

TEST(PixelSampling, ImpossibleSettingsAreClearErrors) {
    const TinyConfig c;
    PixelCNN m = tiny_model(c);
    auto err = [&](PixelSampling s) {
        auto r = RasterSampler::create(m, RasterMethod::cached, s);
        return r.ok() ? std::string() : r.error();
    };
    EXPECT_EQ(err(PixelSampling{}), "");
    EXPECT_EQ(err(PixelSampling{9, 1, 0, 1.f, false}), "");
    EXPECT_NE(err(PixelSampling{11, 1, 0, 1.f, false}).find("class 11 is outside [0, 9]"), std::string::npos);
    EXPECT_NE(err(PixelSampling{10, 1, 0, 1.f, false}).find("class 10"), std::string::npos);
    EXPECT_NE(err(PixelSampling{-1, 1, 0, 1.f, false}).find("class -1"), std::string::npos);
    for (float t : {0.f, -1.f, NAN, INFINITY, 1000.f, 1e-45f, 0.005f}) {
        EXPECT_NE(err(PixelSampling{0, 1, 0, t, false}).find("temperature"), std::string::npos) << t;
    }
    using atnat::decode::ImageRequest;
    EXPECT_TRUE(atnat::decode::request_from_json_text<ImageRequest>(R"({"method": "naive"})").ok());
    EXPECT_TRUE(atnat::decode::request_from_json_text<ImageRequest>(R"({"method": "cached"})").ok());
    auto bad = atnat::decode::request_from_json_text<ImageRequest>(R"({"method": "fast"})");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().find("naive, cached"), std::string::npos);
    PixelCNNState s(m);
    EXPECT_FALSE(s.set_class(10).ok());
    EXPECT_EQ(s.cls(), 0) << "a rejected class leaves the state as it was";
}

// One memory budget per request (core/decode/budget.hpp): a small file with a large image size asks for
// image buffers far beyond its weights. Refused before anything is allocated, with an error naming the image
// size and the bytes; a limit of the exact need is enough.
TEST(PixelCNNSampler, AnImageOverItsMemoryBudgetIsRefusedNamingItsSizeAndBytes) {
    TinyConfig c;  // 3 layers x 8 channels, 12 head channels, 16 levels
    c.height = c.width = 256;
    PixelCNN m = tiny_model(c);
    const uint64_t P = 256 * 256;
    // the full forward's input, 3 [P, 2C] and 3 [P, C] buffers, head and logits; the cached rows' per-layer
    // v and row buffers; the biases, one pixel's scratch; the image
    const uint64_t floats = P * (1 + 3 * 16 + 3 * 8 + 12 + 16) + 3 * P * 8 + 2 * 3 * 256 * 16 + 3 * 256 * 8 +
                            2 * 3 * 16 + 16 + 8 + 8 + 12 + 16;
    EXPECT_EQ(PixelCNNState::bytes(m.config()), 4 * floats);
    const uint64_t need = m.byte_size() + 4 * floats + P;
    const uint32_t mib = uint32_t((need + (1 << 20) - 1) >> 20);
    auto refused = RasterSampler::create(m, RasterMethod::cached, PixelSampling{}, mib - 1);
    ASSERT_FALSE(refused.ok());
    for (const std::string& part :
         {"this request needs " + std::to_string(need) + " bytes",
          "more than max_memory = " + std::to_string(mib - 1) + " MiB",
          std::string("image buffers (height 256 x width 256, 3 layers x 8 channels)")})
        EXPECT_NE(refused.error().find(part), std::string::npos) << part << " in: " << refused.error();
    EXPECT_TRUE(RasterSampler::create(m, RasterMethod::cached, PixelSampling{}, mib).ok());
}

// ---- the loader's checks ------------------------------------------------------------------------------

std::string load_error(const std::vector<TensorSpec>& t, const std::string& arch, const json& cfg) {
    auto m = load_bytes(write_weights(arch, cfg, t));
    return m.ok() ? std::string() : m.error();
}

TEST(PixelCNNLoad, RejectsBadConfigs) {
    const TinyConfig c;
    const auto t = tiny_tensors(c);
    EXPECT_EQ(load_error(t, "pixelcnn", config_json(c)), "");
    EXPECT_NE(load_error(t, "pixnat", config_json(c)).find("arch is 'pixnat'"), std::string::npos);
    struct Case {
        const char* key;
        json value;
        const char* message;
    };
    const Case cases[] = {
        {"levels", 1, "'levels' = 1 is outside [2, 256]"},
        {"levels", 300, "'levels' = 300"},
        {"channels", 0, "'channels' = 0"},
        {"layers", 0, "'layers' = 0"},
        {"first_kernel", 4, "'first_kernel' = 4 must be odd"},
        {"first_kernel", 1, "'first_kernel' = 1 is outside"},
        {"n_classes", 0, "'n_classes'"},
        {"height", 0, "'height'"},
        {"width", "28", "'width' must be an integer"},
        {"kernel", 5, "'kernel' = 5"},
        {"v_pad", json::array({json::array({1, 0, 1, 1})}), "'v_pad'"},
        {"input_channels", 2, "'input_channels' = 2"},
        {"input_channels", 4, "'input_channels' = 4 is outside"},
    };
    for (const auto& k : cases) {
        json cfg = config_json(c);
        cfg[k.key] = k.value;
        const std::string e = load_error(t, "pixelcnn", cfg);
        EXPECT_NE(e.find(k.message), std::string::npos) << k.key << ": " << e;
    }
    json cfg = config_json(c);
    cfg.erase("head_channels");
    EXPECT_NE(load_error(t, "pixelcnn", cfg).find("head_channels"), std::string::npos);
    // the paddings export.py writes are accepted
    cfg = config_json(c);
    cfg["kernel"] = 3;
    cfg["v_pad"] = {{2, 0, 2, 2}, {1, 0, 1, 1}, {1, 0, 1, 1}};
    cfg["h_pad"] = {{0, 0, 2, 0}, {0, 0, 1, 0}, {0, 0, 1, 0}};
    EXPECT_EQ(load_error(t, "pixelcnn", cfg), "");
}

TEST(PixelCNNLoad, RejectsNonFiniteOrHugeWeights) {
    const TinyConfig c;
    for (float bad : {NAN, INFINITY, 3e38f}) {
        auto t = tiny_tensors(c);
        t[3].f32[5] = bad;  // layers.0.h_conv.bias
        EXPECT_NE(
            load_error(t, "pixelcnn", config_json(c)).find("tensor 'layers.0.h_conv.bias' element 5 is"),
            std::string::npos);
    }
}

TEST(PixelCNNLoad, RejectsMissingOrMisshapenTensors) {
    const TinyConfig c;
    const json cfg = config_json(c);
    const auto good = tiny_tensors(c);
    auto without = [&](const std::string& name) {
        auto t = good;
        t.erase(std::remove_if(t.begin(), t.end(), [&](const TensorSpec& s) { return s.name == name; }),
                t.end());
        return load_error(t, "pixelcnn", cfg);
    };
    for (const char* name :
         {"layers.0.v_conv.mask", "layers.2.h_out.bias", "head.1.weight", "layers.1.v_class"}) {
        EXPECT_NE(without(name).find(name), std::string::npos) << without(name);
    }
    auto edited = [&](const std::string& name, auto edit) {
        auto t = good;
        for (auto& s : t)
            if (s.name == name) edit(s);
        return load_error(t, "pixelcnn", cfg);
    };
    // a weight with swapped C_out / C_in would be read wrongly: the shape check catches it
    std::string e = edited("layers.1.v2h.weight", [](TensorSpec& s) { s.shape = {8, 32}; });
    EXPECT_NE(e.find("layers.1.v2h.weight"), std::string::npos) << e;
    e = edited("layers.0.v_conv.weight", [](TensorSpec& s) { s.shape = {3, 5, 1, 16}; });
    EXPECT_NE(e.find("layers.0.v_conv.weight"), std::string::npos) << e;
    e = edited("layers.0.h_conv.mask", [](TensorSpec& s) {
        s.dtype = "F32";
        s.f32.assign(s.u8.begin(), s.u8.end());
    });
    EXPECT_NE(e.find("layers.0.h_conv.mask"), std::string::npos) << e;
    // a mask that lets the current pixel through would break causality
    e = edited("layers.0.h_conv.mask", [](TensorSpec& s) { s.u8.back() = 1; });
    EXPECT_NE(e.find("mask-A"), std::string::npos) << e;
    e = edited("layers.0.v_conv.mask", [](TensorSpec& s) { s.u8[0] = 0; });
    EXPECT_NE(e.find("layers.0.v_conv.mask"), std::string::npos) << e;
}

}  // namespace

namespace {

// FNV-1a of an image: pins a sample so the native and the wasm build are checked against one value.
uint64_t fnv1a(const std::vector<uint8_t>& v) {
    uint64_t h = 1469598103934665603ull;
    for (uint8_t b : v) h = (h ^ b) * 1099511628211ull;
    return h;
}

// The same seed gives the same image natively and in wasm (the ops compute the same floats on both:
// SSE4.1 natively, its SIMD128 lowering in wasm). If a deliberate change to the ops' arithmetic moves this
// pin, update it from the native run's message after checking naive == cached still holds.
TEST(PixelCNNSampler, PinnedSampleIsTheSameOnEveryPlatform) {
    const TinyConfig c;
    PixelCNN m = tiny_model(c);
    auto r = atnat::decode::run_raster(m, RasterMethod::cached, PixelSampling{2, 1, 0, 1.f, false});
    ASSERT_TRUE(r.ok());
    std::string levels;
    for (uint8_t v : r->image) levels += std::to_string(v) + " ";
    EXPECT_EQ(fnv1a(r->image), 4382554096737586725ull) << "levels: " << levels;
}

}  // namespace
