// atnat compare: AT vs NAT vs the hybrid over a prompt file, one averaged table.
//
// For every prompt ("FORM<TAB>first line", models/data/poetry/test_prompts.txt) it runs
//   AT greedy · AT sample (temperature 1, seed = --seed + prompt index) ·
//   NAT length mode (length head, argmax) with T = 1, 2, 4, 10 · NAT T = 10 with a length beam of 3 ·
//   NAT fixed mode (strategy 1: N masks, cut at the first <eos>) with T = 1, 10 ·
//   NAT length mode drawing every pick at --nat-temperature (seed = --seed + prompt index), T = 1, 4, 10 ·
//   NAT length mode with the repetition penalty --nat-penalty on the canvas (nat.hpp): argmax T = 1, 4, 10,
//   and drawn at --nat-temperature T = 4 (the page's NAT default) · the same penalty with prompt guidance
//   --nat-guidance (nat.hpp: each pass contrasted with a prompt-blind one), argmax T = 1, 4, 10 ·
//   the hybrid (NAT drafts with --draft-iterations passes, AT verifies --draft-tokens of each draft)
// and measures each output with core/decode/metrics.hpp. Columns (averaged over prompts unless noted):
//   ms, forward passes (model calls, the NAT length pass included), chars/s (total poem characters / total
//   seconds), AT-ppl (poet-at's corpus perplexity of the outputs: exp(Σ NLL / Σ tokens) over c1 .. cN
//   <eos>), repetition (Σ identical neighbouring character pairs / Σ pairs), form-correct (share of outputs
//   whose line count, line lengths and punctuation match the prompt's form), distinct-1 and distinct-2
//   (Σ per-poem distinct characters / bigrams / Σ characters / bigrams, n-grams inside a line), cross-line
//   (Σ bigrams that also occur in another line of their poem / Σ bigrams), same ending (the share of prompts
//   whose output ends with the most common closing couplet, closing_couplet(); the couplet is printed below).
// With --references (the prompts' poems in full, models/data/poetry/test_poems.txt) a last row measures the
// real poems the same way: what a human poem scores on each measure (no time or passes).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>

#include "cli/cli.hpp"
#include "core/decode/metrics.hpp"
#include "core/decode/nat.hpp"
#include "core/decode/report.hpp"
#include "core/decode/speculative.hpp"
#include "core/decode/text_model.hpp"

namespace atnat::cli {
namespace {

using nlohmann::json;

// The NAT rows' repetition penalty unless --nat-penalty says: the page's default (web/panels/text.js),
// chosen by measurement (models/poet-nat/compare.md, "The repetition penalty").
constexpr double kNatPenalty = 1.5;
// The guided rows' prompt guidance unless --nat-guidance says (models/poet-nat/compare.md, "Prompt
// guidance").
constexpr double kNatGuidance = 0.5;

const OptionSpec kOptions[] = {
    {"prompts", "PATH", "prompt file: one FORM<TAB>TEXT per line (e.g. models/data/poetry/test_prompts.txt)"},
    {"limit", "N", "use the first N prompts (default: all)"},
    {"at-model", "PATH", "the AT model (default models/poet-at)"},
    {"nat-model", "PATH", "the NAT model (default models/poet-nat)"},
    {"seed", "N", "AT and NAT sampling: seed of prompt i is N + i (default 1)"},
    {"nat-temperature", "T", "NAT sample rows: the temperature of every pick (default 0.3)"},
    {"nat-penalty", "R", "NAT penalty rows: the repetition penalty on the canvas (default 1.5)"},
    {"nat-guidance", "G", "NAT guided rows: prompt guidance, with the penalty (default 0.5)"},
    {"draft-iterations", "T", "hybrid: CMLM passes per draft (default 1)"},
    {"draft-tokens", "K", "hybrid: drafted tokens AT checks per round (default: the hybrid's)"},
    {"references", "PATH", "the prompts' poems in full, FORM<TAB>TEXT (\\n = line break): adds their row"},
    {"examples", "N", "print the outputs for the first N prompts (default 1)"},
    {"json", "", "print one JSON object"},
};

// One run's output and cost, whatever produced it.
struct Run {
    std::string text;
    double ms = 0.0;
    size_t passes = 0;
    std::vector<int32_t> ids;  // generated token ids (AT greedy and the hybrid: compared exactly)
    size_t at_passes = 0, nat_passes = 0, greedy_passes = 0, drafted = 0, accepted = 0;
};

struct Row {
    std::string name;
    bool generated = true;  // false: the real poems (no time, no passes)
    size_t runs = 0;
    double ms = 0.0, passes = 0.0, chars = 0.0, nll = 0.0, tokens = 0.0;
    size_t pairs = 0, repeated = 0, form_ok = 0;
    size_t unigrams = 0, distinct_1 = 0, bigrams = 0, distinct_2 = 0, cross_line = 0;
    std::map<std::string, size_t> closings;  // closing couplet -> runs ending with it
    // hybrid only
    size_t at_passes = 0, nat_passes = 0, greedy_passes = 0, drafted = 0, accepted = 0, equal = 0;
    std::vector<std::string> examples;

