// atnat sample: images from an image model (PixelCNN: raster order, naive or cached; pixnat: K-step
// mask-predict), written as a PNG/PGM grid, optionally as a .npy for models/common/evaluate_samples.py.
#include <algorithm>
#include <cmath>
#include <iostream>

#include "cli/cli.hpp"
#include "cli/image_io.hpp"
#include "core/decode/pixels.hpp"

namespace atnat::cli {
namespace {

constexpr OptionSpec kOptions[] = {
    {"model", "PATH", "a pixelcnn or pixnat weight file, or its model directory"},
    {"class", "C", "class label 0..9, or 'all' (image i gets class i*10/count) (default 0)"},
    {"seed", "N", "seed; image i of a batch uses PCG32 stream i (default 1)"},
    {"count", "N", "images to sample (default 1); the image is a grid of ceil(sqrt N) columns"},
    {"method", "M", "pixelcnn: naive (a full forward per pixel) or cached (Fast PixelCNN) (default cached)"},
    {"steps", "K", "pixnat: parallel steps 1..16 (default 8)"},
    {"gumbel", "G", "pixnat: confidence noise scale (default: the model's default_gumbel_temp)"},
    {"temperature", "T", "softmax temperature in (0, 100] (default 1)"},
    {"greedy", "", "argmax instead of sampling"},
    {"out", "PATH", "write the image (.png or .pgm); several as a grid with 1-px grey separators and border"},
    {"samples-out", "PATH", "write the levels as uint8 [count, H, W]: .npy, anything else raw bytes"},
    {"json", "", "print one JSON object (settings, times, passes, every image's levels)"},
};

struct Settings {
    decode::PixelSampling base;
    bool all_classes = false;
    size_t count = 1;
};

int run_sample(const Args& args) {
    auto path = model_argument(args);
    if (!path) return fail(path.error());
    auto wf = load_weights(*path);
    if (!wf) return fail(wf.error());
    const std::string arch = wf->arch();
    const bool raster = arch == "pixelcnn";
    if (!raster && arch != "pixnat")
        return fail("'" + *path + "' is arch '" + arch + "'; sample reads pixelcnn or pixnat");
    if (raster && (args.has("steps") || args.has("gumbel")))
        return fail("--steps and --gumbel apply to pixnat models");
    if (!raster && args.has("method")) return fail("--method applies to pixelcnn models (pixnat: --steps)");

    Settings st;
    auto seed = args.get_int("seed", 1, 0, INT64_MAX);
    auto count = args.get_int("count", 1, 1, 100000);
    auto temperature = args.get_float("temperature", 1.0, -1e30, 1e30);  // range checked by the core
    if (!seed) return fail(seed.error());
    if (!count) return fail(count.error());
    if (!temperature) return fail(temperature.error());
    st.base.seed = uint64_t(*seed);
    st.count = size_t(*count);
    st.base.temperature = float(*temperature);
    st.base.greedy = args.flag("greedy");

    // the model and one sampler factory per arch
    std::optional<models::PixelCNN> pixelcnn;
    std::optional<models::PixNAT> pixnat;
    decode::RasterMethod method = decode::RasterMethod::cached;
    int steps = 8;
    std::optional<float> gumbel;
    size_t H, W, L, n_classes;
    if (raster) {
        auto m = models::PixelCNN::load(*wf);
        if (!m) return fail(*path + ": " + m.error());
        pixelcnn = std::move(*m);
        auto mm = decode::parse_raster_method(args.get("method", "cached"));
        if (!mm) return fail(mm.error());
        method = *mm;
        const auto& c = pixelcnn->config();
        H = c.height, W = c.width, L = c.levels, n_classes = c.n_classes;
    } else {
        auto m = models::PixNAT::load(*wf);
        if (!m) return fail(*path + ": " + m.error());
        pixnat = std::move(*m);
        auto k = args.get_int("steps", 8, INT32_MIN, INT32_MAX);  // range checked by the core
        if (!k) return fail(k.error());
        steps = int(*k);
        if (args.has("gumbel")) {
            auto g = args.get_float("gumbel", 0.0, -1e30, 1e30);
            if (!g) return fail(g.error());
            gumbel = float(*g);
        }
        const auto& c = pixnat->config();
        H = c.height, W = c.width, L = c.levels, n_classes = c.n_classes;
    }

    if (args.get("class", "0") == "all") {
        st.all_classes = true;
    } else {
        auto c = args.get_int("class", 0, 0, int64_t(n_classes) - 1);
        if (!c) return fail(c.error() + " (or 'all')");
        st.base.cls = int(*c);
    }

    std::vector<std::vector<uint8_t>> images;
    std::vector<int> classes;
    std::vector<decode::PixelStats> stats;
    for (size_t i = 0; i < st.count; ++i) {
        decode::PixelSampling s = st.base;
        s.stream = i;
        if (st.all_classes) s.cls = int(i * n_classes / st.count);
        auto r = raster ? decode::run_raster(*pixelcnn, method, s)
                        : decode::run_mask_predict(*pixnat, steps, s, gumbel);
        if (!r) return fail(r.error());
        images.push_back(std::move(r->image));
        classes.push_back(s.cls);
        stats.push_back(r->stats);
    }

    double total_ms = 0;
    decode::PixelStats sum;
    for (const auto& s : stats) {
        total_ms += s.ms;
        sum.forward_passes += s.forward_passes;
        sum.row_updates += s.row_updates;
        sum.pixel_updates += s.pixel_updates;
        sum.positions += s.positions;
    }
    if (args.has("out")) {
        if (Status s = write_image(args.get("out"), tile(images, H, W, int(L), images.size() > 1 ? 1 : 0));
            !s)
            return fail(s.error());
    }
    if (args.has("samples-out")) {
        const std::string out = args.get("samples-out");
        std::vector<uint8_t> flat;
        for (const auto& im : images) flat.insert(flat.end(), im.begin(), im.end());
        const bool npy = out.size() >= 4 && out.compare(out.size() - 4, 4, ".npy") == 0;
        if (Status s = write_file(out, npy ? encode_npy_u8(flat, {images.size(), H, W}) : flat); !s)
            return fail(s.error());
    }

    const std::string what = raster ? std::string(decode::raster_method_name(method)) : "mask-predict";
    if (args.flag("json")) {
        nlohmann::json j = {
            {"model", *path},
            {"arch", arch},
            {"method", what},
            {"seed", st.base.seed},
            {"temperature", st.base.temperature},
            {"greedy", st.base.greedy},
            {"count", st.count},
            {"height", H},
            {"width", W},
            {"levels", L},
            {"total_ms", total_ms},
            {"ms_per_image", total_ms / double(st.count)},
            {"forward_passes", sum.forward_passes},
            {"row_updates", sum.row_updates},
            {"pixel_updates", sum.pixel_updates},
            {"positions", sum.positions},
            {"images", nlohmann::json::array()},
        };
        if (!raster) {
            j["steps"] = steps;
            j["gumbel"] = gumbel.value_or(pixnat->config().default_gumbel_temp);
        }
        for (size_t i = 0; i < images.size(); ++i) {
            j["images"].push_back({{"class", classes[i]},
                                   {"stream", i},
                                   {"ms", stats[i].ms},
                                   {"forward_passes", stats[i].forward_passes},
                                   {"pixel_updates", stats[i].pixel_updates},
                                   {"levels", images[i]}});
        }
        std::cout << j.dump() << "\n";
        return kExitOk;
    }
    std::printf("%s %s: %zu image%s (%zux%zu, %zu levels), %.1f ms/image, %.1f ms total\n", arch.c_str(),
                what.c_str(), st.count, st.count == 1 ? "" : "s", H, W, L, total_ms / double(st.count),
                total_ms);
    if (raster) {
        std::printf(
            "per image: %llu full forward passes, %llu row updates, %llu pixel updates (%llu pixel positions "
            "evaluated)\n",
            (unsigned long long)(sum.forward_passes / st.count),
            (unsigned long long)(sum.row_updates / st.count),
            (unsigned long long)(sum.pixel_updates / st.count),
            (unsigned long long)(sum.positions / st.count));
    } else {
        std::printf("per image: %d steps = %llu parallel forward passes\n", steps,
                    (unsigned long long)(sum.forward_passes / st.count));
    }
    if (args.has("out")) std::printf("wrote %s\n", args.get("out").c_str());
    if (args.has("samples-out")) {
        std::printf(
            "wrote %s; score it with:\n  PYTHONPATH=. /usr/bin/python3 models/common/evaluate_samples.py "
            "--samples %s "
            "--npy-levels %zu --levels %zu --classes %s\n",
            args.get("samples-out").c_str(), args.get("samples-out").c_str(), L, L,
            st.all_classes ? ("0,1,2,3,4,5,6,7,8,9 --repeat " + std::to_string(st.count / n_classes)).c_str()
                           : std::to_string(st.base.cls).c_str());
    }
    return kExitOk;
}

}  // namespace

const Command sample_command = {
    "sample",
    "sample images from a pixelcnn (raster order, naive or cached) or pixnat (K parallel steps) model",
    "atnat sample --model DIR [--class C|all] [--seed N] [--count N] [--method naive|cached] [--steps K] "
    "[--temperature T] [--greedy] [--out x.png] [--samples-out x.npy] [--json]",
    kOptions,
    1,
    run_sample,
};

}  // namespace atnat::cli
