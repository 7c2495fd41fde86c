// atnat eval: a g2p model's WER / PER on CMUdict (cli/cmd_eval_g2p.cpp), or a PixelCNN's bits/dim on
// Fashion-MNIST, computed by the C++ core (one full forward per image), comparable with
// `models/pixelcnn/sample.py --bpd` (PyTorch).
#include <chrono>
#include <cmath>
#include <iostream>

#include "cli/cli.hpp"
#include "cli/image_io.hpp"
#include "core/models/pixelcnn.hpp"

namespace atnat::cli {
namespace {

constexpr const char* kDataDir = "/usr/share/datasets/fashion-mnist";  // Debian dataset-fashion-mnist

const OptionSpec kOptions[] = {
    {"model", "PATH", "a pixelcnn weight file, or its model directory"},
    {"data", "SET", "test (10k), train (60k), or an IDX images file (.gz or raw) (default test)"},
    {"labels", "PATH",
     "the IDX labels file for --data PATH (default: 'images-idx3' -> 'labels-idx1' in its name)"},
    {"limit", "N", "only the first N images (g2p: words)"},
    {"dict", "PATH", "g2p, --data test|val: the split words (default models/data/cache/cmudict.json)"},
    {"json", "", "print one JSON object"},
};

int run_eval(const Args& args) {
    auto path = model_argument(args);
    if (!path) return fail(path.error());
    auto wf = load_weights(*path);
    if (!wf) return fail(wf.error());
    if (wf->arch() == "g2p") return run_g2p_eval(args, *wf, *path);  // cli/cmd_eval_g2p.cpp
    if (wf->arch() != "pixelcnn") {
        return fail("'" + *path + "' is arch '" + wf->arch() +
                    "': eval reports bits/dim, which needs the exact " +
                    "likelihood of an autoregressive model (pixelcnn)");
    }
    auto model = models::PixelCNN::load(*wf);
    if (!model) return fail(*path + ": " + model.error());
    const auto& cfg = model->config();

    const std::string data = args.get("data", "test");
    std::string images_path, labels_path;
    if (data == "test" || data == "train") {
        const std::string stem = data == "test" ? "t10k" : "train";
        images_path = std::string(kDataDir) + "/" + stem + "-images-idx3-ubyte.gz";
        labels_path = std::string(kDataDir) + "/" + stem + "-labels-idx1-ubyte.gz";
    } else {
        images_path = data;
        labels_path = args.get("labels");
        if (labels_path.empty()) {
            const size_t at = data.find("images-idx3");
            if (at == std::string::npos) return fail("give --labels for --data " + data);
            labels_path = data.substr(0, at) + "labels-idx1" + data.substr(at + 11);
        }
    }
    auto images = read_idx(images_path);
    if (!images) return fail(images.error());
    auto labels = read_idx(labels_path);
    if (!labels) return fail(labels.error());
    if (images->shape.size() != 3 || images->shape[1] != size_t(cfg.height) ||
        images->shape[2] != size_t(cfg.width)) {
        return fail(images_path + ": images are not [N, " + std::to_string(cfg.height) + ", " +
                    std::to_string(cfg.width) + "]");
    }
    if (labels->shape.size() != 1 || labels->shape[0] != images->shape[0]) {
        return fail(labels_path + ": " + std::to_string(labels->data.size()) + " labels for " +
                    std::to_string(images->shape[0]) + " images");
    }
    auto limit = args.get_int("limit", int64_t(images->shape[0]), 1, int64_t(images->shape[0]));
    if (!limit) return fail(limit.error());
    const size_t N = size_t(*limit), P = size_t(cfg.height) * cfg.width, L = cfg.levels;

    models::PixelCNNState state(*model);
    std::vector<uint8_t> img(P);
    double total_nats = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t n = 0; n < N; ++n) {
        // models/common/fashion_mnist.py quantise: level = floor(byte * levels / 256)
        for (size_t p = 0; p < P; ++p) img[p] = uint8_t((unsigned(images->data[n * P + p]) * L) / 256);
        if (Status s = state.set_class(labels->data[n]); !s)
            return fail(labels_path + ": image " + std::to_string(n) + ": " + s.error());
        state.forward(img.data());
        for (size_t p = 0; p < P; ++p) {  // -log softmax(logits)[level], in double
            const float* lg = state.logits() + p * L;
            double mx = lg[0];
            for (size_t l = 1; l < L; ++l) mx = std::max(mx, double(lg[l]));
            double sum = 0;
            for (size_t l = 0; l < L; ++l) sum += std::exp(double(lg[l]) - mx);
            total_nats += std::log(sum) + mx - double(lg[img[p]]);
        }
        if (!args.flag("json") && (n + 1) % 1000 == 0) std::fprintf(stderr, "%zu / %zu images\n", n + 1, N);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double bpd = total_nats / double(N * P) / std::log(2.0);
    if (args.flag("json")) {
        std::cout << nlohmann::json{{"model", *path},      {"data", images_path},
                                    {"test_images", N},    {"levels", L},
                                    {"bits_per_dim", bpd}, {"nll_nats_per_image", total_nats / double(N)},
                                    {"seconds", seconds}}
                         .dump()
                  << "\n";
    } else {
        std::printf(
            "%s on %zu images of %s (%zu levels): %.5f bits/dim (%.2f nats/image), %.1f s (%.1f ms/image)\n",
            path->c_str(), N, images_path.c_str(), L, bpd, total_nats / double(N), seconds,
            seconds * 1e3 / double(N));
    }
    return kExitOk;
}

}  // namespace

const Command eval_command = {
    "eval",
    "g2p: WER / PER of every decoder on CMUdict; pixelcnn: bits/dim on Fashion-MNIST",
    "atnat eval --model DIR [--data test|train|IMAGES.idx[.gz]] [--labels PATH] [--limit N] [--json]\n"
    "       atnat eval --model models/g2p [--data test|val|WORDS.txt] [--dict PATH] [--limit N] [--json]",
    kOptions,
    1,
    run_eval,
};

}  // namespace atnat::cli
