// The one file of Embind glue: handle objects over the core, errors handed to JS as values.
// Bytes cross from JS once (a typed-array copy into the wasm heap); everything else is small.
#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <emscripten/stack.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/decode/metrics.hpp"
#include "core/decode/nat.hpp"
#include "core/decode/pixels.hpp"
#include "core/decode/pronounce.hpp"
#include "core/decode/report.hpp"
#include "core/decode/request.hpp"
#include "core/decode/session.hpp"
#include "core/decode/speculative.hpp"
#include "core/decode/text_model.hpp"
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

// Any generator's session (the contract of core/decode/session.hpp: text and images alike) with JSON events
// and results, stepped in batches so that a run crosses the wasm boundary once per batch, not once per token.
// JS: `while (!s.done()) events.push(...JSON.parse(s.steps(n, ms))); s.result()`; an image session also
// shows its pixels so far (image(): a Uint8Array view into the wasm heap, valid until the next step; empty
// for text).
class JsSession {
public:
    template <class S>
    explicit JsSession(S session) : impl_(std::make_unique<Impl<S>>(std::move(session))) {}
    bool done() const { return impl_->done(); }
    // Steps until the session is done, max_events events are made, or max_ms have passed (at least one step
    // when not done); returns the events as one JSON array.
    std::string steps(int max_events, double max_ms) {
        using Clock = std::chrono::steady_clock;
        const auto start = Clock::now();
        nlohmann::json events = nlohmann::json::array();
        while (!impl_->done() && int(events.size()) < max_events &&
               (events.empty() || atnat::decode::to_ms(Clock::now() - start) < max_ms)) {
            auto event = impl_->step();
            if (!event) return fail(event.error());
            events.push_back(std::move(*event));
        }
        return atnat::decode::dump_json(events);
    }
    void cancel() { impl_->cancel(); }
    std::string result() const { return atnat::decode::dump_json(impl_->result()); }
    val image() const {
        const std::span<const uint8_t> pixels = impl_->pixels();
        return val(emscripten::typed_memory_view(pixels.size(), pixels.data()));
    }

private:
    struct Base {
        virtual ~Base() = default;
        virtual bool done() const = 0;
        virtual atnat::Result<nlohmann::json> step() = 0;
        virtual void cancel() = 0;
        virtual nlohmann::json result() const = 0;
        virtual std::span<const uint8_t> pixels() const = 0;
    };
    template <class S>
    struct Impl final : Base {
        explicit Impl(S s) : session(std::move(s)) {}
        bool done() const override { return session.done(); }
        atnat::Result<nlohmann::json> step() override {
            auto event = session.step();
            if (!event) return atnat::make_error(event.error());
            return atnat::decode::to_json(*event);
        }
        void cancel() override { session.cancel(); }
        nlohmann::json result() const override { return atnat::decode::to_json(session.result()); }
        std::span<const uint8_t> pixels() const override {
            if constexpr (requires { session.pixels(); }) {
                return session.pixels();
            } else {
                return {};
            }
        }
        S session;
    };
    std::unique_ptr<Base> impl_;
};

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

    // request: the generate request (core/decode/text_model.hpp) as JSON (core/decode/request.hpp).
    JsSession* start(const std::string& request_json) const {
        auto request = atnat::decode::request_from_json_text<atnat::decode::GenerateRequest>(request_json);
        if (!request) return fail(request.error());
        auto session = atnat::decode::start_generation(model_, *request);
        if (!session) return fail(session.error());
        return new JsSession(std::move(*session));
    }

    // A poem request (core/decode/poem_plan.hpp: prompt, form, constraints, acrostic, blank_text, layout,
    // length) planned for this model: the generate request that honours it (its prompt, form, constraints).
    std::string plan(const std::string& request_json) const {
        auto poem = atnat::decode::request_from_json_text<atnat::decode::PoemRequest>(request_json);
        if (!poem) return fail(poem.error());
        auto request = atnat::decode::at_request_for(model_, *poem);
        if (!request) return fail(request.error());
        return atnat::decode::dump_json(atnat::decode::to_json(*request));
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
    // request: the NAT request (core/decode/poem_plan.hpp) as JSON (core/decode/request.hpp).
    JsSession* start(const std::string& request_json) const {
        auto request = atnat::decode::request_from_json_text<atnat::decode::NatRequest>(request_json);
        if (!request) return fail(request.error());
        auto session = atnat::decode::NatSession::create(model_, *request);
        if (!session) return fail(session.error());
        return new JsSession(std::move(*session));
    }
    JsSession* start_hybrid(const JsTextModel& at, const std::string& request_json) const {
        auto request = atnat::decode::request_from_json_text<atnat::decode::NatRequest>(request_json);
        if (!request) return fail(request.error());
        auto session = atnat::decode::HybridSession::create(at.model(), model_, *request);
        if (!session) return fail(session.error());
        return new JsSession(std::move(*session));
    }

private:
    explicit JsNatModel(atnat::decode::NatModel m) : model_(std::move(m)) {}
    atnat::decode::NatModel model_;
};

