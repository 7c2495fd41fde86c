// The one file of Embind glue: handle objects over the core, errors handed to JS as values.
// Bytes cross from JS once (a typed-array copy into the wasm heap); everything else is small.
#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <emscripten/stack.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/decode/metrics.hpp"
#include "core/decode/nat.hpp"
#include "core/decode/nat_report.hpp"
#include "core/decode/pixels.hpp"
#include "core/decode/report.hpp"
#include "core/decode/speculative.hpp"
#include "core/decode/text_model.hpp"
#include "core/io/json.hpp"
#include "core/io/safetensors.hpp"
#include "core/ops/bench.hpp"

using emscripten::val;

namespace {

// Errors cross to JS as values, never as JS exceptions thrown through C++ frames. Such a throw
// (val::throw_) skips the destructors of every frame it unwinds, Embind's argument copies included, and
// leaves the wasm stack pointer where it was: ~900 rejected requests used up the 1 MiB stack and every
// later call failed. So a binding that fails records its message with fail() and returns normally with a
// neutral value (nullptr, "", 0); wasm/engine.js (`checked`) reads take_error() after every call and
// throws the message as a JS Error there.
std::string g_error;

struct Failed {  // converts to the neutral value of whatever the binding returns
    template <class T>
    operator T() const {
        return T{};
    }
};

Failed fail(const std::string& message) {
    g_error = "atnat: " + message;
    return {};
}

std::string take_error() {
    return std::exchange(g_error, std::string());
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
        auto parsed = atnat::io::WeightFile::parse(bytes_from_js(array));
        if (!parsed) return fail(parsed.error());
        return new JsWeightFile(std::move(*parsed));
    }

    // {arch, config, tensors, parameters, bytes, tokenizer_size}
    std::string info() const {
        nlohmann::json j{{"arch", file_.arch()},
                         {"config", file_.config()},
                         {"tensors", file_.tensor_count()},
                         {"parameters", file_.parameter_count()},
                         {"bytes", file_.byte_size()}};
        if (file_.has_tokenizer()) {
            const auto tokens =
                file_.tokenizer().find("tokens");  // checked access: the tokenizer is untrusted
            if (tokens != file_.tokenizer().end() && tokens->is_array()) j["tokenizer_size"] = tokens->size();
        }
        return j.dump();
    }

    const atnat::io::WeightFile& file() const { return file_; }

private:
    explicit JsWeightFile(atnat::io::WeightFile f) : file_(std::move(f)) {}
    atnat::io::WeightFile file_;
};

// A step-wise text session: GenerationSession (one AT token or beam step per step), NatSession (one
// parallel pass), HybridSession (one draft + verify round).
// JS: `while (!s.done()) events.push(JSON.parse(s.step())); s.result()`.
template <class Session>
class JsStepSession {
public:
    explicit JsStepSession(Session session) : session_(std::move(session)) {}
    bool done() const { return session_.done(); }
    std::string step() {
        auto event = session_.step();
        if (!event) return fail(event.error());
        return atnat::decode::dump_json(atnat::decode::to_json(*event));
    }
    void cancel() { session_.cancel(); }
    std::string result() const { return atnat::decode::dump_json(atnat::decode::to_json(session_.result())); }

private:
    Session session_;
};
using JsTextSession = JsStepSession<atnat::decode::GenerationSession>;
using JsNatSession = JsStepSession<atnat::decode::NatSession>;
using JsHybridSession = JsStepSession<atnat::decode::HybridSession>;

// An autoregressive text model (arch "gpt"). JS: `const m = new module.TextModel(weightFile)`.
class JsTextModel {
public:
    static JsTextModel* create(const JsWeightFile& file) {
        auto model = atnat::decode::TextModel::load(file.file());
        if (!model) return fail(model.error());
        return new JsTextModel(std::move(*model));
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
        auto request = atnat::decode::request_from_json_text(request_json);
        if (!request) return fail(request.error());
        auto session = atnat::decode::start_generation(model_, *request);
        if (!session) return fail(session.error());
        return new JsTextSession(std::move(*session));
    }

    std::string score(const std::string& text, const std::string& form) {
        if (!score_state_) score_state_ = atnat::models::make_state(*model_.transformer, 0);
        auto scored = atnat::decode::score_text(model_, *score_state_, text, form);
        if (!scored) return fail(scored.error());
        return atnat::decode::dump_json(atnat::decode::to_json(*scored));
    }

