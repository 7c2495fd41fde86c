// The forward loop alone: prefill and greedy decoding over core/models' transformer, with no session,
// sampling, JSON or Embind in the way. bench/side_by_side.mjs times it beside the page's JS API.
// Built twice from this file:
//   native: build/native-release/atnat_forward_loop MODEL.safetensors   (line commands on stdin, below)
//   wasm:   build/wasm/atnat_forward_loop.mjs + .wasm                    (the fl_* functions, called from JS)
//
// stdin commands (native), one per line, token ids separated by spaces; each answer is one line:
//   prefill T0 T1 ...                 -> ARGMAX CPU_MS WALL_MS
//   generate MAX_NEW EOS T0 T1 ...    -> CPU_MS WALL_MS ID ID ...   (greedy; stops after EOS or MAX_NEW ids)
// Times are this process's CPU time and wall time around the computation only.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "core/models/transformer.hpp"
#include "core/ops/ops.hpp"

namespace {

using namespace atnat;

struct Loop {
    models::Transformer model;
    models::TransformerState state;
};
std::unique_ptr<Loop> loop;

size_t argmax_of(std::span<const float> logits) {
    return ops::argmax(logits.data(), logits.size());
}

}  // namespace

extern "C" {

// Loads an atnat-1 "gpt" file (the bytes are copied). Returns 0, or -1 if the file does not load.
int fl_load(const uint8_t* bytes, size_t n) {
    auto file = io::WeightFile::parse(std::vector<uint8_t>(bytes, bytes + n));
    if (!file) return -1;
    auto model = models::load_transformer(*file);
    if (!model || model->arch != "gpt") return -1;
    loop = std::make_unique<Loop>(Loop{std::move(*model), {}});
    loop->state = models::make_state(loop->model);
    return 0;
}

// One prefill pass over tokens[0, n) at positions 0 .. n-1 (one GEMM per matrix). Returns the argmax of
// the last position's logits, or -1 on an error (no model, a bad token, n outside 1 .. context).
int fl_prefill(const int32_t* tokens, size_t n) {
    if (!loop) return -1;
    auto logits = models::prefill(loop->model, loop->state, std::span<const int32_t>(tokens, n));
    return logits ? int(argmax_of(*logits)) : -1;
}

// Greedy decoding: prefill prompt[0, n), then one token per forward_token call (GEMV). Writes the ids to
// out (room for max_new) and returns how many: max_new, or fewer when eos came. -1 on an error.
int fl_generate(const int32_t* prompt, size_t n, size_t max_new, int32_t eos, int32_t* out) {
    if (!loop || max_new == 0) return -1;
    auto logits = models::prefill(loop->model, loop->state, std::span<const int32_t>(prompt, n));
    for (size_t i = 0;; ++i) {
        if (!logits) return -1;
        out[i] = int32_t(argmax_of(*logits));
        if (out[i] == eos || i + 1 == max_new) return int(i + 1);
        logits = models::forward_token(loop->model, loop->state, out[i], n + i);
    }
}

}  // extern "C"

#ifndef __EMSCRIPTEN__
namespace {

double cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + double(t.tv_nsec) * 1e-6;
}

double wall_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr
            << "usage: atnat_forward_loop MODEL.safetensors  (then commands on stdin, see the source)\n";
        return 2;
    }
    std::ifstream f(argv[1], std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (!f || fl_load(bytes.data(), bytes.size()) != 0) {
        std::cerr << argv[1] << ": not a loadable \"gpt\" model\n";
        return 1;
    }
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string command;
        size_t max_new = 0;
        int32_t eos = 0;
        in >> command;
        if (command == "generate") in >> max_new >> eos;
        const std::vector<int32_t> tokens((std::istream_iterator<int32_t>(in)),
                                          std::istream_iterator<int32_t>());
        std::vector<int32_t> out(max_new);
        const double c0 = cpu_ms(), w0 = wall_ms();
        int r = -1;
        if (command == "prefill") r = fl_prefill(tokens.data(), tokens.size());
        if (command == "generate") r = fl_generate(tokens.data(), tokens.size(), max_new, eos, out.data());
        const double c = cpu_ms() - c0, w = wall_ms() - w0;
        if (r < 0) {
            std::cout << "error: " << line << std::endl;
            continue;
        }
        if (command == "prefill") {
            std::cout << r << ' ' << c << ' ' << w << std::endl;
        } else {
            std::cout << c << ' ' << w;
            for (int i = 0; i < r; ++i) std::cout << ' ' << out[size_t(i)];
            std::cout << std::endl;
        }
    }
    return 0;
}
#endif