// The pronunciation model (arch "g2p"): one word through the AT or the NAT decoder.
class JsPronounceModel {
public:
    static JsPronounceModel* create(const JsWeightFile& file) {
        auto model = atnat::decode::PronounceModel::load(file.file());
        if (!model) return fail(model.error());
        return new JsPronounceModel(std::move(*model));
    }
    std::string info() const {
        const auto& c = model_.seq2seq->config;
        return nlohmann::json{{"max_letters", c.max_letters},
                              {"max_phonemes", c.max_phonemes},
                              {"layers", c.dec_layers},
                              {"heads", c.n_heads}}
            .dump();
    }
    // request: the pronounce request (core/decode/pronounce.hpp) as JSON (core/decode/request.hpp).
    JsSession* start(const std::string& request_json) const {
        auto request = atnat::decode::request_from_json_text<atnat::decode::PronounceRequest>(request_json);
        if (!request) return fail(request.error());
        auto session = atnat::decode::PronounceSession::create(model_, *request);
        if (!session) return fail(session.error());
        return new JsSession(std::move(*session));
    }

private:
    explicit JsPronounceModel(atnat::decode::PronounceModel m) : model_(std::move(m)) {}
    atnat::decode::PronounceModel model_;
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
    // request: the image request (core/decode/pixels.hpp) as JSON: class, seed, temperature, greedy, method.
    JsSession* start(const std::string& request_json) const {
        auto request = atnat::decode::request_from_json_text<atnat::decode::ImageRequest>(request_json);
        if (!request) return fail(request.error());
        auto sampler = atnat::decode::RasterSampler::create(model_, request->method, request->sampling,
                                                            request->max_memory);
        if (!sampler) return fail(sampler.error());
        return new JsSession(std::move(*sampler));
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
    // request: the image request (core/decode/pixels.hpp) as JSON: class, seed, temperature, greedy, steps,
    // gumbel.
    JsSession* start(const std::string& request_json) const {
        auto request = atnat::decode::request_from_json_text<atnat::decode::ImageRequest>(request_json);
        if (!request) return fail(request.error());
        auto sampler = atnat::decode::MaskPredictSampler::create(model_, request->steps, request->sampling,
                                                                 request->gumbel, request->max_memory);
        if (!sampler) return fail(sampler.error());
        return new JsSession(std::move(*sampler));
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
        .function("plan", &JsTextModel::plan)
        .function("score", &JsTextModel::score)
        .function("metrics", &JsTextModel::metrics);
    emscripten::class_<JsNatModel>("NatModel")
        .constructor(&JsNatModel::create, emscripten::allow_raw_pointers())
        .function("info", &JsNatModel::info)
        .function("start", &JsNatModel::start, emscripten::allow_raw_pointers())
        .function("start_hybrid", &JsNatModel::start_hybrid, emscripten::allow_raw_pointers());
    emscripten::class_<JsPronounceModel>("PronounceModel")
        .constructor(&JsPronounceModel::create, emscripten::allow_raw_pointers())
        .function("info", &JsPronounceModel::info)
        .function("start", &JsPronounceModel::start, emscripten::allow_raw_pointers());
    emscripten::class_<JsSession>("Session")
        .function("done", &JsSession::done)
        .function("steps", &JsSession::steps)
        .function("cancel", &JsSession::cancel)
        .function("result", &JsSession::result)
        .function("image", &JsSession::image);
    emscripten::class_<JsPixelCNN>("PixelCNN")
        .constructor(&JsPixelCNN::create, emscripten::allow_raw_pointers())
        .function("info", &JsPixelCNN::info)
        .function("start", &JsPixelCNN::start, emscripten::allow_raw_pointers());
    emscripten::class_<JsPixNAT>("PixNAT")
        .constructor(&JsPixNAT::create, emscripten::allow_raw_pointers())
        .function("info", &JsPixNAT::info)
        .function("start", &JsPixNAT::start, emscripten::allow_raw_pointers());
}