    // The comparison metrics of any poem text (AT's or NAT's): AT perplexity, repetition, form check.
    std::string metrics(const std::string& text, const std::string& form, double ms, double forward_passes) {
        if (!score_state_) score_state_ = atnat::models::make_state(*model_.transformer, 0);
        auto m = atnat::decode::measure_run(text, form, ms, size_t(forward_passes), &model_, &*score_state_);
        if (!m) return fail(m.error());
        return atnat::decode::dump_json(atnat::decode::to_json(*m));
    }

    const atnat::decode::TextModel& model() const { return model_; }

private:
    explicit JsTextModel(atnat::decode::TextModel m) : model_(std::move(m)) {}
    atnat::decode::TextModel model_;
    std::optional<atnat::models::TransformerState> score_state_;  // made on the first score()
};

// The masked-LM poet (arch "cmlm"): NAT generation, and the hybrid with an AT model.
class JsNatModel {
public:
    static JsNatModel* create(const JsWeightFile& file) {
        auto model = atnat::decode::NatModel::load(file.file());
        if (!model) return fail(model.error());
        return new JsNatModel(std::move(*model));
    }
    std::string info() const {
        nlohmann::json forms = nlohmann::json::array();
        for (const auto& [name, id] : model_.forms) forms.push_back(name);
        return nlohmann::json{{"forms", forms}, {"default_form", model_.default_form()}}.dump();
    }
    // request: the NAT JSON documented in core/decode/nat_report.hpp.
    JsNatSession* start(const std::string& request_json) const {
        auto request = atnat::decode::nat_request_from_json_text(request_json);
        if (!request) return fail(request.error());
        auto session = atnat::decode::NatSession::create(model_, *request);
        if (!session) return fail(session.error());
        return new JsNatSession(std::move(*session));
    }
    JsHybridSession* start_hybrid(const JsTextModel& at, const std::string& request_json) const {
        auto request = atnat::decode::nat_request_from_json_text(request_json);
        if (!request) return fail(request.error());
        auto session = atnat::decode::HybridSession::create(at.model(), model_, *request);
        if (!session) return fail(session.error());
        return new JsHybridSession(std::move(*session));
    }

private:
    explicit JsNatModel(atnat::decode::NatModel m) : model_(std::move(m)) {}
    atnat::decode::NatModel model_;
};

// Image requests from JS: {"class": 7, "seed": 1, "temperature": 1.0, "greedy": false} (+ "method" or
// "steps").
atnat::Result<atnat::decode::PixelSampling> sampling_from_json(const nlohmann::json& j) {
    using atnat::make_error;
    if (!j.is_object()) return make_error("image request: not a JSON object");
    for (const char* key : {"class", "seed", "temperature"}) {
        if (j.contains(key) && !j[key].is_number()) {
            return make_error(std::string("image request: \"") + key + "\" must be a number");
        }
    }
    const double cls = j.value("class", 0.0), seed = j.value("seed", 1.0);
    if (cls != double(int(cls))) return make_error("image request: \"class\" must be an integer");
    if (!(seed >= 0 && seed <= 9007199254740991.0 && seed == double(uint64_t(seed)))) {
        return make_error("image request: \"seed\" must be a whole number >= 0");
    }
    if (j.contains("greedy") && !j["greedy"].is_boolean()) {
        return make_error("image request: \"greedy\" must be true or false");
    }
    atnat::decode::PixelSampling s;
    s.cls = int(cls);
    s.seed = uint64_t(seed);
    s.temperature = float(j.value("temperature", 1.0));
    s.greedy = j.value("greedy", false);
    return s;
}

// The levels of an image as a Uint8Array view into the wasm heap (valid until the session steps again).
val image_view(const std::vector<uint8_t>& image) {
    return val(emscripten::typed_memory_view(image.size(), image.data()));
}

std::string stats_json(const atnat::decode::PixelStats& st) {
    return nlohmann::json{{"forward_passes", st.forward_passes},
                          {"row_updates", st.row_updates},
                          {"pixel_updates", st.pixel_updates},
                          {"positions", st.positions},
                          {"ms", st.ms}}
        .dump();
}

