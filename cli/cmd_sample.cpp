// atnat sample: images from an image model (PixelCNN: raster order, naive or cached; pixnat: K-step
// mask-predict), written as a PNG/PGM grid, optionally as a .npy for models/common/evaluate_samples.py.
#include <algorithm>
#include <cmath>
#include <iostream>

#include "cli/cli.hpp"
#include "cli/image_io.hpp"
#include "cli/options.hpp"
#include "core/decode/pixels.hpp"

namespace atnat::cli {
namespace {

const std::vector<OptionSpec> kOptions = [] {
    std::vector<OptionSpec> o = {
        {"model", "PATH", "a pixelcnn or pixnat weight file, or its model directory"}};
    add_options<decode::ImageRequest>(o);
    for (OptionSpec& x : o) {
        if (x.name == "class") x.help += "; or 'all': image i gets class i * classes / count";
        if (x.name == "seed") x.help += "; image i of a batch uses PCG32 stream i";
    }
    o.push_back({"count", "N", "images to sample (default 1); the image is a grid of ceil(sqrt N) columns"});
    o.push_back({"out", "PATH",
                 "write the image (.png or .pgm); several as a grid with 1-px grey separators and border"});
    o.push_back(
        {"samples-out", "PATH", "write the levels as uint8 [count, H, W]: .npy, anything else raw bytes"});
    o.push_back({"json", "", "print one JSON object (settings, times, passes, every image's levels)"});
    return o;
}();

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

    // --class all is the command line's own: every other option is a field of the image request
    const bool all_classes = args.get("class") == "all";
    decode::ImageRequest request;
    if (Status st = read_options(args, request, all_classes ? "class" : ""); !st) return fail(st.error());
    auto count = args.get_int("count", 1, 1, 100000);
    if (!count) return fail(count.error());

    std::optional<models::PixelCNN> pixelcnn;
    std::optional<models::PixNAT> pixnat;
    size_t H, W, L, n_classes;
    if (raster) {
        auto m = models::PixelCNN::load(*wf);
        if (!m) return fail(*path + ": " + m.error());
        pixelcnn = std::move(*m);
        const auto& c = pixelcnn->config();
        H = c.height, W = c.width, L = c.levels, n_classes = c.n_classes;
    } else {
        auto m = models::PixNAT::load(*wf);
        if (!m) return fail(*path + ": " + m.error());
        pixnat = std::move(*m);
        const auto& c = pixnat->config();
        H = c.height, W = c.width, L = c.levels, n_classes = c.n_classes;
    }

    std::vector<std::vector<uint8_t>> images;
    std::vector<int> classes;
    std::vector<decode::PixelStats> stats;
    const decode::PixelSampling base = request.sampling;
    const size_t n = size_t(*count);
    for (size_t i = 0; i < n; ++i) {
        decode::PixelSampling s = base;
        s.stream = i;
        if (all_classes) s.cls = int(i * n_classes / n);
        auto r = raster ? decode::run_to_end(
                              decode::RasterSampler::create(*pixelcnn, request.method, s, request.max_memory))
                        : decode::run_to_end(decode::MaskPredictSampler::create(
                              *pixnat, request.steps, s, request.gumbel, request.max_memory));
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

    const std::string what = raster ? decode::name_of(request.method) : "mask-predict";
    if (args.flag("json")) {
        nlohmann::json j = {
            {"model", *path},
            {"arch", arch},
            {"method", what},
            {"seed", base.seed},
            {"temperature", base.temperature},
            {"greedy", base.greedy},
            {"count", n},
            {"height", H},
            {"width", W},
            {"levels", L},
            {"total_ms", total_ms},
            {"ms_per_image", total_ms / double(n)},
            {"forward_passes", sum.forward_passes},
            {"row_updates", sum.row_updates},
            {"pixel_updates", sum.pixel_updates},
            {"positions", sum.positions},
            {"images", nlohmann::json::array()},
        };
        if (!raster) {
            j["steps"] = request.steps;
            j["gumbel"] = request.gumbel.value_or(pixnat->config().default_gumbel_temp);
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
                what.c_str(), n, n == 1 ? "" : "s", H, W, L, total_ms / double(n), total_ms);
    if (raster) {
        std::printf(
            "per image: %llu full forward passes, %llu row updates, %llu pixel updates (%llu pixel positions "
            "evaluated)\n",
            (unsigned long long)(sum.forward_passes / n), (unsigned long long)(sum.row_updates / n),
            (unsigned long long)(sum.pixel_updates / n), (unsigned long long)(sum.positions / n));
    } else {
        std::printf("per image: %d steps = %llu parallel forward passes\n", request.steps,
                    (unsigned long long)(sum.forward_passes / n));
    }
    if (args.has("out")) std::printf("wrote %s\n", args.get("out").c_str());
    if (args.has("samples-out")) {
        std::printf(
            "wrote %s; score it with:\n  PYTHONPATH=. /usr/bin/python3 models/common/evaluate_samples.py "
            "--samples %s "
            "--npy-levels %zu --levels %zu --classes %s\n",
            args.get("samples-out").c_str(), args.get("samples-out").c_str(), L, L,
            all_classes ? ("0,1,2,3,4,5,6,7,8,9 --repeat " + std::to_string(n / n_classes)).c_str()
                        : std::to_string(base.cls).c_str());
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
