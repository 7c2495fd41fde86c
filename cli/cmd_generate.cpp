// atnat generate: a poem from the model in the weight file, the generator picked by the file's arch:
//   gpt   autoregressive: greedy, sample or beam (decode::GenerateRequest); the poem options --acrostic,
//         --blank-text, --layout, --length and --mode are planned as for the NAT poet (decode::PoemRequest,
//         at_request_for) and become forced tokens;
//   cmlm  non-autoregressive mask-predict (--strategy nat), or the hybrid (--strategy hybrid: the CMLM
//         drafts, the AT model of --at-model verifies) (decode::NatRequest).
// The options are the fields of those requests (cli/options.hpp); --request JSON gives a whole request (the
// options then override its fields); --json prints the documents of core/decode/report.hpp, so the CLI
// accepts, rejects and prints exactly what the browser does. --prompts FILE (one FORM<TAB>TEXT per line, as
// `atnat compare` reads them) loads the model once and runs the request once per line with that line's form
// and prompt (models/poet-nat/distill.py); with --json every result is one line.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/cli.hpp"
#include "cli/options.hpp"
#include "core/decode/metrics.hpp"
#include "core/decode/nat.hpp"
#include "core/decode/report.hpp"
#include "core/decode/speculative.hpp"
#include "core/decode/text_model.hpp"

