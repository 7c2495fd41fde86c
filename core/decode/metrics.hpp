// What atnat measures about every generated poem, AT or NAT, so the two can be put side by side:
// speed (wall ms, forward passes, characters per second), quality as the AT model sees it (perplexity of the
// output under poet-at: it scores NAT's text too), the NAT failure mode the lecture names (repeated
// characters: "multi-modality"), and whether the poem has the requested form (the forms: poem.hpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decode/poem.hpp"
#include "core/decode/text_model.hpp"
#include "core/models/transformer.hpp"
#include "core/status.hpp"

namespace atnat::decode {

// Repetition: pairs of neighbouring code points that are both poem characters (so a pair never spans
// punctuation or a line break: "山，山" has no pair); rate = identical pairs / pairs (0 if no pairs).
// "春春风" -> 2 pairs, 1 repeated, 0.5.
struct Repetition {
    size_t pairs = 0;
    size_t repeated = 0;
    double rate = 0.0;
};
Repetition repetition(std::string_view text);

// Distinct-n (Li et al. 2016), within one poem: the n-grams are runs of n neighbouring poem characters inside
// a line (never across punctuation or a line break), counted over the whole poem; rate = distinct n-grams /
// n-grams (0 if the text has none). It tells apart what adjacent-pair repetition ranks the wrong way round:
// greedy's stutter "春风吹落花，夜夜夜来春" has repetition 2/8 and NAT's word salad "不来无不去，不人不人人"
// only 1/8, but distinct-1 is 7/10 for the first and 5/10 for the second. distinct-2 also catches a bigram
// that comes back in another line.
struct Distinct {
    size_t ngrams = 0;
    size_t distinct = 0;
    double rate = 0.0;
};
Distinct distinct_n(std::string_view text, size_t n);

// Repeats across lines: the n-grams of each line (as distinct_n counts them) that also occur in another line
// of the poem; rate = such n-grams / all n-grams (0 if none). It is what NAT's word salad does and greedy's
// stutter does not: "春风吹落花，夜夜夜来春" has no bigram in both lines (0/8), "无人不不人，不人不人人"
// repeats 不人 (once, then twice) and 人不 across its lines (5/8).
struct CrossLineRepeats {
    size_t ngrams = 0;
    size_t repeated = 0;
    double rate = 0.0;
};
CrossLineRepeats cross_line_repeats(std::string_view text, size_t n);

// The last two lines of a poem (lines as check_form counts them: runs ended by "，" or "。"), their poem
// characters joined by "，": "…\n不见青山客，何人一夜来。" -> "不见青山客，何人一夜来". A poem of one line
// gives that line. Greedy decoding that ends different poems the same way shows up as one couplet shared by
// many.
std::string closing_couplet(std::string_view text);

// The text against a form. Lines are the runs ended by "，" or "。" (a trailing run without one is a line
// too, and breaks the pattern). The pattern: line i ends in "，" for even i and "。" for odd i, a "\n"
// follows every "。" but the last, the text ends right after the last "。", and no other punctuation or
// whitespace appears. ok = count_ok && lengths_ok && pattern_ok.
struct FormCheck {
    bool ok = false;
    bool count_ok = false;    // regular: lines == form.lines; free: an even number >= 2
    bool lengths_ok = false;  // regular: every line has chars_per_line characters; free: 5 or 7 each
    bool pattern_ok = false;  // punctuation and line breaks as above
    size_t lines = 0;
    std::vector<size_t> line_lengths;  // characters per line
    std::string problem;               // the first thing wrong, in words ("" if ok)
};
FormCheck check_form(std::string_view text, const PoemForm& form);

// Everything measured about one run.
struct RunMetrics {
    std::string form;
    double ms = 0.0;  // wall time of the generation (the run's own "ms")
    size_t forward_passes = 0;
    size_t chars = 0;  // poem characters in the output (count_poem_chars)
    double chars_per_s = 0.0;
    bool scored = false;        // the AT model was given: the two fields below are set
    double at_ppl = 0.0;        // poet-at perplexity of the output: exp(mean NLL over c1 .. cN <eos>)
    double at_ppl_chars = 0.0;  // the same over poem characters only (score_text's ppl_chars)
    size_t at_tokens = 0;       // tokens scored (c1 .. cN <eos>), for corpus-level averages
    double at_total_nll = 0.0;  // their summed NLL (nats)
    Repetition repetition;
    Distinct distinct_1, distinct_2;  // distinct_n with n = 1, 2
    CrossLineRepeats cross_line;      // cross_line_repeats with n = 2 (bigrams)
    FormCheck form_check;
};

// at / at_state may be null (no perplexity). form: a form name of parse_form() (an error otherwise); the AT
// model must know it too. at_state needs rows for the whole text (make_state(*at->transformer, 0)).
Result<RunMetrics> measure_run(std::string_view text, std::string_view form, double ms, size_t forward_passes,
                               const TextModel* at, models::TransformerState* at_state);

}  // namespace atnat::decode
