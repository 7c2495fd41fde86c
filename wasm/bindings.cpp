// The one file of Embind glue: handle objects over the core, errors turned into JS exceptions.
// Bytes cross from JS once (a typed-array copy into the wasm heap); everything else is small.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/decode/report.hpp"
#include "core/decode/text_model.hpp"
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

// Unwraps a Result or throws its message to JS (the Result is destroyed before the throw).
template <class T>
T value_or_throw(atnat::Result<T> result) {
    std::string error;
    {
        if (result) return std::move(result).value();
        error = result.error();
    }
    throw_js_error(error);
}

// One step-wise generation. JS: `while (!s.done()) events.push(JSON.parse(s.step())); s.result()`.
class JsTextSession {
public:
    explicit JsTextSession(atnat::decode::GenerationSession session) : session_(std::move(session)) {}
    bool done() const { return session_.done(); }
    std::string step() {
        auto event = value_or_throw(session_.step());
        return atnat::decode::dump_json(atnat::decode::to_json(event));
    }
    void cancel() { session_.cancel(); }
    std::string result() const { return atnat::decode::dump_json(atnat::decode::to_json(session_.result())); }

private:
    atnat::decode::GenerationSession session_;
};

// An autoregressive text model (arch "gpt"). JS: `const m = new module.TextModel(weightFile)`.
class JsTextModel {
public:
    static JsTextModel* create(const JsWeightFile& file) {
        return new JsTextModel(value_or_throw(atnat::decode::TextModel::load(file.file())));
    }

    // {forms: [...], default_form, context, vocab_size}
    std::string info() const {
        nlohmann::json forms = nlohmann::json::array();
        for (const auto& [name, id] : model_.forms) forms.push_back(name);
        return nlohmann::json{{"forms", forms},
                              {"default_form", model_.default_form()},
                              {"context", model_.transformer->config.context},
                              {"vocab_size", model_.transformer->config.vocab_size}}
            .dump();
    }

    // request: the JSON documented in core/decode/report.hpp.
    JsTextSession* start(const std::string& request_json) const {
        auto request = value_or_throw(atnat::decode::request_from_json_text(request_json));
        return new JsTextSession(value_or_throw(atnat::decode::start_generation(model_, request)));
    }

    std::string score(const std::string& text, const std::string& form) {
        if (!score_state_) score_state_ = atnat::models::make_state(*model_.transformer, 0);
        auto scored = value_or_throw(atnat::decode::score_text(model_, *score_state_, text, form));
        return atnat::decode::dump_json(atnat::decode::to_json(scored));
    }

private:
    explicit JsTextModel(atnat::decode::TextModel m) : model_(std::move(m)) {}
    atnat::decode::TextModel model_;
    std::optional<atnat::models::TransformerState> score_state_;  // made on the first score()
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
    emscripten::class_<JsTextModel>("TextModel")
        .constructor(&JsTextModel::create, emscripten::allow_raw_pointers())
        .function("info", &JsTextModel::info)
        .function("start", &JsTextModel::start, emscripten::allow_raw_pointers())
        .function("score", &JsTextModel::score);
    emscripten::class_<JsTextSession>("TextSession")
        .function("done", &JsTextSession::done)
        .function("step", &JsTextSession::step)
        .function("cancel", &JsTextSession::cancel)
        .function("result", &JsTextSession::result);
}