namespace atnat::cli {
namespace {

using nlohmann::json;

constexpr const char* kDefaultAtModel = "models/poet-at";

const std::vector<std::string> kCommon = {"model", "request", "prompts", "json", "events"};

const std::vector<OptionSpec> kOptions = [] {
    std::vector<OptionSpec> o = {
        {"model", "PATH", "the weight file, or a model directory holding model.safetensors"}};
    add_options<decode::GenerateRequest>(o);  // gpt
    add_options<decode::PoemRequest>(o);      // gpt: the poem planned into forced tokens
    add_options<decode::NatRequest>(o);       // cmlm
    o.push_back({"request", "JSON", "a whole request as JSON (the options override its fields)"});
    o.push_back({"prompts", "FILE",
                 "one FORM<TAB>TEXT per line: the request once per line with that form and prompt, the "
                 "model loaded once (--json: one result per line)"});
    o.push_back({"at-model", "PATH",
                 "cmlm: the AT model of the hybrid and of the metrics' perplexity "
                 "(default models/poet-at)"});
    o.push_back({"json", "", "print the result as one JSON object"});
    o.push_back({"events", "", "with --json: print every step's event as a JSON line before the result"});
    return o;
}();

std::vector<std::string> allowed(std::initializer_list<std::vector<std::string>> lists) {
    std::vector<std::string> all;
    for (const auto& l : lists) all.insert(all.end(), l.begin(), l.end());
    return all;
}

// The AT model for the hybrid (required) or for the metrics' perplexity (optional: --at-model, or
// models/poet-at when it exists).
Result<std::optional<decode::TextModel>> at_model(const Args& args, bool required) {
    std::string path = args.get("at-model");
    if (path.empty()) {
        std::error_code ec;
        if (!std::filesystem::exists(kDefaultAtModel, ec)) {
            if (required)
                return make_error("the hybrid needs the AT model: --at-model PATH (default models/poet-at)");
            return std::optional<decode::TextModel>();
        }
        path = kDefaultAtModel;
    }
    auto weights = load_weights(path);
    if (!weights) return make_error(weights.error());
    auto m = decode::TextModel::load(*weights);
    if (!m) return make_error(path + ": " + m.error());
    return std::optional<decode::TextModel>(std::move(*m));
}

// ------------------------------------------------------------------------------------- human output
std::string metrics_line(const decode::RunMetrics& m) {
    char buf[512];
    std::string ppl = "n/a";
    if (m.scored) {
        char p[64];
        std::snprintf(p, sizeof p, "%.1f", m.at_ppl);
        ppl = p;
    }
    std::snprintf(
        buf, sizeof buf,
        "[metrics · %zu chars · %.0f chars/s · AT ppl %s · repetition %.1f%% (%zu/%zu) · distinct-1 "
        "%.1f%% · distinct-2 %.1f%% · cross-line bigrams %.1f%% · form %s]",
        m.chars, m.chars_per_s, ppl.c_str(), 100.0 * m.repetition.rate, m.repetition.repeated,
        m.repetition.pairs, 100.0 * m.distinct_1.rate, 100.0 * m.distinct_2.rate, 100.0 * m.cross_line.rate,
        m.form_check.ok ? "ok" : ("wrong: " + m.form_check.problem).c_str());
    return buf;
}

void print_human(const decode::GenerateResult& r, const decode::GenerateRequest& request) {
    std::string strategy = decode::name_of(r.strategy);
    if (r.strategy == decode::Strategy::beam) strategy.append(" ").append(std::to_string(request.beam));
    char buf[512];
    std::snprintf(
        buf, sizeof buf,
        "[%s · %zu tokens · stop %s · %zu forward passes · %.1f ms (prefill %.2f ms, first token %.2f ms) · "
        "%.0f tokens/s (%.0f after the first) · log p %.2f]",
        strategy.c_str(), r.tokens.size(), decode::name_of(r.stop_reason), r.forward_passes, r.ms,
        r.prefill_ms, r.ttft_ms, r.tokens_per_s, r.decode_tokens_per_s, r.logprob);
    std::cout << r.text << "\n\n" << buf << "\n";
    if (!request.constraints.empty()) {
        std::string forced;
        for (const auto& c : request.constraints)  // appends: GCC 12 warns falsely on " " + std::string
            forced.append(" ")
                .append(std::to_string(c.position))
                .append(":")
                .append(c.text == "\n" ? "\\n" : c.text);
        std::cout << "[forced at" << forced << "]\n";
    }
}

// One line per pass: the slots ("/" for a line break, "·" for <eos>).
std::string pass_line(const decode::NatPass& p) {
    std::string s;
    for (const std::string& t : p.slots) s += t == "\n" ? "/" : t == "<eos>" ? "·" : t;
    char head[64];
    std::snprintf(head, sizeof head, "pass %2zu  predicted %3zu  ", p.pass, p.masked.size());
    return head + s;
}

void print_human(const decode::NatResult& r, const decode::NatRequest&) {
    if (!r.length_candidates.empty()) {
        std::cout << "lengths:";
        for (const auto& c : r.length_candidates) std::printf(" %zu (p %.3f)", c.length, std::exp(c.logprob));
        std::cout << "\n";
    }
    if (r.beams.size() > 1) {
        for (const auto& b : r.beams)
            std::printf("beam L=%zu  avg log p %.3f  %s\n", b.length, b.avg_logprob, b.text.c_str());
    }
    for (const auto& p : r.passes) std::cout << pass_line(p) << "\n";
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "[nat %s · %s · length %zu (%s) · %zu passes (%zu forward) · stop %s · %.1f ms · %.0f "
                  "tokens/s · avg log p %.2f]",
                  decode::name_of(r.mode), r.sample ? "sample" : "argmax", r.length,
                  decode::name_of(r.length_source), r.iterations, r.forward_passes,
                  decode::name_of(r.stop_reason), r.ms, r.tokens_per_s, r.score);
    std::cout << "\n" << r.text << "\n\n" << buf << "\n";
}

void print_human(const decode::HybridResult& r, const decode::NatRequest&) {
    for (const auto& x : r.rounds) {
        std::string draft = x.draft;
        for (char& c : draft) c = c == '\n' ? '/' : c;
        std::printf("round %2zu  NAT %zu passes  accepted %2zu/%-2zu  AT adds %-6s  draft %s\n", x.round,
                    x.nat_passes, x.accepted, x.drafted, x.at_token == "\n" ? "\\n" : x.at_token.c_str(),
                    draft.c_str());
    }
    char buf[512];
    std::snprintf(
        buf, sizeof buf,
        "[hybrid · %zu tokens · stop %s · AT passes %zu (AT greedy: %zu, saved %lld) · NAT passes %zu · "
        "accepted %zu/%zu drafted · %.1f ms · %.0f tokens/s]",
        r.tokens.size(), decode::name_of(r.stop_reason), r.at_passes, r.at_greedy_passes, r.saved_passes,
        r.nat_passes, r.accepted, r.drafted, r.ms, r.tokens_per_s);
    std::cout << "\n" << r.text << "\n\n" << buf << "\n";
}

// ------------------------------------------------------------------------------------------ the run
// Steps a session to the end (--json --events: each event as a JSON line), measures the poem if asked
// (perplexity under `at` when given), and prints the result: JSON (+ "metrics", + extra) or a summary.
template <class S, class Req>
int run_and_print(const Args& args, S& session, const Req& request, bool measure, const std::string& form,
                  const decode::TextModel* at, json extra = json::object()) {
    const bool events = args.flag("json") && args.flag("events");
    Status st = decode::run(session, [&](const auto& event) {
        if (events) std::cout << decode::dump_json(decode::to_json(event)) << "\n" << std::flush;
    });
    if (!st) return fail(st.error());
    const auto& r = session.result();
    std::optional<decode::RunMetrics> metrics;
    if (measure) {
        std::optional<models::TransformerState> state;
        if (at) state = models::make_state(*at->transformer, 0);
        auto m = decode::measure_run(r.text, form, r.ms, r.forward_passes, at, state ? &*state : nullptr);
        if (!m) return fail(m.error());
        metrics = std::move(*m);
    }
    if (args.flag("json")) {
        json j = decode::to_json(r);
        if (metrics) j["metrics"] = decode::to_json(*metrics);
        j.update(extra);
        std::cout << decode::dump_json(j, events || args.has("prompts") ? -1 : 2) << "\n";
        return kExitOk;
    }
    if (!r.unknown_chars.empty()) {
        std::string chars;
        for (const auto& c : r.unknown_chars) chars += c;
        std::cerr << "atnat: note: not in the vocabulary, read as <unk>: " << chars << "\n";
    }
    print_human(r, request);
    if (metrics) std::cout << metrics_line(*metrics) << "\n";
    return kExitOk;
}

// Runs `one` once per line of --prompts FILE (given that line), or once with nullptr without --prompts.
template <class F>
int for_each_prompt(const Args& args, F&& one) {
    if (!args.has("prompts")) return one(nullptr);
    auto prompts = read_prompts(args.get("prompts"));
    if (!prompts) return fail(prompts.error());
    for (size_t i = 0; i < prompts->size(); ++i) {
        const Prompt& p = (*prompts)[i];
        if (!args.flag("json"))
            std::cout << (i ? "\n" : "") << "# " << p.form << " " << terminal_safe(p.text) << "\n";
        if (int rc = one(&p); rc != kExitOk) {
            std::cerr << "atnat: (at prompt " << i + 1 << " of " << terminal_safe(args.get("prompts"))
                      << ")\n";
            return rc;
        }
    }
    return kExitOk;
}

// The request with a --prompts line's form and text (none: as it is).
template <class R>
R with_prompt(R request, const Prompt* line) {
    if (line) {
        request.prompt = line->text;
        request.form = line->form;
    }
    return request;
}

// An autoregressive model. The poem options (acrostic, blank text, layout, length, mode) are planned by the
// core as for the NAT poet and become the request's prompt and forced tokens; the run is then measured.
int run_gpt(const Args& args, const std::string& path, const io::WeightFile& weights) {
    const std::vector<std::string> poem_only = {"mode", "length", "acrostic", "blank-text", "layout"};
    if (Status st = refuse_other_options(
            args,
            allowed({kCommon, option_names<decode::GenerateRequest>(), option_names<decode::PoemRequest>()}),
            "an autoregressive model (" + path + ")");
        !st)
        return usage_fail(st.error());
    bool planned = false;
    for (const std::string& o : poem_only) planned = planned || args.has(o);
    if (planned && args.has("request"))
        return usage_fail("--request cannot be combined with the poem options");
    auto request = read_request<decode::GenerateRequest>(args);
    if (!request) return fail(request.error());
    decode::PoemRequest poem;
    if (Status st = read_options(args, poem); !st) return fail(st.error());
    auto model = decode::TextModel::load(weights);
    if (!model) return fail(path + ": " + model.error());
    return for_each_prompt(args, [&](const Prompt* line) {
        decode::GenerateRequest req = with_prompt(*request, line);
        if (planned) {
            auto constrained = decode::at_request_for(*model, with_prompt(poem, line));
            if (!constrained) return fail(constrained.error());
            req.prompt = constrained->prompt;
            req.form = constrained->form;
            req.constraints = constrained->constraints;
        }
        auto session = decode::start_generation(*model, req);
        if (!session) return fail(session.error());
        json extra = json::object();
        if (planned) extra["constraints"] = decode::json_value(req.constraints);
        return run_and_print(args, *session, req, planned, req.form, &*model, std::move(extra));
    });
}

// A masked-LM poet: mask-predict, or the hybrid with the AT model of --at-model.
int run_cmlm(const Args& args, const std::string& path, const io::WeightFile& weights) {
    if (Status st =
            refuse_other_options(args, allowed({kCommon, {"at-model"}, option_names<decode::NatRequest>()}),
                                 "a non-autoregressive model (" + path + ")");
        !st)
        return usage_fail(st.error());
    auto request = read_request<decode::NatRequest>(args);
    if (!request) return fail(request.error());
    auto model = decode::NatModel::load(weights);
    if (!model) return fail(path + ": " + model.error());
    const bool hybrid = request->strategy == decode::NatStrategy::hybrid;
    auto at = at_model(args, hybrid);
    if (!at) return fail(at.error());
    const decode::TextModel* at_ptr = *at ? &**at : nullptr;
    return for_each_prompt(args, [&](const Prompt* line) {
        const decode::NatRequest req = with_prompt(*request, line);
        if (hybrid) {
            auto session = decode::HybridSession::create(**at, *model, req);
            if (!session) return fail(session.error());
            return run_and_print(args, *session, req, true, session->plan().form, at_ptr);
        }
        auto session = decode::NatSession::create(*model, req);
        if (!session) return fail(session.error());
        return run_and_print(args, *session, req, true, session->plan().form, at_ptr);
    });
}

int run_generate(const Args& args) {
    auto path = model_argument(args);
    if (!path) return fail(path.error());
    if (args.flag("events") && !args.flag("json")) return fail("--events needs --json");
    if (args.has("prompts") && (args.has("prompt") || args.has("form")))
        return usage_fail("--prompts gives every line's form and prompt: leave out --prompt and --form");
    auto weights = load_weights(*path);
    if (!weights) return fail(weights.error());
    const std::string arch = weights->arch();
    if (arch == "gpt") return run_gpt(args, *path, *weights);
    if (arch == "cmlm") return run_cmlm(args, *path, *weights);
    return fail(*path + ": arch '" + arch + "' writes no text (generate reads gpt and cmlm models)");
}

}  // namespace

const Command generate_command = {
    "generate",
    "write a poem: autoregressive (gpt: greedy, sample, beam) or non-autoregressive (cmlm: nat, hybrid)",
    "atnat generate --model PATH [--prompt TEXT] [--form NAME] [--strategy NAME] [options of the model's "
    "requests]\n"
    "       [--request JSON] [--prompts FILE] [--json [--events]]",
    kOptions,
    1,
    run_generate,
};

}  // namespace atnat::cli