    void add(const Run& r, const decode::RunMetrics& m) {
        ++runs;
        ms += r.ms;
        passes += double(r.passes);
        chars += double(m.chars);
        nll += m.at_total_nll;
        tokens += double(m.at_tokens);
        pairs += m.repetition.pairs;
        repeated += m.repetition.repeated;
        form_ok += m.form_check.ok ? 1 : 0;
        unigrams += m.distinct_1.ngrams;
        distinct_1 += m.distinct_1.distinct;
        bigrams += m.distinct_2.ngrams;
        distinct_2 += m.distinct_2.distinct;
        cross_line += m.cross_line.repeated;
        ++closings[decode::closing_couplet(r.text)];
        at_passes += r.at_passes;
        nat_passes += r.nat_passes;
        greedy_passes += r.greedy_passes;
        drafted += r.drafted;
        accepted += r.accepted;
    }
    double avg(double x) const { return runs ? x / double(runs) : 0.0; }
    double chars_per_s() const { return ms > 0 ? chars / (ms / 1000.0) : 0.0; }
    double ppl() const { return tokens > 0 ? std::exp(nll / tokens) : 0.0; }
    static double rate(size_t part, size_t whole) { return whole ? double(part) / double(whole) : 0.0; }
    double repetition() const { return rate(repeated, pairs); }
    double form_rate() const { return rate(form_ok, runs); }
    double distinct_1_rate() const { return rate(distinct_1, unigrams); }
    double distinct_2_rate() const { return rate(distinct_2, bigrams); }
    double cross_line_rate() const { return rate(cross_line, bigrams); }
    // The most common closing couplet and the share of runs that end with it.
    std::pair<std::string, double> top_closing() const {
        std::pair<std::string, size_t> top;
        for (const auto& [couplet, n] : closings) {
            if (n > top.second) top = {couplet, n};
        }
        return {top.first, rate(top.second, runs)};
    }
};

std::vector<int32_t> ids_of(const std::vector<decode::TokenRecord>& tokens) {
    std::vector<int32_t> ids;
    for (const auto& t : tokens) ids.push_back(t.id);
    return ids;
}

Run run_of(const decode::GenerateResult& r) {
    return {r.text, r.ms, r.forward_passes, ids_of(r.tokens)};
}

Run run_of(const decode::NatResult& r) {
    return {r.text, r.ms, r.forward_passes, {}};
}

Run run_of(const decode::HybridResult& r) {
    return {r.text,      r.ms,         r.forward_passes,   ids_of(r.tokens),
            r.at_passes, r.nat_passes, r.at_greedy_passes, r.drafted,
            r.accepted};
}

// Runs a freshly created session to the end (the one loop of core/decode/session.hpp).
template <class S>
Result<Run> finish(Result<S> session) {
    if (!session) return make_error(session.error());
    if (Status st = decode::run(*session); !st) return make_error(st.error());
    return run_of(session->result());
}

decode::GenerateRequest at_request(const Prompt& p, decode::Strategy strategy, uint64_t seed) {
    decode::GenerateRequest req;
    req.prompt = p.text;
    req.form = p.form;
    req.strategy = strategy;
    req.seed = seed;
    return req;
}

decode::NatRequest nat_request(const Prompt& p, decode::NatMode mode, size_t iterations, size_t beam) {
    decode::NatRequest req;
    req.prompt = p.text;
    req.form = p.form;
    req.mode = mode;
    req.iterations = iterations;
    req.length_beam = beam;
    return req;
}

std::string one_line(std::string s) {
    std::string out;
    for (char c : s) out += c == '\n' ? std::string(" / ") : std::string(1, c);
    return out;
}

int run_compare(const Args& args) {
    if (!args.has("prompts")) return usage_fail("--prompts FILE is required");
    auto limit = args.get_int("limit", 1 << 30, 1, 1 << 30);
    auto seed = args.get_int("seed", 1, 0, int64_t(1) << 53);
    auto draft_t = args.get_int("draft-iterations", 1, 1, 100);
    auto draft_k = args.get_int("draft-tokens", int64_t(decode::kDraftTokens), 1, 1 << 20);
    auto examples = args.get_int("examples", 1, 0, 1 << 20);
    for (const auto* r : {&limit, &seed, &draft_t, &draft_k, &examples}) {
        if (!*r) return usage_fail(r->error());
    }
    auto nat_temperature =
        args.get_float("nat-temperature", 0.3, decode::kMinTemperature, decode::kMaxTemperature);
    if (!nat_temperature) return usage_fail(nat_temperature.error());
    auto nat_penalty = args.get_float("nat-penalty", kNatPenalty, decode::kMinRepetitionPenalty,
                                      decode::kMaxRepetitionPenalty);
    if (!nat_penalty) return usage_fail(nat_penalty.error());
    auto nat_guidance = args.get_float("nat-guidance", kNatGuidance, 0.0, decode::kMaxGuidance);
    if (!nat_guidance) return usage_fail(nat_guidance.error());
    auto prompts = read_prompts(args.get("prompts"), size_t(*limit));
    if (!prompts) return fail(prompts.error());
    std::vector<Prompt> references;
    if (args.has("references")) {
        auto r = read_prompts(args.get("references"), prompts->size());
        if (!r) return fail(r.error());
        references = std::move(*r);
        if (references.size() < prompts->size())
            return fail(args.get("references") + ": " + std::to_string(references.size()) + " poems for " +
                        std::to_string(prompts->size()) + " prompts");
        for (size_t i = 0; i < prompts->size(); ++i) {
            Prompt& ref = references[i];
            ref.text = unescape(ref.text);
            if (ref.form != (*prompts)[i].form || !ref.text.starts_with((*prompts)[i].text))
                return fail(args.get("references") + ":" + std::to_string(i + 1) +
                            ": not the poem of prompt " + std::to_string(i + 1));
        }
    }
    const std::string at_path = args.get("at-model", "models/poet-at"),
                      nat_path = args.get("nat-model", "models/poet-nat");
    auto at_w = load_weights(at_path);
    if (!at_w) return fail(at_w.error());
    auto at = decode::TextModel::load(*at_w);
    if (!at) return fail(at_path + ": " + at.error());
    auto nat_w = load_weights(nat_path);
    if (!nat_w) return fail(nat_w.error());
    auto nat = decode::NatModel::load(*nat_w);
    if (!nat) return fail(nat_path + ": " + nat.error());
    auto state = models::make_state(*at->transformer, 0);

    using decode::NatMode;
    auto nat_run = [&](const Prompt& p, NatMode mode, size_t iterations, size_t beam, float penalty = 1.f,
                       float guidance = 0.f) {
        decode::NatRequest req = nat_request(p, mode, iterations, beam);
        req.repetition_penalty = penalty;
        req.guidance = guidance;
        return finish(decode::NatSession::create(*nat, req));
    };
    auto nat_sample = [&](const Prompt& p, size_t i, size_t iterations, float penalty = 1.f) {
        decode::NatRequest req = nat_request(p, NatMode::length, iterations, 1);
        req.decoding = decode::Decoding::sample;
        req.temperature = float(*nat_temperature);
        req.seed = uint64_t(*seed) + i;
        req.repetition_penalty = penalty;
        return finish(decode::NatSession::create(*nat, req));
    };
    char t_name[32], r_name[32], g_name[32];
    std::snprintf(t_name, sizeof t_name, "%g", *nat_temperature);
    std::snprintf(r_name, sizeof r_name, "%g", *nat_penalty);
    std::snprintf(g_name, sizeof g_name, "%g", *nat_guidance);
    const std::string sampled = std::string("NAT sample t=") + t_name + ", T=";
    const std::string penalised = std::string(", penalty ") + r_name;
    const std::string guided = penalised + ", guidance " + g_name;
    const float R = float(*nat_penalty), G = float(*nat_guidance);
    struct Config {
        std::string name;
        std::function<Result<Run>(const Prompt&, size_t)> run;
    };
    const size_t T = size_t(*draft_t), K = size_t(*draft_k);
    const std::vector<Config> configs = {
        {"AT greedy",
         [&](const Prompt& p, size_t) {
             return finish(decode::start_generation(*at, at_request(p, decode::Strategy::greedy, 0)));
         }},
        {"AT sample (t=1)",
         [&](const Prompt& p, size_t i) {
             return finish(
                 decode::start_generation(*at, at_request(p, decode::Strategy::sample, uint64_t(*seed) + i)));
         }},
        {"NAT T=1", [&](const Prompt& p, size_t) { return nat_run(p, NatMode::length, 1, 1); }},
        {"NAT T=2", [&](const Prompt& p, size_t) { return nat_run(p, NatMode::length, 2, 1); }},
        {"NAT T=4", [&](const Prompt& p, size_t) { return nat_run(p, NatMode::length, 4, 1); }},
        {"NAT T=10", [&](const Prompt& p, size_t) { return nat_run(p, NatMode::length, 10, 1); }},
        {"NAT T=10, length beam 3",
         [&](const Prompt& p, size_t) { return nat_run(p, NatMode::length, 10, 3); }},
        {"NAT fixed T=1", [&](const Prompt& p, size_t) { return nat_run(p, NatMode::fixed, 1, 1); }},
        {"NAT fixed T=10", [&](const Prompt& p, size_t) { return nat_run(p, NatMode::fixed, 10, 1); }},
        {sampled + "1", [&](const Prompt& p, size_t i) { return nat_sample(p, i, 1); }},
        {sampled + "4", [&](const Prompt& p, size_t i) { return nat_sample(p, i, 4); }},
        {sampled + "10", [&](const Prompt& p, size_t i) { return nat_sample(p, i, 10); }},
        {"NAT T=1" + penalised,
         [&](const Prompt& p, size_t) { return nat_run(p, NatMode::length, 1, 1, R); }},
        {"NAT T=4" + penalised,
         [&](const Prompt& p, size_t) { return nat_run(p, NatMode::length, 4, 1, R); }},
        {"NAT T=10" + penalised,
         [&](const Prompt& p, size_t) { return nat_run(p, NatMode::length, 10, 1, R); }},
        {sampled + "4" + penalised, [&](const Prompt& p, size_t i) { return nat_sample(p, i, 4, R); }},
        {"NAT T=1" + guided,
         [&](const Prompt& p, size_t) { return nat_run(p, NatMode::length, 1, 1, R, G); }},
        {"NAT T=4" + guided,
         [&](const Prompt& p, size_t) { return nat_run(p, NatMode::length, 4, 1, R, G); }},
        {"NAT T=10" + guided,
         [&](const Prompt& p, size_t) { return nat_run(p, NatMode::length, 10, 1, R, G); }},
        {"hybrid (draft T=" + std::to_string(T) + ", K=" + std::to_string(K) + ")",
         [&](const Prompt& p, size_t) {
             decode::NatRequest req = nat_request(p, NatMode::length, T, 1);
             req.strategy = decode::NatStrategy::hybrid;
             req.draft_tokens = K;
             return finish(decode::HybridSession::create(*at, *nat, req));
         }},
    };
    std::vector<Row> rows(configs.size());
    for (size_t c = 0; c < configs.size(); ++c) rows[c].name = configs[c].name;
    const size_t hybrid = configs.size() - 1;
    Row real;
    real.name = "real poems (references)";
    real.generated = false;
    for (size_t i = 0; i < prompts->size(); ++i) {
        const Prompt& p = (*prompts)[i];
        std::vector<int32_t> greedy_ids;
        for (size_t c = 0; c < configs.size(); ++c) {
            auto run = configs[c].run(p, i);
            if (!run)
                return fail("prompt " + std::to_string(i + 1) + " (" + configs[c].name + "): " + run.error());
            auto m = decode::measure_run(run->text, p.form, run->ms, run->passes, &*at, &state);
            if (!m) return fail("prompt " + std::to_string(i + 1) + ": " + m.error());
            rows[c].add(*run, *m);
            if (c == 0) greedy_ids = run->ids;
            if (c == hybrid && run->ids == greedy_ids) ++rows[c].equal;
            if (i < size_t(*examples)) rows[c].examples.push_back(run->text);
        }
        if (!references.empty()) {
            const Run run{references[i].text};
            auto m = decode::measure_run(run.text, p.form, 0.0, 0, &*at, &state);
            if (!m) return fail("reference " + std::to_string(i + 1) + ": " + m.error());
            real.add(run, *m);
            if (i < size_t(*examples)) real.examples.push_back(run.text);
        }
        if (!args.flag("json") && (i + 1) % 20 == 0)
            std::cerr << "compare: " << i + 1 << "/" << prompts->size() << " prompts\n";
    }

    if (real.runs) rows.push_back(std::move(real));
    const Row& h = rows[hybrid];
    if (args.flag("json")) {
        json j = {{"type", "compare"}, {"prompts", prompts->size()}, {"rows", json::array()}};
        for (const Row& r : rows) {
            const auto closing = r.top_closing();
            const auto cost = [&](double x) { return r.generated ? json(x) : json(nullptr); };
            json row = {{"name", r.name},
                        {"ms", cost(r.avg(r.ms))},
                        {"forward_passes", cost(r.avg(r.passes))},
                        {"chars_per_s", cost(r.chars_per_s())},
                        {"at_ppl", r.ppl()},
                        {"repetition", r.repetition()},
                        {"form_correct", r.form_rate()},
                        {"distinct_1", r.distinct_1_rate()},
                        {"distinct_2", r.distinct_2_rate()},
                        {"cross_line", r.cross_line_rate()},
                        {"top_closing_couplet", {{"text", closing.first}, {"share", closing.second}}},
                        {"examples", r.examples}};
            j["rows"].push_back(std::move(row));
        }
        j["hybrid"] = {
            {"at_passes", h.avg(double(h.at_passes))},
            {"nat_passes", h.avg(double(h.nat_passes))},
            {"at_greedy_passes", h.avg(double(h.greedy_passes))},
            {"acceptance", h.drafted ? double(h.accepted) / double(h.drafted) : 0.0},
            {"tokens_per_at_pass", h.at_passes ? double(h.greedy_passes) / double(h.at_passes) : 0.0},
            {"equal_to_at_greedy", h.equal},
            {"draft_iterations", T},
            {"draft_tokens", K}};
        std::cout << decode::dump_json(j, 2) << "\n";
        return kExitOk;
    }
    std::printf("%zu prompts from %s\n\n", prompts->size(), args.get("prompts").c_str());
    std::printf(
        "| strategy | ms | forward passes | chars/s | AT-ppl | repetition | form-correct | distinct-1 | "
        "distinct-2 | cross-line | same ending |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Row& r : rows) {
        char cost[96] = "– | – | –";
        if (r.generated)
            std::snprintf(cost, sizeof cost, "%.1f | %.1f | %.0f", r.avg(r.ms), r.avg(r.passes),
                          r.chars_per_s());
        std::printf("| %s | %s | %.1f | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n",
                    r.name.c_str(), cost, r.ppl(), 100.0 * r.repetition(), 100.0 * r.form_rate(),
                    100.0 * r.distinct_1_rate(), 100.0 * r.distinct_2_rate(), 100.0 * r.cross_line_rate(),
                    100.0 * r.top_closing().second);
    }
    int width = 0;  // the longest row name (ASCII), so the columns below line up
    for (const Row& r : rows) width = std::max(width, int(r.name.size()));
    std::printf("\nmost common closing couplet per strategy (same ending):\n");
    for (const Row& r : rows) {
        const auto [couplet, share] = r.top_closing();
        std::printf("  %-*s %.1f%%  %s\n", width, r.name.c_str(), 100.0 * share, couplet.c_str());
    }
    std::printf(
        "\nhybrid: AT passes %.1f vs AT greedy %.1f per poem (saved %.1f), NAT passes %.1f; per AT pass %.2f "
        "tokens (%.2f accepted draft tokens + AT's own); %.1f%% of all drafted tokens accepted; output "
        "identical "
        "to AT greedy in %zu/%zu\n",
        h.avg(double(h.at_passes)), h.avg(double(h.greedy_passes)),
        h.avg(double(h.greedy_passes)) - h.avg(double(h.at_passes)), h.avg(double(h.nat_passes)),
        h.at_passes ? double(h.greedy_passes) / double(h.at_passes) : 0.0,
        h.at_passes ? double(h.accepted) / double(h.at_passes) : 0.0,
        h.drafted ? 100.0 * double(h.accepted) / double(h.drafted) : 0.0, h.equal, h.runs);
    for (size_t e = 0; e < size_t(*examples) && e < prompts->size(); ++e) {
        std::printf("\nprompt %zu: %s %s\n", e + 1, (*prompts)[e].form.c_str(), (*prompts)[e].text.c_str());
        for (const Row& r : rows)
            std::printf("  %-*s %s\n", width, r.name.c_str(), one_line(r.examples[e]).c_str());
    }
    return kExitOk;
}

}  // namespace

const Command compare_command = {
    "compare",
    "AT vs NAT vs hybrid over a prompt file: speed, passes, AT perplexity, repetition, form",
    "atnat compare --prompts FILE [--limit N] [--at-model PATH] [--nat-model PATH]\n"
    "       [--seed N] [--nat-temperature T] [--nat-penalty R] [--nat-guidance G]\n"
    "       [--draft-iterations T] [--draft-tokens K]\n"
    "       [--references PATH] [--examples N] [--json]",
    kOptions,
    0,
    run_compare,
};

}  // namespace atnat::cli
