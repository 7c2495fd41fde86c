#include "core/decode/metrics.hpp"

#include <map>
#include <set>

#include "core/io/tokenizer.hpp"

namespace atnat::decode {

namespace {

constexpr std::string_view kComma = "，", kStop = "。", kNewline = "\n";

}  // namespace

Repetition repetition(std::string_view text) {
    Repetition r;
    const std::vector<std::string> cps = io::split_utf8(text);
    for (size_t i = 0; i + 1 < cps.size(); ++i) {
        if (!is_poem_char(cps[i]) || !is_poem_char(cps[i + 1])) continue;
        ++r.pairs;
        if (cps[i] == cps[i + 1]) ++r.repeated;
    }
    r.rate = r.pairs ? double(r.repeated) / double(r.pairs) : 0.0;
    return r;
}

namespace {

// The n-grams of the text with the index of the line they lie in: runs of n neighbouring poem characters,
// a line being a run of poem characters (any other code point ends it). n = 0: none.
std::vector<std::pair<size_t, std::string>> line_ngrams(std::string_view text, size_t n) {
    std::vector<std::pair<size_t, std::string>> out;
    if (n == 0) return out;
    std::vector<std::string> line;  // the poem characters since the last non-poem character
    size_t index = 0;
    for (const std::string& cp : io::split_utf8(text)) {
        if (!is_poem_char(cp)) {
            index += line.empty() ? 0 : 1;
            line.clear();
            continue;
        }
        line.push_back(cp);
        if (line.size() < n) continue;
        std::string gram;
        for (size_t i = line.size() - n; i < line.size(); ++i) gram += line[i];
        out.emplace_back(index, std::move(gram));
    }
    return out;
}

}  // namespace

Distinct distinct_n(std::string_view text, size_t n) {
    Distinct d;
    std::set<std::string> seen;
    for (auto& [line, gram] : line_ngrams(text, n)) {
        ++d.ngrams;
        seen.insert(std::move(gram));
    }
    d.distinct = seen.size();
    d.rate = d.ngrams ? double(d.distinct) / double(d.ngrams) : 0.0;
    return d;
}

CrossLineRepeats cross_line_repeats(std::string_view text, size_t n) {
    const auto grams = line_ngrams(text, n);
    std::map<std::string, std::set<size_t>> lines_of;
    for (const auto& [line, gram] : grams) lines_of[gram].insert(line);
    CrossLineRepeats r;
    r.ngrams = grams.size();
    for (const auto& [line, gram] : grams) r.repeated += lines_of[gram].size() > 1 ? 1 : 0;
    r.rate = r.ngrams ? double(r.repeated) / double(r.ngrams) : 0.0;
    return r;
}

std::string closing_couplet(std::string_view text) {
    std::vector<std::string> lines(1);
    for (const std::string& cp : io::split_utf8(text)) {
        if (is_poem_char(cp)) {
            lines.back() += cp;
        } else if ((cp == kComma || cp == kStop) && !lines.back().empty()) {
            lines.emplace_back();
        }
    }
    if (lines.back().empty()) lines.pop_back();
    if (lines.size() < 2) return lines.empty() ? std::string() : lines.back();
    return lines[lines.size() - 2] + std::string(kComma) + lines.back();
}

FormCheck check_form(std::string_view text, const PoemForm& form) {
    FormCheck c;
    c.pattern_ok = true;
    auto pattern_problem = [&](std::string message) {
        if (c.pattern_ok) {
            c.pattern_ok = false;
            if (c.problem.empty()) c.problem = std::move(message);
        }
    };
    size_t run = 0;             // characters of the current line
    bool open = false;          // a line has started and is not terminated
    bool want_newline = false;  // a "。" ended a couplet: "\n" must come next (unless the text ends)
    std::string last_terminator;
    bool ends_in_newline = false;
    for (const std::string& cp : io::split_utf8(text)) {
        ends_in_newline = cp == kNewline;
        if (want_newline) {
            if (cp != kNewline)
                pattern_problem("couplet " + std::to_string(c.lines / 2) +
                                " is not followed by a line break");
            want_newline = false;
            if (cp == kNewline) continue;
        }
        if (is_poem_char(cp)) {
            ++run;
            open = true;
        } else if (cp == kComma || cp == kStop) {
            const size_t line = c.lines;
            if (!open) pattern_problem("line " + std::to_string(line + 1) + " is empty");
            const std::string_view expected = line % 2 == 0 ? kComma : kStop;
            if (cp != expected)
                pattern_problem("line " + std::to_string(line + 1) + " ends in '" + cp + "', expected '" +
                                std::string(expected) + "'");
            c.line_lengths.push_back(run);
            ++c.lines;
            run = 0;
            open = false;
            last_terminator = cp;
            want_newline = cp == kStop;
        } else if (cp == kNewline) {
            pattern_problem("a line break in the middle of a couplet (after line " + std::to_string(c.lines) +
                            ")");
        } else {
            pattern_problem("unexpected '" + cp + "'");
        }
    }
    if (open) {
        pattern_problem("line " + std::to_string(c.lines + 1) + " has no closing punctuation");
        c.line_lengths.push_back(run);
        ++c.lines;
    }
    if (c.lines == 0) pattern_problem("no lines");
    if (ends_in_newline) pattern_problem("the text ends with a line break");
    if (!open && c.lines > 0 && last_terminator != kStop) pattern_problem("the poem does not end with '。'");

    if (form.regular()) {
        c.count_ok = c.lines == form.lines;
        c.lengths_ok = true;
        for (size_t n : c.line_lengths) c.lengths_ok = c.lengths_ok && n == form.chars_per_line;
    } else {
        c.count_ok = c.lines >= 2 && c.lines % 2 == 0;
        c.lengths_ok = true;
        for (size_t n : c.line_lengths) c.lengths_ok = c.lengths_ok && (n == 5 || n == 7);
    }
    if (c.problem.empty() && !c.count_ok) {
        c.problem = std::to_string(c.lines) + " lines, expected " +
                    (form.regular() ? std::to_string(form.lines) : std::string("an even number"));
    }
    if (c.problem.empty() && !c.lengths_ok) {
        for (size_t i = 0; i < c.line_lengths.size(); ++i) {
            const size_t n = c.line_lengths[i];
            if (form.regular() ? n != form.chars_per_line : (n != 5 && n != 7)) {
                c.problem = "line " + std::to_string(i + 1) + " has " + std::to_string(n) +
                            " characters, expected " +
                            (form.regular() ? std::to_string(form.chars_per_line) : std::string("5 or 7"));
                break;
            }
        }
    }
    c.ok = c.count_ok && c.lengths_ok && c.pattern_ok;
    return c;
}

Result<RunMetrics> measure_run(std::string_view text, std::string_view form, double ms, size_t forward_passes,
                               const TextModel* at, models::TransformerState* at_state) {
    const auto shape = parse_form(form);
    if (!shape) return make_error("metrics: unknown form '" + std::string(form) + "'");
    RunMetrics m;
    m.form = shape->name;
    m.ms = ms;
    m.forward_passes = forward_passes;
    m.chars = count_poem_chars(text);
    m.chars_per_s = ms > 0 ? double(m.chars) / (ms / 1000.0) : 0.0;
    m.repetition = repetition(text);
    m.distinct_1 = distinct_n(text, 1);
    m.distinct_2 = distinct_n(text, 2);
    m.cross_line = cross_line_repeats(text, 2);
    m.form_check = check_form(text, *shape);
    if (at && at_state) {
        auto s = score_text(*at, *at_state, text, form);
        if (!s) return make_error("metrics: " + s.error());
        m.scored = true;
        m.at_ppl = s->ppl;
        m.at_ppl_chars = s->ppl_chars;
        m.at_tokens = s->tokens;
        m.at_total_nll = s->total_nll;
    }
    return m;
}

}  // namespace atnat::decode
