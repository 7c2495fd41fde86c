// atnat score: per-token negative log-likelihood and perplexity of texts under an autoregressive model, the
// way models/poet-at/train.py evaluates (NLL over the poem's characters, punctuation, line breaks and <eos>;
// the form token is a given condition). One batched forward pass per text.
//
// Input: one text per line of --text-file (or --text). A line may start with "FORM<TAB>" (e.g. the
// models/data/poetry/test_prompts.txt format); a literal \n inside a line is a line break of the poem.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/cli.hpp"
#include "core/decode/report.hpp"
#include "core/decode/text_model.hpp"

namespace atnat::cli {
namespace {

using nlohmann::json;

const OptionSpec kOptions[] = {
    {"model", "PATH", "the weight file, or a model directory holding model.safetensors"},
    {"text-file", "PATH", "texts to score, one per line ([FORM<TAB>]TEXT, \\n = line break)"},
    {"text", "TEXT", "one text to score instead of a file"},
    {"form", "NAME", "the form of lines without a FORM<TAB> prefix (default: free)"},
    {"per-token", "", "also list every token's NLL"},
    {"json", "", "print one JSON object"},
};

struct Line {
    size_t number = 0;  // 1-based line of the file
    std::string form;
    std::string text;
};

Result<std::vector<Line>> read_lines(const Args& args, const decode::TextModel& model) {
    std::string content;
    if (args.has("text") == args.has("text-file"))
        return make_error("give exactly one of --text and --text-file");
    if (args.has("text")) {
        content = args.get("text");
    } else {
        auto bytes = read_file(args.get("text-file"), kMaxTextFileBytes);
        if (!bytes) return make_error(bytes.error());
        content.assign(bytes->begin(), bytes->end());
    }
    std::vector<Line> lines;
    std::istringstream in(content);
    std::string raw;
    for (size_t number = 1; std::getline(in, raw); ++number) {
        if (!raw.empty() && raw.back() == '\r') raw.pop_back();
        if (raw.empty()) continue;
        Line line{number, args.get("form"), raw};
        if (auto tab = raw.find('\t'); tab != std::string::npos && model.form_id(raw.substr(0, tab))) {
            line.form = raw.substr(0, tab);
            line.text = raw.substr(tab + 1);
        }
        line.text = unescape(line.text);
        lines.push_back(std::move(line));
    }
    if (lines.empty()) return make_error("no text to score");
    return lines;
}

int run_score(const Args& args) {
    auto path = model_argument(args);
    if (!path) return fail(path.error());
    auto weights = load_weights(*path);
    if (!weights) return fail(weights.error());
    auto model = decode::TextModel::load(*weights);
    if (!model) return fail(*path + ": " + model.error());
    auto lines = read_lines(args, *model);
    if (!lines) return fail(lines.error());

    auto state = models::make_state(*model->transformer);
    json out = {{"lines", json::array()}};
    double total = 0, total_chars = 0, ms = 0;
    size_t tokens = 0, chars = 0;
    for (const Line& line : *lines) {
        auto r = decode::score_text(*model, state, line.text, line.form);
        if (!r) return fail("line " + std::to_string(line.number) + ": " + r.error());
        total += r->total_nll;
        total_chars += r->total_nll_chars;
        tokens += r->tokens;
        chars += r->chars;
        ms += r->ms;
        if (args.flag("json")) {
            json j = decode::to_json(*r, args.flag("per-token"));
            j["line"] = line.number;
            j["text"] = line.text;
            out["lines"].push_back(std::move(j));
            continue;
        }
        std::string shown = line.text;
        for (size_t p = 0; (p = shown.find('\n', p)) != std::string::npos;) shown.replace(p, 1, " / ");
        std::printf("line %zu  [%s]  %zu tokens  nll %.4f  ppl %.2f  |  chars %zu  nll %.4f  ppl %.2f  %s\n",
                    line.number, r->form.c_str(), r->tokens, r->nll, r->ppl, r->chars, r->nll_chars,
                    r->ppl_chars, shown.c_str());
        if (!r->unknown_chars.empty()) {
            std::string u;
            for (const auto& c : r->unknown_chars) u += c;
            std::printf("    not in the vocabulary (<unk>): %s\n", u.c_str());
        }
        if (args.flag("per-token")) {
            for (const auto& t : r->per_token) {
                std::printf("    %-8s %.4f\n", t.text == "\n" ? "\\n" : t.text.c_str(), t.nll);
            }
        }
    }
    const double nll = total / double(tokens), nll_chars = chars ? total_chars / double(chars) : 0.0;
    if (args.flag("json")) {
        out["total"] = {{"texts", lines->size()},
                        {"tokens", tokens},
                        {"nll", nll},
                        {"ppl", std::exp(nll)},
                        {"chars", chars},
                        {"nll_chars", nll_chars},
                        {"ppl_chars", chars ? std::exp(nll_chars) : 0.0},
                        {"ms", std::round(ms * 1000) / 1000}};
        std::cout << decode::dump_json(out, 2) << "\n";
        return kExitOk;
    }
    std::printf(
        "total  %zu texts  %zu tokens  nll %.4f  ppl %.2f  |  chars %zu  nll %.4f  ppl %.2f  (%.1f ms)\n",
        lines->size(), tokens, nll, std::exp(nll), chars, nll_chars, chars ? std::exp(nll_chars) : 0.0, ms);
    return kExitOk;
}

}  // namespace

const Command score_command = {
    "score",
    "per-token NLL and perplexity of texts under an autoregressive model",
    "atnat score --model PATH (--text-file PATH | --text TEXT) [--form NAME] [--per-token] [--json]",
    kOptions,
    1,
    run_score,
};

}  // namespace atnat::cli
