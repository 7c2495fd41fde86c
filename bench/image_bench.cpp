// Image-model speed (native, Google Benchmark): time per image for the PixelCNN's naive raster sampler (a
// full forward per pixel) and its cached one (Fast PixelCNN), one full forward, and pixnat per step count K.
//   ./atnat_bench --benchmark_filter='pixelcnn|pixnat'
// Models: models/pixelcnn/model.safetensors and models/pixnat/model.safetensors relative to the working
// directory, or $ATNAT_PIXELCNN_MODEL / $ATNAT_PIXNAT_MODEL; an absent model skips its benchmarks.
// The naive image takes H*W forwards (tens of seconds): it runs one iteration.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "core/decode/pixels.hpp"

namespace {

using namespace atnat;

template <class Model>
struct Loaded {
    std::optional<Model> model;
    std::string error;
};

template <class Model>
Loaded<Model> load(const char* env_name, const std::string& fallback) {
    Loaded<Model> l;
    const char* env = std::getenv(env_name);
    const std::string path = env ? env : fallback;
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        l.error = path + " is absent (run from the repository root, or set " + env_name + ")";
        return l;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto wf = io::WeightFile::parse(std::move(bytes));
    if (!wf) {
        l.error = path + ": " + wf.error();
        return l;
    }
    auto m = Model::load(*wf);
    if (!m) {
        l.error = path + ": " + m.error();
        return l;
    }
    l.model = std::move(*m);
    return l;
}

const Loaded<models::PixelCNN>& pixelcnn() {
    static const auto l = load<models::PixelCNN>("ATNAT_PIXELCNN_MODEL", "models/pixelcnn/model.safetensors");
    return l;
}

const Loaded<models::PixNAT>& pixnat() {
    static const auto l = load<models::PixNAT>("ATNAT_PIXNAT_MODEL", "models/pixnat/model.safetensors");
    return l;
}

// One full forward (all H*W positions): the unit of the naive sampler.
void bm_pixelcnn_forward(benchmark::State& state) {
    const auto& l = pixelcnn();
    if (!l.model) return state.SkipWithError(l.error.c_str());
    models::PixelCNNState s(*l.model);
    std::vector<uint8_t> img(size_t(l.model->config().height) * l.model->config().width, 3);
    for (auto _ : state) {
        s.forward(img.data());
        benchmark::DoNotOptimize(s.logits());
    }
}

// One whole image (class 7, seed 1, temperature 1), naive or cached.
void bm_pixelcnn_image(benchmark::State& state) {
    const auto& l = pixelcnn();
    if (!l.model) return state.SkipWithError(l.error.c_str());
    const auto method = state.range(0) == 0 ? decode::RasterMethod::naive : decode::RasterMethod::cached;
    state.SetLabel(decode::name_of(method));
    decode::PixelStats stats;
    for (auto _ : state) {
        auto r = decode::run_raster(*l.model, method, decode::PixelSampling{7, 1, 0, 1.f, false});
        benchmark::DoNotOptimize(r->image.data());
        stats = r->stats;
    }
    state.counters["forward_passes"] = double(stats.forward_passes);
    state.counters["pixel_updates"] = double(stats.pixel_updates);
    state.counters["images/s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

// One whole pixnat image (class 7, seed 1) in K = range(0) steps.
void bm_pixnat_image(benchmark::State& state) {
    const auto& l = pixnat();
    if (!l.model) return state.SkipWithError(l.error.c_str());
    const int K = int(state.range(0));
    for (auto _ : state) {
        auto r = decode::run_mask_predict(*l.model, K, decode::PixelSampling{7, 1, 0, 1.f, false});
        benchmark::DoNotOptimize(r->image.data());
    }
    state.counters["forward_passes"] = double(K);
    state.counters["images/s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(bm_pixelcnn_forward)->Name("pixelcnn/forward")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_pixelcnn_image)
    ->Name("pixelcnn/image/naive")
    ->Arg(0)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_pixelcnn_image)->Name("pixelcnn/image/cached")->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_pixnat_image)
    ->Name("pixnat/image/K")
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Arg(8)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond);

}  // namespace
