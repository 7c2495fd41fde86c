// The poem domain (core/decode/poem.*) and the measures of a poem (core/decode/metrics.*):
//  - pure functions: form layouts, repetition rate and form checks on hand-made strings;
//  - the vocabulary loader both poets use: forms read, sorted by id, and refused when unknown, not tokens or
//    missing where required;
//  - measure_run scoring with the tiny AT model of poets.hpp.
#include "core/decode/poem.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/decode/metrics.hpp"
#include "core/decode/nat.hpp"
#include "core/decode/report.hpp"
#include "core/decode/text_model.hpp"
#include "core/io/safetensors.hpp"
#include "tests/cpp/poets.hpp"

namespace atnat {
namespace {

using nlohmann::json;
using namespace atnat::test;

// ------------------------------------------------------------------------------------- pure functions

TEST(PoemForms, LayoutsFollowTheDataFormat) {
    const auto wj = decode::parse_form("wuyan-jueju"), wl = decode::parse_form("wuyan-lvshi"),
               qj = decode::parse_form("qiyan-jueju"), ql = decode::parse_form("qiyan-lvshi"),
               free = decode::parse_form("free");
    ASSERT_TRUE(wj && wl && qj && ql && free);
    EXPECT_EQ(wj->length(), 25u);
    EXPECT_EQ(wl->length(), 51u);
    EXPECT_EQ(qj->length(), 33u);
    EXPECT_EQ(ql->length(), 67u);
    EXPECT_FALSE(free->regular());
    EXPECT_EQ(free->length(), 0u);
    EXPECT_FALSE(decode::parse_form("haiku"));
    EXPECT_FALSE(decode::parse_form("wuyan-"));
    // 白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。
    EXPECT_EQ(wj->line_start(0), 0u);
    EXPECT_EQ(wj->line_start(1), 6u);
    EXPECT_EQ(wj->line_start(2), 13u);
    EXPECT_EQ(wj->line_start(3), 19u);
    EXPECT_EQ(ql->line_start(7), 7 * 8 + 3u);
    const auto layout = wj->layout();
    ASSERT_EQ(layout.size(), 25u);
    std::string marks;
    for (const auto& s : layout) marks += s.empty() ? "x" : s == "\n" ? "/" : s;
    EXPECT_EQ(marks, "xxxxx，xxxxx。/xxxxx，xxxxx。");
}

// ------------------------------------------------------------------------------------------- vocabulary
std::string vocabulary_error(const json& tokenizer, bool require_forms) {
    auto f = io::WeightFile::parse(
        write_weights("gpt", TinyModels().config, TinyModels::random(3, false), tokenizer));
    if (!f) return "parse: " + f.error();
    auto v = decode::load_vocabulary(*f, kV, require_forms);
    return v ? std::string() : v.error();
}

TEST(Vocabulary, FormsAreReadSortedById) {
    json tok = tokenizer_json();
    tok["forms"] = {{"free", "<free>"}, {"wuyan-jueju", "<wuyan-jueju>"}};
    auto f =
        io::WeightFile::parse(write_weights("gpt", TinyModels().config, TinyModels::random(3, false), tok));
    ASSERT_TRUE(f.ok()) << f.error();
    auto v = decode::load_vocabulary(*f, kV, true);
    ASSERT_TRUE(v.ok()) << v.error();
    ASSERT_EQ(v->forms.size(), 2u);
    EXPECT_EQ(v->forms[0], (std::pair<std::string, int32_t>{"wuyan-jueju", kWuyan}));
    EXPECT_EQ(v->forms[1], (std::pair<std::string, int32_t>{"free", kFree}));
    EXPECT_EQ(v->default_form(), "free");
    EXPECT_EQ(v->form_names(), "wuyan-jueju, free");
    EXPECT_EQ(v->form_id("wuyan-jueju"), kWuyan);
    EXPECT_FALSE(v->form_id("qiyan-jueju"));
    EXPECT_EQ(v->tokenizer->size(), kV);
    // Without "free" the default is the first form by id; without forms it is "".
    tok["forms"] = {{"wuyan-jueju", "<wuyan-jueju>"}};
    f = io::WeightFile::parse(write_weights("gpt", TinyModels().config, TinyModels::random(3, false), tok));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(decode::load_vocabulary(*f, kV, false)->default_form(), "wuyan-jueju");
    tok.erase("forms");
    f = io::WeightFile::parse(write_weights("gpt", TinyModels().config, TinyModels::random(3, false), tok));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(decode::load_vocabulary(*f, kV, false)->default_form(), "");
}

TEST(Vocabulary, OneRuleForBothPoets) {
    // A form name parse_form() does not know is refused by the AT and the NAT loader alike.
    json tok = tokenizer_json();
    tok["forms"]["haiku"] = "<free>";
    const std::string unknown =
        "tokenizer 'forms': form 'haiku' is unknown (known: wuyan-jueju, wuyan-lvshi, qiyan-jueju, "
        "qiyan-lvshi, free)";
    EXPECT_EQ(vocabulary_error(tok, false), unknown);
    EXPECT_EQ(vocabulary_error(tok, true), unknown);
    auto at =
        decode::TextModel::load(write_weights("gpt", TinyModels().config, TinyModels::random(3, false), tok));
    ASSERT_FALSE(at.ok());
    EXPECT_EQ(at.error(), unknown);
    auto nat = decode::NatModel::load(
        write_weights("cmlm", TinyModels().cmlm_config(), TinyModels::random(7, true), tok));
    ASSERT_FALSE(nat.ok());
    EXPECT_EQ(nat.error(), unknown);
    // Forms are optional for the AT model, required (non-empty) for the CMLM, whose input holds a form token.
    json none = tokenizer_json();
    none.erase("forms");
    EXPECT_EQ(vocabulary_error(none, false), "");
    EXPECT_NE(vocabulary_error(none, true).find("must be a non-empty object"), std::string::npos);
    json empty = tokenizer_json();
    empty["forms"] = json::object();
    EXPECT_EQ(vocabulary_error(empty, false), "");
    EXPECT_NE(vocabulary_error(empty, true).find("must be a non-empty object"), std::string::npos);
    // Shapes and tokens.
    json bad = tokenizer_json();
    bad["forms"] = json::array({"wuyan-jueju"});
    EXPECT_EQ(vocabulary_error(bad, false), "tokenizer 'forms' must be an object: name -> form token");
    bad["forms"] = {{"free", 9}};
    EXPECT_EQ(vocabulary_error(bad, false), "tokenizer 'forms': 'free' must map to a token string");
    bad["forms"] = {{"free", "<sonnet>"}};
    EXPECT_EQ(vocabulary_error(bad, false),
              "tokenizer 'forms': token '<sonnet>' of form 'free' is not in the vocabulary");
    // More tokens than the model's vocabulary; no tokenizer at all.
    auto f = io::WeightFile::parse(
        write_weights("gpt", TinyModels().config, TinyModels::random(3, false), tokenizer_json()));
    ASSERT_TRUE(f.ok());
    auto small = decode::load_vocabulary(*f, kV - 1, false);
    ASSERT_FALSE(small.ok());
    EXPECT_EQ(small.error(), "the tokenizer has 22 tokens, the model's vocabulary 21");
    EXPECT_EQ(vocabulary_error(nullptr, false), "the weight file has no tokenizer in its metadata");
}

TEST(PoemChars, PunctuationBlanksAndSpelling) {
    EXPECT_TRUE(decode::is_punctuation("，"));
    EXPECT_TRUE(decode::is_punctuation("!"));
    EXPECT_FALSE(decode::is_punctuation("春"));
    EXPECT_FALSE(decode::is_punctuation("，。"));  // one code point only
    EXPECT_TRUE(decode::is_poem_char("春"));
    EXPECT_FALSE(decode::is_poem_char("\n"));
    EXPECT_FALSE(decode::is_poem_char(" "));
    EXPECT_TRUE(decode::is_blank_marker("_"));
    EXPECT_TRUE(decode::is_blank_marker("＿"));
    EXPECT_TRUE(decode::is_blank_marker("□"));
    EXPECT_FALSE(decode::is_blank_marker("春"));
    EXPECT_EQ(decode::spell("春"), "'春'");
    EXPECT_EQ(decode::spell("\n"), "'\\n'");
}

// ----------------------------------------------------------------------------------------------- metrics

TEST(Metrics, RepetitionCountsNeighbouringCharacterPairsOnly) {
    auto r = decode::repetition("春春风");
    EXPECT_EQ(r.pairs, 2u);
    EXPECT_EQ(r.repeated, 1u);
    EXPECT_DOUBLE_EQ(r.rate, 0.5);
    r = decode::repetition("山，山");  // punctuation breaks the pair
    EXPECT_EQ(r.pairs, 0u);
    EXPECT_DOUBLE_EQ(r.rate, 0.0);
    r = decode::repetition("白日依山尽，黄河入海流。");  // 4 + 4 pairs, none repeated
    EXPECT_EQ(r.pairs, 8u);
    EXPECT_EQ(r.repeated, 0u);
    r = decode::repetition("不不不。\n人人");  // 不不, 不不, 人人; nothing across "。\n"
    EXPECT_EQ(r.pairs, 3u);
    EXPECT_EQ(r.repeated, 3u);
    EXPECT_DOUBLE_EQ(r.rate, 1.0);
    EXPECT_EQ(decode::repetition("").pairs, 0u);
    EXPECT_EQ(decode::count_poem_chars("白日依山尽，黄河入海流。\n欲穷"), 12u);
}

TEST(Metrics, DistinctNCountsNgramsInsideLinesOverTheWholePoem) {
    // The header's example: repetition ranks the stutter worse, distinct-1 ranks the word salad worse.
    EXPECT_DOUBLE_EQ(decode::repetition("春风吹落花，夜夜夜来春").rate, 2.0 / 8.0);
    EXPECT_DOUBLE_EQ(decode::repetition("不来无不去，不人不人人").rate, 1.0 / 8.0);
    auto d = decode::distinct_n("春风吹落花，夜夜夜来春", 1);
    EXPECT_EQ(d.ngrams, 10u);
    EXPECT_EQ(d.distinct, 7u);
    EXPECT_DOUBLE_EQ(decode::distinct_n("不来无不去，不人不人人", 1).rate, 0.5);
    // Bigrams never span punctuation or a line break: 白日 日依 依山 山尽 | 白日 日依 -> 6 bigrams, 4
    // distinct.
    d = decode::distinct_n("白日依山尽，\n白日依", 2);
    EXPECT_EQ(d.ngrams, 6u);
    EXPECT_EQ(d.distinct, 4u);
    EXPECT_EQ(decode::distinct_n("山，山", 2).ngrams, 0u);
    EXPECT_DOUBLE_EQ(decode::distinct_n("", 1).rate, 0.0);
    EXPECT_EQ(decode::distinct_n("白日依山尽", 5).ngrams, 1u);
    EXPECT_EQ(decode::distinct_n("白日依山尽", 6).ngrams, 0u);
}

// Issue 9's three kinds of poem: greedy's stutter (with the closing couplet it gave several poems), NAT's
// word salad and a clean poem. Adjacent-pair repetition gives the first two the same 2/16; distinct-1,
// distinct-2 and the bigrams repeated across lines set all three apart.
TEST(Metrics, DistinctAndCrossLineRepeatsSeparateStutterFromWordSalad) {
    const std::string stutter = "春风吹落花，夜夜夜来春。\n不见青山客，何人一夜来。";
    const std::string salad = "春日无不水，无人不不人。\n不来无不去，不人不人人。";
    const std::string clean = "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。";
    struct Measures {
        double repetition, distinct_1, distinct_2, cross_line;
    };
    auto measure = [](const std::string& text) {
        return Measures{decode::repetition(text).rate, decode::distinct_n(text, 1).rate,
                        decode::distinct_n(text, 2).rate, decode::cross_line_repeats(text, 2).rate};
    };
    const Measures s = measure(stutter), w = measure(salad), c = measure(clean);
    EXPECT_DOUBLE_EQ(s.repetition, 2.0 / 16);  // 夜夜 twice
    EXPECT_DOUBLE_EQ(w.repetition, 2.0 / 16);  // 不不, 人人
    EXPECT_DOUBLE_EQ(c.repetition, 0.0);
    EXPECT_DOUBLE_EQ(s.distinct_1, 15.0 / 20);  // 春 ×2, 夜 ×4, 来 ×2
    EXPECT_DOUBLE_EQ(w.distinct_1, 8.0 / 20);   // 春日无不水人来去
    EXPECT_DOUBLE_EQ(c.distinct_1, 1.0);
    EXPECT_DOUBLE_EQ(s.distinct_2, 14.0 / 16);  // 夜夜 and 夜来 twice
    EXPECT_DOUBLE_EQ(w.distinct_2, 12.0 / 16);
    EXPECT_DOUBLE_EQ(c.distinct_2, 1.0);
    EXPECT_DOUBLE_EQ(s.cross_line, 2.0 / 16);  // 夜来 in lines 2 and 4
    EXPECT_DOUBLE_EQ(w.cross_line, 7.0 / 16);  // 无不 (lines 1, 3), 人不 (2, 4), 不人 (2, 4, 4)
    EXPECT_DOUBLE_EQ(c.cross_line, 0.0);

    const auto r = decode::cross_line_repeats("无人不不人，不人不人人", 2);  // the header's example
    EXPECT_EQ(r.ngrams, 8u);
    EXPECT_EQ(r.repeated, 5u);
    EXPECT_EQ(decode::cross_line_repeats("春风吹落花，夜夜夜来春", 2).repeated, 0u);
    EXPECT_EQ(decode::cross_line_repeats("山山，山", 1).repeated, 3u);  // unigrams: 山 in both lines
    EXPECT_DOUBLE_EQ(decode::cross_line_repeats("", 2).rate, 0.0);
}

TEST(Metrics, ClosingCoupletIsTheLastTwoLines) {
    EXPECT_EQ(decode::closing_couplet("春风吹落花，夜夜夜来春。\n不见青山客，何人一夜来。"),
              "不见青山客，何人一夜来");
    EXPECT_EQ(decode::closing_couplet("白日依山尽，黄河"),
              "白日依山尽，黄河");  // an unfinished last line counts
    EXPECT_EQ(decode::closing_couplet("白日依山尽。"), "白日依山尽");
    EXPECT_EQ(decode::closing_couplet("，，"), "");
}

TEST(Metrics, FormCheckOnHandMadePoems) {
    const auto wj = *decode::parse_form("wuyan-jueju");
    const auto free = *decode::parse_form("free");
    auto c = decode::check_form("白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。", wj);
    EXPECT_TRUE(c.ok) << c.problem;
    EXPECT_EQ(c.lines, 4u);
    EXPECT_EQ(c.line_lengths, (std::vector<size_t>{5, 5, 5, 5}));
    EXPECT_EQ(c.problem, "");
    // The same poem is a correct "free" poem too (4 lines of 5), but not a qiyan-jueju.
    EXPECT_TRUE(decode::check_form("白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。", free).ok);
    c = decode::check_form("白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。",
                           *decode::parse_form("qiyan-jueju"));
    EXPECT_FALSE(c.ok);
    EXPECT_TRUE(c.count_ok);
    EXPECT_FALSE(c.lengths_ok);
    EXPECT_EQ(c.problem, "line 1 has 5 characters, expected 7");
    // No line break between the couplets.
    c = decode::check_form("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。", wj);
    EXPECT_FALSE(c.pattern_ok);
    EXPECT_TRUE(c.lengths_ok);
    EXPECT_EQ(c.problem, "couplet 1 is not followed by a line break");
    // A line too long, and "。" where "，" belongs.
    c = decode::check_form("白日依山尽尽。黄河入海流。\n欲穷千里目，更上一层楼。", wj);
    EXPECT_FALSE(c.ok);
    EXPECT_FALSE(c.pattern_ok);
    EXPECT_FALSE(c.lengths_ok);
    EXPECT_EQ(c.line_lengths[0], 6u);
    EXPECT_EQ(c.problem, "line 1 ends in '。', expected '，'");
    // Two lines only; a trailing unterminated line; a trailing line break; stray characters.
    c = decode::check_form("白日依山尽，黄河入海流。", wj);
    EXPECT_FALSE(c.count_ok);
    EXPECT_TRUE(c.pattern_ok);
    EXPECT_EQ(c.problem, "2 lines, expected 4");
    c = decode::check_form("白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼", wj);
    EXPECT_FALSE(c.pattern_ok);
    EXPECT_EQ(c.lines, 4u);
    EXPECT_EQ(c.problem, "line 4 has no closing punctuation");
    EXPECT_FALSE(decode::check_form("白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n", wj).pattern_ok);
    EXPECT_FALSE(decode::check_form("白日依山尽，黄河入海流！\n欲穷千里目，更上一层楼。", wj).ok);
    EXPECT_FALSE(decode::check_form("", wj).ok);
    // free: an even number of lines of 5 or 7 characters, mixed allowed.
    EXPECT_TRUE(
        decode::check_form("白日依山尽，黄河入海流不断。\n欲穷千里目，更上一层楼。\n春风，秋月。", free).ok ==
        false);
    EXPECT_TRUE(decode::check_form("白日依山尽，黄河入海流不断。\n欲穷千里目，更上一层楼。", free).ok);
    EXPECT_FALSE(decode::check_form("白日依山尽，黄河入海流。\n欲穷千里目，", free).ok);  // 3 lines
}

TEST(Metrics, MeasureRunScoresWithTheAtModel) {
    const auto at = tiny_at();
    auto state = models::make_state(*at.transformer);
    const std::string text = "春花月水风，山水风雨雨。\n秋月山风雨，冬月山水风。";
    auto m = decode::measure_run(text, "wuyan-jueju", 50.0, 5, &at, &state);
    ASSERT_TRUE(m.ok()) << m.error();
    auto s = decode::score_text(at, state, text, "wuyan-jueju");
    ASSERT_TRUE(s.ok());
    EXPECT_TRUE(m->scored);
    EXPECT_DOUBLE_EQ(m->at_ppl, s->ppl);
    EXPECT_EQ(m->at_tokens, 26u);
    EXPECT_EQ(m->chars, 20u);
    EXPECT_DOUBLE_EQ(m->chars_per_s, 400.0);
    EXPECT_EQ(m->repetition.repeated, 1u);  // 雨雨
    EXPECT_TRUE(m->form_check.ok);
    const json j = decode::to_json(*m);
    EXPECT_EQ(j["form_check"]["ok"], true);
    EXPECT_EQ(j["repetition"]["pairs"], 16);
    EXPECT_EQ(j["distinct_1"]["distinct"], 9);  // 20 characters, 9 different: 春花月水风山雨秋冬
    EXPECT_EQ(j["distinct_1"]["ngrams"], 20);
    EXPECT_EQ(j["cross_line"]["ngrams"], 16);
    EXPECT_EQ(j["cross_line"]["repeated"], 9);  // 水风 ×3, 月山 ×2, 山水 ×2, 风雨 ×2
    auto unscored = decode::measure_run(text, "wuyan-jueju", 0.0, 1, nullptr, nullptr);
    ASSERT_TRUE(unscored.ok());
    EXPECT_FALSE(unscored->scored);
    EXPECT_EQ(decode::to_json(*unscored)["at_ppl"], nullptr);
    EXPECT_FALSE(decode::measure_run(text, "sonnet", 0.0, 1, nullptr, nullptr).ok());
}

}  // namespace
}  // namespace atnat
