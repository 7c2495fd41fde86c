// atnat generate with a non-autoregressive model (--strategy nat, or any model of arch "cmlm"), the hybrid
// (--strategy hybrid: poet-nat drafts, poet-at verifies), and an AT model given the NAT-style constraints
// (--acrostic, --blank-text, --layout, --length: forced tokens). cmd_generate.cpp hands these runs over here.
// The options become a JSON request parsed by core/decode/nat_report.hpp, so the CLI accepts and rejects
// exactly what the browser does, and --json prints the same documents (plus "metrics").
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/cli.hpp"
#include "core/decode/metrics.hpp"
#include "core/decode/nat.hpp"
#include "core/decode/nat_report.hpp"
#include "core/decode/report.hpp"
#include "core/decode/speculative.hpp"
#include "core/decode/text_model.hpp"
#include "core/io/json.hpp"

namespace atnat::cli {
namespace {

using nlohmann::json;

constexpr const char* kDefaultAtModel = "models/poet-at";

// Options that send generate here (NAT decoding, or NAT-style constraints for an AT model) / AT-only options.
constexpr const char* kHandledHere[] = {"iterations", "length",     "length-beam", "mode",
                                        "acrostic",   "blank-text", "layout",      "decoding"};
constexpr const char* kAtOnly[] = {"beam", "length-penalty", "repetition-penalty", "max-tokens"};

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

// The arch in a weight file's header, without reading the tensors ("" if unreadable).
std::string peek_arch(const std::string& path) {
    auto file = resolve_model_path(path);
    std::error_code ec;
    if (!file || !std::filesystem::is_regular_file(*file, ec)) return "";  // never open a FIFO or a device
    std::FILE* f = std::fopen(file->c_str(), "rb");
    if (!f) return "";
    unsigned char n8[8];
    std::string header;
    if (std::fread(n8, 1, 8, f) == 8) {
        uint64_t n = 0;
        for (int i = 7; i >= 0; --i) n = (n << 8) | n8[i];
        if (n < (1u << 24)) {
            header.resize(size_t(n));
            if (std::fread(header.data(), 1, header.size(), f) != header.size()) header.clear();
        }
    }
    std::fclose(f);
    const auto h = atnat::io::parse_json(header, "header");
    if (!h || !h->is_object()) return "";
    const auto meta = h->find("__metadata__");
    if (meta == h->end() || !meta->is_object()) return "";
    const auto arch = meta->find("arch");  // a const operator[] on a missing key is undefined behaviour
    return arch != meta->end() && arch->is_string() ? arch->get<std::string>() : "";
}

Result<json> request_json(const Args& args) {
    static const char* const options[] = {"prompt",      "form",  "strategy", "iterations", "length",
                                          "length-beam", "mode",  "acrostic", "blank-text", "decoding",
                                          "temperature", "top-k", "top-p",    "seed"};
    for (const char* o : kAtOnly) {
        if (args.has(o))
            return make_error(std::string("--") + o + " is an autoregressive setting (not for nat/hybrid)");
    }
    if (args.has("request")) {
        for (const char* o : options) {
            if (args.has(o) && std::string_view(o) != "strategy")
                return make_error(std::string("--") + o + " cannot be combined with --request");
        }
        if (args.has("layout")) return make_error("--layout cannot be combined with --request");
        auto j = atnat::io::parse_json(args.get("request"), "--request");
        if (j && args.has("strategy") && j->is_object()) (*j)["strategy"] = args.get("strategy");
        return j;
    }
    json j = json::object();
    for (const char* o : options) {
        if (!args.has(o)) continue;
        std::string key = o;
        for (char& c : key) c = c == '-' ? '_' : c;
        const std::string v = args.get(o);
        if (key == "prompt" || key == "blank_text") {
            j[key] = unescape(v);
        } else if (key == "length") {
            if (v == "auto" || v == "form") {
                j[key] = v;
            } else {
                auto n = args.get_int(o, 0, 1, 1 << 20);
                if (!n) return make_error("--length must be auto, form or a number of tokens: " + n.error());
                j[key] = *n;
            }
        } else if (key == "iterations" || key == "length_beam" || key == "top_k" || key == "seed") {
            auto n = args.get_int(o, 0, INT64_MIN, INT64_MAX);
            if (!n) return make_error(n.error());
            j[key] = *n;
        } else if (key == "temperature" || key == "top_p") {
            auto x = args.get_float(o, 0, -1e30, 1e30);
            if (!x) return make_error(x.error());
            j[key] = *x;
        } else {
            j[key] = v;
        }
    }
    if (args.flag("layout")) j["layout"] = true;
    if (!j.contains("strategy")) j["strategy"] = "nat";
    return j;
}

// The AT model for the hybrid (required) or for the metrics' perplexity (optional: --at-model or
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

std::string metrics_line(const decode::RunMetrics& m) {
    char buf[512];
    std::string ppl = m.scored ? "" : "n/a";
    if (m.scored) {
        char p[64];
        std::snprintf(p, sizeof p, "%.1f", m.at_ppl);
        ppl = p;
    }
    std::snprintf(buf, sizeof buf,
                  "[metrics · %zu chars · %.0f chars/s · AT ppl %s · repetition %.1f%% (%zu/%zu) · form %s]",
                  m.chars, m.chars_per_s, ppl.c_str(), 100.0 * m.repetition.rate, m.repetition.repeated,
                  m.repetition.pairs, m.form_check.ok ? "ok" : ("wrong: " + m.form_check.problem).c_str());
    return buf;
}

// One line per pass: the slots, "＿" where the pass predicted ("[X]" marks them).
std::string pass_line(const decode::NatPass& p) {
    std::string s;
    std::vector<uint8_t> fresh(p.slots.size(), 0);
    for (size_t i : p.masked) {
        if (i < fresh.size()) fresh[i] = 1;
    }
    for (size_t i = 0; i < p.slots.size(); ++i) {
        const std::string& t = p.slots[i];
        const std::string shown = t == "\n" ? "/" : t == "<eos>" ? "·" : t;
        s += shown;
    }
    char head[64];
    std::snprintf(head, sizeof head, "pass %2zu  predicted %3zu  ", p.pass, p.masked.size());
    return head + s;
}

int run_nat(const Args& args, const std::string& path, const decode::NatRequest& request) {
    auto weights = load_weights(path);
    if (!weights) return fail(weights.error());
    auto model = decode::NatModel::load(*weights);
    if (!model) return fail(path + ": " + model.error());
    auto at = at_model(args, false);
    if (!at) return fail(at.error());
    auto session = decode::NatSession::create(*model, request);
    if (!session) return fail(session.error());
    const bool as_json = args.flag("json");
    while (!session->done()) {
        auto ev = session->step();
        if (!ev) return fail(ev.error());
        if (as_json && args.flag("events"))
            std::cout << decode::dump_json(decode::to_json(*ev)) << "\n" << std::flush;
    }
    const auto& r = session->result();
    std::optional<models::TransformerState> state;
    if (*at) state = models::make_state(*(*at)->transformer, 0);
    auto metrics = decode::measure_run(r.text, session->plan().form, r.ms, r.forward_passes,
                                       *at ? &**at : nullptr, state ? &*state : nullptr);
    if (!metrics) return fail(metrics.error());
    if (as_json) {
        json j = decode::to_json(r);
        j["metrics"] = decode::to_json(*metrics);
        std::cout << decode::dump_json(j, args.flag("events") ? -1 : 2) << "\n";
        return kExitOk;
    }
    if (!r.unknown_chars.empty()) {
        std::string chars;
        for (const auto& c : r.unknown_chars) chars += c;
        std::cerr << "atnat: note: not in the vocabulary, read as <unk>: " << chars << "\n";
    }
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
    std::snprintf(
        buf, sizeof buf,
        "[nat %s · %s · length %zu (%s) · %zu passes (%zu forward) · stop %s · %.1f ms · %.0f tokens/s · "
        "avg log p %.2f]",
        decode::nat_mode_name(r.mode), r.sample ? "sample" : "argmax", r.length,
        decode::length_source_name(r.length_source), r.iterations, r.forward_passes,
        decode::nat_stop_name(r.stop_reason), r.ms, r.tokens_per_s, r.score);
    std::cout << "\n" << r.text << "\n\n" << buf << "\n" << metrics_line(*metrics) << "\n";
    return kExitOk;
}

int run_hybrid(const Args& args, const std::string& path, const decode::NatRequest& request) {
    auto weights = load_weights(path);
    if (!weights) return fail(weights.error());
    auto model = decode::NatModel::load(*weights);
    if (!model) return fail(path + ": " + model.error());
    auto at = at_model(args, true);
    if (!at) return fail(at.error());
    auto session = decode::HybridSession::create(**at, *model, request);
    if (!session) return fail(session.error());
    const bool as_json = args.flag("json");
    while (!session->done()) {
        auto ev = session->step();
        if (!ev) return fail(ev.error());
        if (as_json && args.flag("events"))
            std::cout << decode::dump_json(decode::to_json(*ev)) << "\n" << std::flush;
    }
    const auto& r = session->result();
    auto state = models::make_state(*(*at)->transformer, 0);
    auto metrics = decode::measure_run(r.text, session->plan().form, r.ms, r.forward_passes, &**at, &state);
    if (!metrics) return fail(metrics.error());
    if (as_json) {
        json j = decode::to_json(r);
        j["metrics"] = decode::to_json(*metrics);
        std::cout << decode::dump_json(j, args.flag("events") ? -1 : 2) << "\n";
        return kExitOk;
    }
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
        r.tokens.size(), decode::stop_reason_name(r.stop_reason), r.at_passes, r.at_greedy_passes,
        r.saved_passes, r.nat_passes, r.accepted, r.drafted, r.ms, r.tokens_per_s);
    std::cout << "\n" << r.text << "\n\n" << buf << "\n" << metrics_line(*metrics) << "\n";
    return kExitOk;
}

// An AT model (arch "gpt") asked for NAT-style constraints (--acrostic, --blank-text, --layout, --length):
// the same plan as the NAT side (decode::at_request_for), decoded by the AT strategy of --strategy.
int run_at_constrained(const Args& args, const std::string& path) {
    for (const char* o : {"iterations", "length-beam", "mode", "decoding", "at-model", "request"}) {
        if (args.has(o))
            return fail(std::string("--") + o + " is not an AT setting (an AT model: " + path + ")");
    }
    json at = json::object();  // the AT decoding options, checked by report.hpp like generate's own
    for (const char* o : {"strategy", "temperature", "top-k", "top-p", "repetition-penalty", "beam",
                          "length-penalty", "seed", "max-tokens"}) {
        if (!args.has(o)) continue;
        std::string key = o;
        for (char& c : key) c = c == '-' ? '_' : c;
        if (key == "strategy") {
            at[key] = args.get(o);
        } else if (key == "top_k" || key == "beam" || key == "max_tokens" || key == "seed") {
            auto n = args.get_int(o, 0, INT64_MIN, INT64_MAX);
            if (!n) return fail(n.error());
            at[key] = *n;
        } else {
            auto x = args.get_float(o, 0, -1e30, 1e30);
            if (!x) return fail(x.error());
            at[key] = *x;
        }
    }
    auto request = decode::request_from_json(at);
    if (!request) return fail(request.error());
    json poem = json::object();
    for (const char* o : {"prompt", "form", "acrostic", "blank-text"}) {
        std::string key = o;
        for (char& c : key) c = c == '-' ? '_' : c;
        if (args.has(o)) poem[key] = unescape(args.get(o));
    }
    if (args.has("length")) {
        const std::string v = args.get("length");
        if (v == "auto" || v == "form") {
            poem["length"] = v;
        } else {
            auto n = args.get_int("length", 0, 1, 1 << 20);
            if (!n) return fail("--length must be auto, form or a number of tokens: " + n.error());
            poem["length"] = *n;
        }
    }
    if (args.flag("layout")) poem["layout"] = true;
    auto nat_request = decode::nat_request_from_json(poem);
    if (!nat_request) return fail(nat_request.error());
    auto weights = load_weights(path);
    if (!weights) return fail(weights.error());
    auto model = decode::TextModel::load(*weights);
    if (!model) return fail(path + ": " + model.error());
    auto constrained = decode::at_request_for(*model, *nat_request);
    if (!constrained) return fail(constrained.error());
    request->prompt = constrained->prompt;
    request->form = constrained->form;
    request->constraints = constrained->constraints;
    auto session = decode::start_generation(*model, *request);
    if (!session) return fail(session.error());
    while (!session->done()) {
        auto ev = session->step();
        if (!ev) return fail(ev.error());
        if (args.flag("json") && args.flag("events"))
            std::cout << decode::dump_json(decode::to_json(*ev)) << "\n" << std::flush;
    }
    const auto& r = session->result();
    auto state = models::make_state(*model->transformer, 0);
    auto metrics = decode::measure_run(r.text, request->form, r.ms, r.forward_passes, &*model, &state);
    if (!metrics) return fail(metrics.error());
    if (args.flag("json")) {
        json j = decode::to_json(r);
        j["metrics"] = decode::to_json(*metrics);
        j["constraints"] = decode::to_json(*request)["constraints"];
        std::cout << decode::dump_json(j, args.flag("events") ? -1 : 2) << "\n";
        return kExitOk;
    }
    std::string forced;
    for (const auto& c : request->constraints)
        forced += " " + std::to_string(c.position) + ":" + (c.text == "\n" ? "\\n" : c.text);
    char buf[512];
    std::snprintf(buf, sizeof buf, "[%s · %zu tokens · stop %s · %zu forward passes · %.1f ms · forced at%s]",
                  decode::strategy_name(r.strategy), r.tokens.size(), decode::stop_reason_name(r.stop_reason),
                  r.forward_passes, r.ms, forced.empty() ? " none" : forced.c_str());
    std::cout << r.text << "\n\n" << buf << "\n" << metrics_line(*metrics) << "\n";
    return kExitOk;
}

}  // namespace

bool nat_generate_wanted(const Args& args) {
    const std::string strategy = args.get("strategy");
    if (strategy == "nat" || strategy == "hybrid") return true;
    for (const char* o : kHandledHere) {
        if (args.has(o)) return true;
    }
    auto path = model_argument(args);
    return path && peek_arch(*path) == "cmlm";
}

int run_nat_generate(const Args& args) {
    auto path = model_argument(args);
    if (!path) return fail(path.error());
    if (args.flag("events") && !args.flag("json")) return fail("--events needs --json");
    const std::string strategy = args.get("strategy");
    if (peek_arch(*path) == "gpt" && strategy != "nat" && strategy != "hybrid")
        return run_at_constrained(args, *path);
    auto j = request_json(args);
    if (!j) return fail(j.error());
    auto request = decode::nat_request_from_json(*j);
    if (!request) return fail(request.error());
    return request->strategy == decode::NatStrategy::hybrid ? run_hybrid(args, *path, *request)
                                                            : run_nat(args, *path, *request);
}

}  // namespace atnat::cli