// PixelCNN painting in raster order. JS: `while (!s.done()) { s.step_row(); paint(s.image()) }`.
class JsRasterSession {
public:
    explicit JsRasterSession(atnat::decode::RasterSampler sampler) : sampler_(std::move(sampler)) {}
    bool done() const { return sampler_.done(); }
    // Samples up to the end of the current row; returns {"begin", "end"}: the raster indices written.
    std::string step_row() { return range_json(sampler_.step_row()); }
    // Samples the next pixels (1..n) in raster order; the naive sampler steps one pixel at a time so a
    // cancel can land between its full forward passes.
    std::string step(int n) { return range_json(sampler_.step(size_t(std::clamp(n, 1, 1 << 20)))); }
    val image() const { return image_view(sampler_.image_vector()); }
    std::string stats() const { return stats_json(sampler_.stats()); }

private:
    static std::string range_json(atnat::decode::PixelRange range) {
        return nlohmann::json{{"begin", range.begin}, {"end", range.end}}.dump();
    }
    atnat::decode::RasterSampler sampler_;
};

// pixnat's K parallel passes. JS: `while (!s.done()) { s.step(); paint(s.tokens()) }`.
class JsMaskSession {
public:
    explicit JsMaskSession(atnat::decode::MaskPredictSampler sampler) : sampler_(std::move(sampler)) {}
    bool done() const { return sampler_.done(); }
    // One parallel pass; returns {"step", "revealed", "still_masked"}.
    std::string step() {
        const auto st = sampler_.step();
        return nlohmann::json{{"step", st.step}, {"revealed", st.revealed}, {"still_masked", st.still_masked}}
            .dump();
    }
    val tokens() const { return image_view(sampler_.tokens_vector()); }  // a level, or levels (= masked)
    std::string stats() const { return stats_json(sampler_.stats()); }

private:
    atnat::decode::MaskPredictSampler sampler_;
};

std::string image_model_info(const auto& config, int steps_max) {
    return nlohmann::json{{"levels", config.levels},
                          {"height", config.height},
                          {"width", config.width},
                          {"n_classes", config.n_classes},
                          {"max_steps", steps_max}}
        .dump();
}

// The autoregressive PixelCNN (arch "pixelcnn").
class JsPixelCNN {
public:
    static JsPixelCNN* create(const JsWeightFile& file) {
        auto model = atnat::models::PixelCNN::load(file.file());
        if (!model) return fail(model.error());
        return new JsPixelCNN(std::move(*model));
    }
    std::string info() const { return image_model_info(model_.config(), 0); }
    // request: {"class", "seed", "temperature", "greedy", "method": "naive" | "cached"}
    JsRasterSession* start(const std::string& request) const {
        const auto parsed = atnat::io::parse_json(request, "image request");
        if (!parsed) return fail(parsed.error());
        const nlohmann::json& j = *parsed;
        const auto sampling = sampling_from_json(j);
        if (!sampling) return fail(sampling.error());
        if (j.contains("method") && !j["method"].is_string()) {
            return fail("image request: \"method\" must be \"naive\" or \"cached\"");
        }
        const auto method = atnat::decode::parse_raster_method(j.value("method", std::string("cached")));
        if (!method) return fail(method.error());
        auto sampler = atnat::decode::RasterSampler::create(model_, *method, *sampling);
        if (!sampler) return fail(sampler.error());
        return new JsRasterSession(std::move(*sampler));
    }

private:
    explicit JsPixelCNN(atnat::models::PixelCNN m) : model_(std::move(m)) {}
    atnat::models::PixelCNN model_;
};

// The parallel, mask-predict pixel generator (arch "pixnat").
class JsPixNAT {
public:
    static JsPixNAT* create(const JsWeightFile& file) {
        auto model = atnat::models::PixNAT::load(file.file());
        if (!model) return fail(model.error());
        return new JsPixNAT(std::move(*model));
    }
    std::string info() const { return image_model_info(model_.config(), atnat::decode::kMaxMaskSteps); }
    // request: {"class", "seed", "temperature", "greedy", "steps": 1..16}
    JsMaskSession* start(const std::string& request) const {
        const auto parsed = atnat::io::parse_json(request, "image request");
        if (!parsed) return fail(parsed.error());
        const nlohmann::json& j = *parsed;
        const auto sampling = sampling_from_json(j);
        if (!sampling) return fail(sampling.error());
        const auto steps_json = j.contains("steps") ? j["steps"] : nlohmann::json(8);
        if (!steps_json.is_number_integer()) return fail("image request: \"steps\" must be an integer");
        const int steps = int(std::clamp<int64_t>(steps_json.get<int64_t>(), -1, 1000));
        auto sampler = atnat::decode::MaskPredictSampler::create(model_, steps, *sampling);
        if (!sampler) return fail(sampler.error());
        return new JsMaskSession(std::move(*sampler));
    }

private:
    explicit JsPixNAT(atnat::models::PixNAT m) : model_(std::move(m)) {}
    atnat::models::PixNAT model_;
};

