// The one file of Embind glue: handle objects over the core, errors turned into JS exceptions.
// Bytes cross from JS once (a typed-array copy into the wasm heap); everything else is small.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/io/safetensors.hpp"
#include "core/ops/bench.hpp"

using emscripten::val;

namespace {

// Throws a JS Error carrying the core's message. Call it only after every C++ object of the
// failing operation is destroyed: throw_() unwinds without running C++ destructors.
[[noreturn]] void throw_js_error(const std::string& message) {
    val::global("Error").new_(val("atnat: " + message)).throw_();
    __builtin_unreachable();
}

// Copies a JS Uint8Array into a vector in the wasm heap with one typed-array set().
std::vector<uint8_t> bytes_from_js(const val& array) {
    const size_t n = array["length"].as<size_t>();
    std::vector<uint8_t> bytes(n);
    val(emscripten::typed_memory_view(n, bytes.data())).call<void>("set", array);
    return bytes;
}

// A loaded weight file. JS: `const w = new module.WeightFile(bytes); w.info(); w.delete()`.
class JsWeightFile {
public:
    static JsWeightFile* create(const val& array) {
        std::string error;
        {
            auto parsed = atnat::io::WeightFile::parse(bytes_from_js(array));
            if (parsed) return new JsWeightFile(std::move(parsed.value()));
            error = parsed.error();
        }
        throw_js_error(error);
    }

    // {arch, config, tensors, parameters, bytes, tokenizer_size}
    std::string info() const {
        nlohmann::json j{{"arch", file_.arch()},
                         {"config", file_.config()},
                         {"tensors", file_.tensor_count()},
                         {"parameters", file_.parameter_count()},
                         {"bytes", file_.byte_size()}};
        if (file_.has_tokenizer()) j["tokenizer_size"] = file_.tokenizer()["tokens"].size();
        return j.dump();
    }

    const atnat::io::WeightFile& file() const { return file_; }

private:
    explicit JsWeightFile(atnat::io::WeightFile f) : file_(std::move(f)) {}
    atnat::io::WeightFile file_;
};

double bench_matmul(const std::string& kind, int n, int reps) {
    const double ms = atnat::ops::bench_matmul(kind, n, reps);
    if (ms < 0) throw_js_error("bench_matmul: kind must be gemv or gemm, n in 1..4096, reps in 1..100000");
    return ms;
}

std::string build_info() {
    return nlohmann::json{{"version", "0.1.0"}, {"simd", "wasm-simd128 (xsimd sse4.1 lowered by Emscripten)"}}.dump();
}

}  // namespace

EMSCRIPTEN_BINDINGS(atnat) {
    emscripten::function("build_info", &build_info);
    emscripten::function("bench_matmul", &bench_matmul);
    emscripten::class_<JsWeightFile>("WeightFile")
        .constructor(&JsWeightFile::create, emscripten::allow_raw_pointers())
        .function("info", &JsWeightFile::info);
}
