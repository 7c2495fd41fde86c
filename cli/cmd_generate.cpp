// atnat generate: write a poem with an autoregressive model (greedy, sampling or beam search).
// The options become a JSON generate request parsed by core/decode/report.hpp, so the CLI accepts and rejects
// exactly what the browser does, and --json prints the same result document.
#include <cstdio>
#include <iostream>

#include "cli/cli.hpp"
#include "core/decode/report.hpp"
#include "core/decode/text_model.hpp"
#include "core/io/json.hpp"

namespace atnat::cli {
namespace {

using nlohmann::json;

constexpr OptionSpec kOptions[] = {
    {"model", "PATH", "the weight file, or a model directory holding model.safetensors"},
    {"prompt", "TEXT", "the start of the poem (default: empty); \\n in TEXT is a line break"},
    {"form", "NAME", "the poem form, e.g. wuyan-jueju (default: free)"},
    {"strategy", "NAME", "greedy (default), sample, beam; nat or hybrid (cli/cmd_nat.cpp)"},
    {"temperature", "T", "sample: softmax temperature > 0 (default 1)"},
    {"top-k", "K", "sample: keep the K most probable tokens (0 = off, default)"},
    {"top-p", "P", "sample: nucleus, keep the smallest set with mass >= P, in (0, 1] (default 1)"},
    {"repetition-penalty", "R", "CTRL penalty on tokens already present (1 = off, default)"},
    {"beam", "W", "beam: width 1..8 (default 4)"},
    {"length-penalty", "A", "beam: score = log p / length^A (default 1)"},
    {"seed", "N", "sample: random seed (default 0)"},
    {"max-tokens", "N", "generate at most N tokens (default: the model's context)"},
    {"request", "JSON", "a whole generate request as JSON (the other generation options are then refused)"},
    {"json", "", "print the result as one JSON object"},
    {"events", "", "with --json: print every step's event as a JSON line before the result"},
    // nat / hybrid (cli/cmd_nat.cpp: --strategy nat|hybrid, or a model of arch "cmlm")
    {"iterations", "T", "nat: mask-predict passes 1..100 (default 10; hybrid: per draft)"},
    {"length", "L", "nat: auto (length head, default), form, or a number of tokens"},
    {"length-beam", "K", "nat: decode the K most probable lengths, keep the best (default 1)"},
    {"mode", "NAME", "nat: length (default) or fixed (N masks, cut at the first <eos>)"},
    {"decoding", "NAME", "nat: argmax (default) or sample (--temperature, --top-k, --top-p, --seed)"},
    {"acrostic", "TEXT", "nat/hybrid: the first character of every line (a regular --form)"},
    {"blank-text", "TEXT", "nat/hybrid: the whole poem with blanks (_ or □) for the model to fill"},
    {"layout", "", "nat/hybrid: give the form's punctuation and line breaks"},
    {"at-model", "PATH", "hybrid (and nat metrics): the AT model (default models/poet-at)"},
};

// Unescape "\n" typed on a command line.
std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
            out += '\n';
            ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

Result<json> request_json(const Args& args) {
    static const char* const generation[] = {"prompt",         "form",  "strategy",           "temperature",
                                             "top-k",          "top-p", "repetition-penalty", "beam",
                                             "length-penalty", "seed",  "max-tokens"};
    if (args.has("request")) {
        for (const char* o : generation) {
            if (args.has(o)) return make_error(std::string("--") + o + " cannot be combined with --request");
        }
        return atnat::io::parse_json(args.get("request"), "--request");
    }
    json j = json::object();
    for (const char* o : generation) {
        if (!args.has(o)) continue;
        std::string key = o;
        for (char& c : key) c = c == '-' ? '_' : c;
        const std::string v = args.get(o);
        if (key == "prompt") {
            j[key] = unescape(v);
        } else if (key == "form" || key == "strategy") {
            j[key] = v;
        } else if (key == "top_k" || key == "beam" || key == "max_tokens" || key == "seed") {
            auto n = args.get_int(o, 0, INT64_MIN, INT64_MAX);
            if (!n) return make_error(n.error());
            j[key] = *n;
        } else {
            auto x = args.get_float(o, 0, -1e30, 1e30);
            if (!x) return make_error(x.error());
            j[key] = *x;
        }
    }
    return j;
}

std::string stats_line(const decode::GenerateResult& r, const decode::GenerationSession& s) {
    char buf[512];
    std::string strategy = decode::strategy_name(r.strategy);
    if (r.strategy == decode::Strategy::beam) strategy += " " + std::to_string(s.options().beam_width);
    std::snprintf(
        buf, sizeof buf,
        "[%s · %zu tokens · stop %s · %zu forward passes · %.1f ms (prefill %.2f ms, first token %.2f ms) · "
        "%.0f tokens/s (%.0f after the first) · log p %.2f]",
        strategy.c_str(), r.tokens.size(), decode::stop_reason_name(r.stop_reason), r.forward_passes, r.ms,
        r.prefill_ms, r.ttft_ms, r.tokens_per_s, r.decode_tokens_per_s, r.logprob);
    return buf;
}

int run_generate(const Args& args) {
    if (nat_generate_wanted(args)) return run_nat_generate(args);  // cli/cmd_nat.cpp
    auto path = model_argument(args);
    if (!path) return fail(path.error());
    if (args.flag("events") && !args.flag("json")) return fail("--events needs --json");
    auto j = request_json(args);
    if (!j) return fail(j.error());
    auto request = decode::request_from_json(*j);
    if (!request) return fail(request.error());
    auto weights = load_weights(*path);
    if (!weights) return fail(weights.error());
    auto model = decode::TextModel::load(*weights);
    if (!model) return fail(*path + ": " + model.error());
    auto session = decode::start_generation(*model, *request);
    if (!session) return fail(session.error());
    while (!session->done()) {
        auto ev = session->step();
        if (!ev) return fail(ev.error());
        if (args.flag("events")) std::cout << decode::dump_json(decode::to_json(*ev)) << "\n" << std::flush;
    }
    const auto& r = session->result();
    if (args.flag("json")) {
        std::cout << decode::dump_json(decode::to_json(r), args.flag("events") ? -1 : 2) << "\n";
        return kExitOk;
    }
    if (!r.unknown_chars.empty()) {
        std::string chars;
        for (const auto& c : r.unknown_chars) chars += c;
        std::cerr << "atnat: note: not in the vocabulary, read as <unk>: " << chars << "\n";
    }
    std::cout << r.text << "\n\n" << stats_line(r, *session) << "\n";
    return kExitOk;
}

}  // namespace

const Command generate_command = {
    "generate",
    "write a poem with an autoregressive model (greedy, sample, beam)",
    "atnat generate --model PATH [--prompt TEXT] [--form NAME] [--strategy greedy|sample|beam] "
    "[--temperature T]\n"
    "       [--top-k K] [--top-p P] [--repetition-penalty R] [--beam W] [--length-penalty A] [--seed N]\n"
    "       [--max-tokens N] [--request JSON] [--json [--events]]",
    kOptions,
    1,
    run_generate,
};

}  // namespace atnat::cli