double bench_matmul(const std::string& kind, int n, int reps) {
    const double ms = atnat::ops::bench_matmul(kind, n, reps);
    if (ms < 0) return fail("bench_matmul: kind must be gemv or gemm, n in 1..4096, reps in 1..100000");
    return ms;
}

// {"stack_pointer", "heap_in_use", "heap_size"} in bytes: what a long-lived page or test watches to see
// that requests, failed ones included, give back what they take.
std::string memory_info() {
    const struct mallinfo m = mallinfo();
    return nlohmann::json{{"stack_pointer", emscripten_stack_get_current()},
                          {"heap_in_use", size_t(m.uordblks)},
                          {"heap_size", emscripten_get_heap_size()}}
        .dump();
}

std::string build_info() {
    return nlohmann::json{{"version", "0.1.0"}, {"simd", "wasm-simd128 (xsimd sse4.1 lowered by Emscripten)"}}
        .dump();
}

}  // namespace

EMSCRIPTEN_BINDINGS(atnat) {
    emscripten::function("take_error", &take_error);
    emscripten::function("build_info", &build_info);
    emscripten::function("memory_info", &memory_info);
    emscripten::function("bench_matmul", &bench_matmul);
    emscripten::class_<JsWeightFile>("WeightFile")
        .constructor(&JsWeightFile::create, emscripten::allow_raw_pointers())
        .function("info", &JsWeightFile::info);
    emscripten::class_<JsTextModel>("TextModel")
        .constructor(&JsTextModel::create, emscripten::allow_raw_pointers())
        .function("info", &JsTextModel::info)
        .function("start", &JsTextModel::start, emscripten::allow_raw_pointers())
        .function("score", &JsTextModel::score)
        .function("metrics", &JsTextModel::metrics);
    emscripten::class_<JsNatModel>("NatModel")
        .constructor(&JsNatModel::create, emscripten::allow_raw_pointers())
        .function("info", &JsNatModel::info)
        .function("start", &JsNatModel::start, emscripten::allow_raw_pointers())
        .function("start_hybrid", &JsNatModel::start_hybrid, emscripten::allow_raw_pointers());
    emscripten::class_<JsNatSession>("NatSession")
        .function("done", &JsNatSession::done)
        .function("step", &JsNatSession::step)
        .function("cancel", &JsNatSession::cancel)
        .function("result", &JsNatSession::result);
    emscripten::class_<JsHybridSession>("HybridSession")
        .function("done", &JsHybridSession::done)
        .function("step", &JsHybridSession::step)
        .function("cancel", &JsHybridSession::cancel)
        .function("result", &JsHybridSession::result);
    emscripten::class_<JsTextSession>("TextSession")
        .function("done", &JsTextSession::done)
        .function("step", &JsTextSession::step)
        .function("cancel", &JsTextSession::cancel)
        .function("result", &JsTextSession::result);
    emscripten::class_<JsPixelCNN>("PixelCNN")
        .constructor(&JsPixelCNN::create, emscripten::allow_raw_pointers())
        .function("info", &JsPixelCNN::info)
        .function("start", &JsPixelCNN::start, emscripten::allow_raw_pointers());
    emscripten::class_<JsRasterSession>("RasterSession")
        .function("done", &JsRasterSession::done)
        .function("step_row", &JsRasterSession::step_row)
        .function("step", &JsRasterSession::step)
        .function("image", &JsRasterSession::image)
        .function("stats", &JsRasterSession::stats);
    emscripten::class_<JsPixNAT>("PixNAT")
        .constructor(&JsPixNAT::create, emscripten::allow_raw_pointers())
        .function("info", &JsPixNAT::info)
        .function("start", &JsPixNAT::start, emscripten::allow_raw_pointers());
    emscripten::class_<JsMaskSession>("MaskSession")
        .function("done", &JsMaskSession::done)
        .function("step", &JsMaskSession::step)
        .function("tokens", &JsMaskSession::tokens)
        .function("stats", &JsMaskSession::stats);
}
