// poet-at speed (native, Google Benchmark): KV-cache decode and batched prefill in tokens/s, and whole
// generation sessions (greedy / sample / beam 4, with the per-token records the UI shows).
//   ./atnat_bench --benchmark_filter=poet_at
// The model is models/poet-at/model.safetensors relative to the working directory, or $ATNAT_POET_AT_MODEL;
// without it every benchmark here is skipped with a message.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "core/decode/text_model.hpp"
#include "core/models/transformer.hpp"

namespace {

using namespace atnat;

struct Loaded {
    std::unique_ptr<decode::TextModel> model;
    std::string error;
};

const Loaded& poet() {
    static const Loaded loaded = [] {
        Loaded l;
        const char* env = std::getenv("ATNAT_POET_AT_MODEL");
        const std::string path = env ? env : "models/poet-at/model.safetensors";
        std::ifstream f(path, std::ios::binary);
        if (!f) {
            l.error = path + " is absent (run from the repository root after models/poet-at/export.py)";
            return l;
        }
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        auto m = decode::TextModel::load(std::move(bytes));
        if (!m) {
            l.error = path + ": " + m.error();
            return l;
        }
        l.model = std::make_unique<decode::TextModel>(std::move(*m));
        return l;
    }();
    return loaded;
}

// Token ids that look like a poem: <bos> <form> then ordinary characters.
std::vector<int32_t> poem_tokens(const decode::TextModel& m, size_t n) {
    std::vector<int32_t> t = {m.tokenizer->bos(), m.form_id("wuyan-lvshi").value_or(m.tokenizer->bos())};
    const size_t V = m.transformer->config.vocab_size;
    for (size_t i = 0; t.size() < n; ++i) t.push_back(int32_t(15 + (i * 37) % (V - 15)));
    t.resize(n);
    return t;
}

// Decode: prefill <bos> <form> 春, then feed `range(0)` tokens one at a time through the KV cache (GEMV
// path).
void poet_at_decode(benchmark::State& state) {
    const Loaded& p = poet();
    if (!p.model) return state.SkipWithError(p.error.c_str());
    const auto& tf = *p.model->transformer;
    const size_t steps = size_t(state.range(0));
    const auto tokens = poem_tokens(*p.model, 3 + steps);
    auto s = models::make_state(tf);
    for (auto _ : state) {
        auto last = models::prefill(tf, s, std::span<const int32_t>(tokens.data(), 3));
        for (size_t i = 3; i < tokens.size(); ++i) {
            auto lg = models::forward_token(tf, s, tokens[i], i);
            benchmark::DoNotOptimize(lg->data());
        }
        benchmark::DoNotOptimize(last->data());
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(steps));  // items/s = decode tokens/s
}

// Prefill: one batched pass (GEMM) over `range(0)` prompt tokens.
void poet_at_prefill(benchmark::State& state) {
    const Loaded& p = poet();
    if (!p.model) return state.SkipWithError(p.error.c_str());
    const auto& tf = *p.model->transformer;
    const auto tokens = poem_tokens(*p.model, size_t(state.range(0)));
    auto s = models::make_state(tf);
    for (auto _ : state) {
        auto last = models::prefill(tf, s, tokens);
        benchmark::DoNotOptimize(last->data());
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * state.range(0));
}

// Scoring: every position's logits in one pass (forward_all).
void poet_at_forward_all(benchmark::State& state) {
    const Loaded& p = poet();
    if (!p.model) return state.SkipWithError(p.error.c_str());
    const auto& tf = *p.model->transformer;
    const auto tokens = poem_tokens(*p.model, size_t(state.range(0)));
    auto s = models::make_state(tf);
    for (auto _ : state) {
        auto all = models::forward_all(tf, s, tokens);
        benchmark::DoNotOptimize(all->data());
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * state.range(0));
}

// A whole session as the browser runs it (prompt 春, wuyan-lvshi, at most 64 tokens; it may stop earlier at
// eos, so items/s counts the tokens it generated), per-token records and top-5 included.
void poet_at_session(benchmark::State& state, decode::Strategy strategy) {
    const Loaded& p = poet();
    if (!p.model) return state.SkipWithError(p.error.c_str());
    decode::GenerateRequest req;
    req.prompt = "春";
    req.form = "wuyan-lvshi";
    req.strategy = strategy;
    req.max_tokens = 64;
    req.top_k = 40;
    req.temperature = 0.9f;
    req.beam = 4;
    int64_t tokens = 0;
    for (auto _ : state) {
        req.seed++;
        auto r = decode::run_to_end(decode::start_generation(*p.model, req));
        if (!r) return state.SkipWithError(r.error().c_str());
        tokens += int64_t(r->tokens.size());
    }
    state.SetItemsProcessed(tokens);
}

BENCHMARK(poet_at_decode)->Arg(32)->Arg(125)->Unit(benchmark::kMillisecond);
BENCHMARK(poet_at_prefill)->Arg(16)->Arg(64)->Arg(128)->Unit(benchmark::kMillisecond);
BENCHMARK(poet_at_forward_all)->Arg(64)->Arg(128)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(poet_at_session, greedy, decode::Strategy::greedy)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(poet_at_session, sample, decode::Strategy::sample)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(poet_at_session, beam4, decode::Strategy::beam)->Unit(benchmark::kMillisecond);

}  // namespace
