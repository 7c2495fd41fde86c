// libFuzzer target: the request readers (core/decode/request.hpp) of every request type over one hostile
// JSON text: request_from_json_text<R> returns an Error or a request that passed its own check(), and such a
// request written back as JSON (to_json, what the CLI's --json and the bindings' plan task emit) reads back
// as the same request. Seeds: tests/fuzz/corpus/request (make_corpus.py). Run: bash scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/decode/pixels.hpp"
#include "core/decode/poem_plan.hpp"
#include "core/decode/pronounce.hpp"
#include "core/decode/request.hpp"
#include "core/decode/text_model.hpp"

using namespace atnat;

namespace {

template <decode::Request R>
void read_and_write_back(std::string_view text) {
    auto request = decode::request_from_json_text<R>(text);
    if (!request) return;
    const nlohmann::json written = decode::to_json(*request);
    auto again = decode::request_from_json<R>(written);
    if (!again || decode::to_json(*again) != written) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    read_and_write_back<decode::GenerateRequest>(text);
    read_and_write_back<decode::PoemRequest>(text);
    read_and_write_back<decode::NatRequest>(text);
    read_and_write_back<decode::ImageRequest>(text);
    read_and_write_back<decode::PronounceRequest>(text);
    return 0;
}
